//! The verdict's survey (issue 24's must-show): on three presets written in Rust and three
//! problems made up for it (a 16-parameter curve, the 40-parameter coupled map, a
//! calibration with no x), every method that runs in reasonable time, with Repeats 5, at
//! the three convergence levels the page offers. On every one:
//! - every run that converged knows when to 20%: its bracket has `hi/lo ≤ 1.2`;
//! - a winner has the lowest median `hi` of the methods that converged in every run;
//! - a tie is called only between methods whose ranges overlap.
//!
//! `cargo test --release --test survey -- --nocapture` prints, per problem and level, the
//! verdict's head, which docs/races.md quotes to explain the default level.

mod common;

use blackbox_playground::config::RawConfig;
use blackbox_playground::fixtures::{coupled_map, pharma, resonance, smooth_map};
use blackbox_playground::race::{summarize, Race, Summary};
use blackbox_playground::FnBlackBox;
use serde_json::json;

/// The methods of the survey: all but the control-variate ES, whose own work (about 60-110
/// µs an evaluation natively, docs/speed.md) would make this test minutes long.
const METHODS: [&str; 8] = [
    "central",
    "forward",
    "spsa",
    "es",
    "surrogate",
    "joint",
    "guided-es",
    "exact",
];
const REPEATS: u32 = 5;
const LEVELS: [f64; 3] = [0.1, 0.01, 0.001];

/// Runs every method `REPEATS` times on the problem and summarises the race at each level.
fn survey(
    name: &str,
    make: fn() -> FnBlackBox,
    budget: u64,
    edit: fn(&mut RawConfig),
) -> Vec<Summary> {
    let mut runs = vec![];
    for m in METHODS {
        for r in 0..REPEATS {
            let s = common::run(m, make(), |c| {
                c.budget = budget;
                c.max_steps = 0;
                c.seed = 1 + r as u64;
                c.data_seed = Some(1);
                edit(c);
            });
            runs.push(common::record(m, r, &s));
        }
    }
    LEVELS
        .iter()
        .map(|&tau| {
            let race: Race = serde_json::from_value(json!({"runs": runs, "tau": tau})).unwrap();
            let s = summarize(&race);
            println!(
                "{name}, τ = {tau}: {}",
                s.verdict.lines().next().unwrap_or("")
            );
            s
        })
        .collect()
}

fn check(name: &str, summaries: &[Summary]) {
    for (s, tau) in summaries.iter().zip(LEVELS) {
        let at = format!("{name}, τ = {tau}: {}", s.verdict);
        for m in &s.summary {
            for r in &m.runs {
                if let Some(b) = r.evals_to_target {
                    assert!(
                        b.hi / b.lo <= 1.2 + 1e-9,
                        "{}#{} {b:?}; {at}",
                        m.method,
                        r.repeat
                    );
                }
            }
        }
        let all_reached = |m: &&blackbox_playground::race::MethodSummary| {
            m.lost == 0 && m.evals_to_target.reached == m.repeats
        };
        if let Some(w) = &s.winner {
            let best = s
                .summary
                .iter()
                .filter(all_reached)
                .map(|m| m.evals_to_target.median)
                .fold(f64::INFINITY, f64::min);
            let mine = s.summary.iter().find(|m| &m.method == w).unwrap();
            if s.summary.iter().any(|m| all_reached(&m)) {
                assert_eq!(mine.evals_to_target.median, best, "{at}");
            }
        }
        // Tied methods overlap: none of them is clear of another.
        let tied: Vec<_> = s
            .summary
            .iter()
            .filter(|m| s.tied.contains(&m.method))
            .collect();
        for a in &tied {
            for b in &tied {
                if all_reached(a) && all_reached(b) {
                    assert!(
                        a.evals_to_target.hi >= b.evals_to_target.bracket_lo,
                        "{} is clear of {} yet tied; {at}",
                        a.method,
                        b.method
                    );
                }
            }
        }
    }
}

#[test]
fn the_smooth_preset_has_tight_brackets_and_a_verdict_that_agrees_with_them() {
    check("smooth", &survey("smooth", smooth_map, 30_000, |_| ()));
}

#[test]
fn the_pharmacokinetics_preset_has_tight_brackets_and_a_verdict_that_agrees_with_them() {
    check("pharma", &survey("pharma", pharma, 30_000, |_| ()));
}

#[test]
fn the_resonance_preset_has_tight_brackets_and_a_verdict_that_agrees_with_them() {
    check("resonance", &survey("resonance", resonance, 30_000, |_| ()));
}

#[test]
fn a_sixteen_parameter_curve_has_tight_brackets_and_a_verdict_that_agrees_with_them() {
    check(
        "curve 16",
        &survey("curve 16", || common::curve(16), 30_000, |_| ()),
    );
}

#[test]
fn the_forty_parameter_map_has_tight_brackets_and_a_verdict_that_agrees_with_them() {
    check(
        "coupled 40",
        &survey("coupled 40", || coupled_map(40), 40_000, |_| ()),
    );
}

/// Rosenbrock with its Jacobian, for the analytic gradient.
fn rosenbrock() -> FnBlackBox {
    common::rosenbrock()
        .with_jacobian(|_x, t, j| j.copy_from_slice(&[-20.0 * t[0], 10.0, -1.0, 0.0]))
}

#[test]
fn a_calibration_with_no_x_has_tight_brackets_and_a_verdict_that_agrees_with_them() {
    let start = |c: &mut RawConfig| {
        c.problem.theta0 = Some(vec![-1.2, 1.0]);
        c.optimizer.learning_rate = 0.02;
    };
    check(
        "rosenbrock",
        &survey("rosenbrock", rosenbrock, 20_000, start),
    );
}
