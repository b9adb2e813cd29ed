//! Verdicts on real runs: log points dense enough that every converged run's bracket is at
//! most 20% wide, and a method that needs 1.75x fewer evaluations for the same steps is named
//! the winner with Repeats 5.

mod common;

use blackbox_playground::race::{summarize, Race};
use blackbox_playground::Session;
use common::{run, smooth_map};
use serde_json::json;

fn race_of(methods: &[&str], repeats: u32, budget: u64, tau: f64) -> Race {
    let mut runs = vec![];
    for &m in methods {
        for r in 0..repeats {
            let s = run(m, smooth_map(), |c| {
                c.budget = budget;
                c.max_steps = 0;
                c.seed = 1 + r as u64;
                c.data_seed = Some(1);
            });
            runs.push(common::record(m, r, &s));
        }
    }
    serde_json::from_value(json!({"runs": runs, "tau": tau})).unwrap()
}

#[test]
fn forward_differences_beat_central_by_their_cost_per_step_and_every_bracket_is_tight() {
    // On a smooth F both follow nearly the same steps; central pays 2p + 1 = 7 evaluations a
    // sample where forward pays p + 1 = 4.
    let race = race_of(&["central", "forward"], 5, 200_000, 0.01);
    let s = summarize(&race);
    assert_eq!(s.winner.as_deref(), Some("forward"), "{}", s.verdict);
    let (c, f) = (&s.summary[0], &s.summary[1]);
    let ratio = c.evals_to_target.median / f.evals_to_target.median;
    assert!(
        (1.5..2.1).contains(&ratio),
        "central/forward = {ratio}: {}",
        s.verdict
    );
    for m in &s.summary {
        assert_eq!(m.evals_to_target.reached, 5, "{}", s.verdict);
        for r in &m.runs {
            let b = r.evals_to_target.expect("converged");
            assert!(
                b.hi / b.lo <= 1.2,
                "{} repeat {}: {b:?}",
                m.method,
                r.repeat
            );
        }
    }
}

#[test]
fn stop_logs_a_final_point_so_a_stopped_run_is_judged_where_it_stopped() {
    let bb = smooth_map();
    let dims = blackbox_playground::BlackBox::dims(&bb);
    let cfg = common::config("central", dims, |c| c.max_steps = 0);
    let mut s = Session::new(cfg, Box::new(bb)).unwrap();
    let t = std::cell::Cell::new(0.0);
    let clock = || {
        t.set(t.get() + 1.0);
        t.get()
    };
    // Steps past the first log points, then stop between two log points.
    s.run_chunk(f64::INFINITY, 40, &clock).unwrap();
    let steps = s.steps();
    assert!(
        s.history().last().unwrap().step < steps,
        "stopped between log points"
    );
    s.stop();
    assert_eq!(s.history().last().unwrap().step, steps);
    assert_eq!(
        s.stop_reason(),
        Some(blackbox_playground::StopReason::Stopped)
    );
}

#[test]
fn central_differences_on_a_staircase_stall_rather_than_improve() {
    let s = run("central", common::rounded_map(), |c| {
        c.budget = 20_000;
        c.max_steps = 0;
    });
    let (outcome, why) = s.outcome().unwrap();
    assert_eq!(outcome, blackbox_playground::Outcome::Stalled, "{why}");
}
