//! The race summary and its verdict: a clear winner is named, overlapping ranges tie, a race
//! where everything failed says so, and one run per method never crowns anyone.

use blackbox_playground::race::{evals_to_target, spread, summarize, Race};
use serde_json::json;

/// A run whose loss halves every 1000 evaluations from 1, then stays put after `steps`
/// log points; `ratio` < 1 learns faster.
fn run(method: &str, repeat: u32, ratio: f64, extra: serde_json::Value) -> serde_json::Value {
    let history: Vec<_> = (0..=20)
        .map(|i| json!({"evals": i * 1000, "trainLoss": ratio.powi(i)}))
        .collect();
    let mut r = json!({"method": method, "repeat": repeat, "history": history,
        "final": {"outcome": "reached", "stopReason": "budget"}, "error": null});
    if let (Some(o), Some(e)) = (r.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            o.insert(k.clone(), v.clone());
        }
    }
    r
}

fn race(runs: Vec<serde_json::Value>) -> Race {
    serde_json::from_value(json!({"target": 0.05, "runs": runs})).unwrap()
}

#[test]
fn a_method_clear_of_the_runner_up_is_named_the_winner() {
    let mut runs = vec![];
    for r in 0..3 {
        runs.push(run("exact", r, 0.5 - 0.01 * r as f64, json!({})));
        runs.push(run("central", r, 0.8 - 0.01 * r as f64, json!({})));
    }
    let s = summarize(&race(runs));
    assert_eq!(s.winner.as_deref(), Some("exact"), "{}", s.verdict);
    assert!(
        s.verdict
            .starts_with("Analytic gradient wins: it reached the target (5% of its start) in"),
        "{}",
        s.verdict
    );
    assert!(
        s.verdict.contains("clear of Central differences"),
        "{}",
        s.verdict
    );
    let exact = &s.summary[0];
    let t = exact.evals_to_target;
    assert_eq!((exact.repeats, t.reached), (3, 3));
    assert!(t.lo <= t.median && t.median <= t.hi);
    // Each method's band: median inside [lo, hi] at every point.
    for b in &s.bands {
        assert!(b.points.iter().all(|p| p[2] <= p[1] && p[1] <= p[3]));
    }
}

#[test]
fn overlapping_ranges_are_a_tie() {
    let mut runs = vec![];
    for (r, (a, b)) in [(0.5, 0.55), (0.6, 0.52), (0.56, 0.58)]
        .into_iter()
        .enumerate()
    {
        runs.push(run("spsa", r as u32, a, json!({})));
        runs.push(run("es", r as u32, b, json!({})));
    }
    let s = summarize(&race(runs));
    assert_eq!(s.winner, None, "{}", s.verdict);
    assert_eq!(s.tied.len(), 2);
    assert!(
        s.verdict.contains("tie: their ranges overlap"),
        "{}",
        s.verdict
    );
}

#[test]
fn a_race_where_every_method_failed_or_diverged_has_no_winner() {
    let runs = vec![
        run(
            "spsa",
            0,
            0.5,
            json!({"final": {"outcome": "diverged", "stopReason": "diverged"}}),
        ),
        run("es", 0, 0.6, json!({"error": "F threw at x=[1]"})),
    ];
    let s = summarize(&race(runs));
    assert_eq!(s.winner, None);
    assert!(
        s.verdict
            .starts_with("Every method failed or diverged: there is no winner."),
        "{}",
        s.verdict
    );
}

#[test]
fn repeats_that_logged_nothing_do_not_make_a_range() {
    // Three repeats of each, but only one of each logged a loss (the others were stopped).
    let empty = |m: &str, r| json!({"method": m, "repeat": r, "history": [], "final": {"stopReason": "stopped"}, "error": null});
    let runs = vec![
        run("exact", 0, 0.5, json!({})),
        empty("exact", 1),
        empty("exact", 2),
        run("central", 0, 0.8, json!({})),
        empty("central", 1),
        empty("central", 2),
    ];
    let s = summarize(&race(runs));
    assert_eq!(s.winner, None, "{}", s.verdict);
    assert!(
        s.verdict.contains("set Repeats to 3 or more"),
        "{}",
        s.verdict
    );
}

#[test]
fn one_run_per_method_crowns_nobody() {
    let s = summarize(&race(vec![
        run("exact", 0, 0.5, json!({})),
        run("central", 0, 0.8, json!({})),
    ]));
    assert_eq!(s.winner, None);
    assert!(
        s.verdict.contains("set Repeats to 3 or more"),
        "{}",
        s.verdict
    );
}

#[test]
fn evaluations_to_the_target_are_interpolated_between_log_points() {
    let r: blackbox_playground::race::Run = serde_json::from_value(json!({"method": "es",
        "history": [{"evals": 0, "trainLoss": 1.0}, {"evals": 1000, "trainLoss": 0.1}, {"evals": 2000, "trainLoss": 0.0}]})).unwrap();
    // 0.05 lies halfway between 0.1 (at 1000) and 0.0 (at 2000).
    assert_eq!(evals_to_target(&r, 0.05), Some(1500.0));
    let s = spread(&[3.0, 1.0, 2.0]);
    assert_eq!((s.lo, s.median, s.hi), (1.0, 2.0, 3.0));
    let s = spread(&[1.0, 2.0, 3.0, 4.0, 5.0]);
    assert_eq!((s.lo, s.median, s.hi), (2.0, 3.0, 4.0));
}

#[test]
fn the_only_method_to_reach_the_target_says_the_others_did_not() {
    let mut runs = vec![];
    for r in 0..3 {
        runs.push(run("joint", r, 0.5 - 0.01 * r as f64, json!({})));
        // Halves far too slowly to reach 5% in 20 log points.
        runs.push(run("spsa", r, 0.97, json!({})));
    }
    let s = summarize(&race(runs));
    assert_eq!(s.winner.as_deref(), Some("joint"), "{}", s.verdict);
    let want =
        "Joint surrogate wins: it reached the target (5% of its start) in 4.3k F-evaluations (";
    assert!(s.verdict.starts_with(want), "{}", s.verdict);
    assert!(
        s.verdict
            .ends_with("no other method reached it in every run."),
        "{}",
        s.verdict
    );
}
