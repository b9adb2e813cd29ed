//! The race summary and its verdict: a clear winner is named, overlapping ranges tie, a race
//! where everything failed says so, and one run per method never crowns anyone.

use blackbox_playground::race::{bracket, spread, summarize, Bracket, Race, Rule};
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
        s.verdict.starts_with("Converged means a training loss at most 5% of its start; methods are ranked by the F-evaluations of the first log point past it"),
        "{}",
        s.verdict
    );
    assert!(
        s.verdict
            .contains("Analytic gradient wins: it converged in"),
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
fn evaluations_to_converge_are_the_bracket_of_log_points_around_the_crossing_never_interpolated() {
    let r: blackbox_playground::race::Run = serde_json::from_value(json!({"method": "es",
        "history": [{"evals": 0, "trainLoss": 1.0}, {"evals": 1000, "trainLoss": 0.1}, {"evals": 2000, "trainLoss": 0.0}]})).unwrap();
    // 0.05 lies between 0.1 (at 1000) and 0.0 (at 2000): the bracket is [1000, 2000].
    let fixed = Rule::Fixed { target: 0.05 };
    assert_eq!(
        bracket(&r, fixed).map(|b| b.0),
        Some(Bracket {
            lo: 1000.0,
            hi: 2000.0
        })
    );
    // Relative to a race best of 0.0 at tau = 0.1: goal 0.1, met at 1000.
    let rel = Rule::Relative {
        tau: 0.1,
        best: 0.0,
    };
    assert_eq!(
        bracket(&r, rel).map(|b| b.0),
        Some(Bracket {
            lo: 0.0,
            hi: 1000.0
        })
    );
    let s = spread(&[3.0, 1.0, 2.0]);
    assert_eq!((s.lo, s.median, s.hi), (1.0, 2.0, 3.0));
    let s = spread(&[1.0, 2.0, 3.0, 4.0, 5.0]);
    assert_eq!((s.lo, s.median, s.hi), (2.0, 3.0, 4.0));
}

#[test]
fn a_crossing_between_two_consecutive_steps_is_known_exactly() {
    // Steps 4 and 5 are logged one after the other: the network first met the goal at the end
    // of step 5, at 1440 evaluations, whatever the gap to 1152. Steps 5 and 9 are not.
    let of = |steps: [u64; 3]| -> blackbox_playground::race::Run {
        serde_json::from_value(json!({"method": "central", "history": [
            {"step": steps[0], "evals": 0, "trainLoss": 1.0},
            {"step": steps[1], "evals": 1152, "trainLoss": 0.5},
            {"step": steps[2], "evals": 1440, "trainLoss": 0.01}]}))
        .unwrap()
    };
    let fixed = Rule::Fixed { target: 0.05 };
    let at = |b: Option<(Bracket, usize)>| b.map(|b| (b.0.lo, b.0.hi));
    assert_eq!(at(bracket(&of([0, 4, 5]), fixed)), Some((1440.0, 1440.0)));
    assert_eq!(at(bracket(&of([0, 5, 9]), fixed)), Some((1152.0, 1440.0)));
}

#[test]
fn the_relative_rule_measures_every_run_against_the_lowest_loss_of_the_race() {
    let mut runs = vec![];
    for r in 0..3 {
        runs.push(run("exact", r, 0.5, json!({})));
        runs.push(run("central", r, 0.8, json!({})));
    }
    let mut race = race(runs);
    race.tau = Some(0.01);
    let s = summarize(&race);
    // f_L = 0.5^20; exact gets within 1% of the way at 0.5^i <= f_L + 0.01 (1 - f_L): i = 7.
    match s.rule {
        Rule::Relative { tau, best } => assert_eq!((tau, best), (0.01, 0.5f64.powi(20))),
        r => panic!("{r:?}"),
    }
    let exact = &s.summary[0];
    assert_eq!(exact.evals_to_target.median, 7000.0);
    assert_eq!(exact.evals_to_target.bracket_lo, 6000.0);
    assert!(s.verdict.starts_with("Converged means a training loss within τ = 0.01 of the way from its start to the race's best"), "{}", s.verdict);
    assert_eq!(s.winner.as_deref(), Some("exact"), "{}", s.verdict);
    // The data profile of a method that converged in every repeat reaches 1.
    let p = s.profiles.iter().find(|p| p.method == "exact").unwrap();
    assert_eq!(p.points, vec![[7000.0, 1.0]]);
}

#[test]
fn methods_that_converged_between_the_same_two_log_points_tie() {
    // Both cross within the interval (3000, 4000]: no winner, whatever the interpolation says.
    let mut runs = vec![];
    for r in 0..5 {
        runs.push(run("forward", r, 0.45, json!({})));
        runs.push(run("central", r, 0.47, json!({})));
    }
    let s = summarize(&race(runs));
    assert_eq!(s.winner, None, "{}", s.verdict);
    assert_eq!(s.tied.len(), 2, "{}", s.verdict);
}

#[test]
fn another_method_ending_clearly_lower_gets_its_own_sentence() {
    let mut runs = vec![];
    for r in 0..3 {
        // exact gets to 5% first but stops improving; spsa ends far lower.
        let fast: Vec<_> = (0..=20)
            .map(|i| json!({"evals": i * 1000, "trainLoss": if i < 5 { 0.5f64.powi(i) } else { 0.04 }}))
            .collect();
        let slow: Vec<_> = (0..=20)
            .map(|i| json!({"evals": i * 1000, "trainLoss": 0.7f64.powi(i)}))
            .collect();
        let fin = json!({"outcome": "reached", "stopReason": "budget"});
        runs.push(json!({"method": "exact", "repeat": r, "history": fast, "final": fin}));
        runs.push(json!({"method": "spsa", "repeat": r, "history": slow, "final": fin}));
    }
    let s = summarize(&race(runs));
    assert_eq!(s.winner.as_deref(), Some("exact"), "{}", s.verdict);
    assert!(
        s.verdict
            .contains("SPSA ended with a clearly lower final loss"),
        "{}",
        s.verdict
    );
}

#[test]
fn a_winner_whose_own_work_outweighs_f_is_told_what_f_would_have_to_cost() {
    let mut runs = vec![];
    for r in 0..3 {
        // joint: 8k evaluations at 1 ms of its own each; central: 14k at 0.01 ms; F 0.02 ms.
        let slow = json!({"wallMs": 8000.0 * 1.02, "fMs": 8000.0 * 0.02, "fRows": 8000.0, "evals": 8000.0});
        let fast = json!({"wallMs": 14000.0 * 0.03, "fMs": 14000.0 * 0.02, "fRows": 14000.0, "evals": 14000.0});
        let mut a = run("joint", r, 0.6, json!({}));
        a["final"]
            .as_object_mut()
            .unwrap()
            .extend(slow.as_object().unwrap().clone());
        let mut b = run("central", r, 0.8, json!({}));
        b["final"]
            .as_object_mut()
            .unwrap()
            .extend(fast.as_object().unwrap().clone());
        runs.push(a);
        runs.push(b);
    }
    let s = summarize(&race(runs));
    assert_eq!(s.winner.as_deref(), Some("joint"), "{}", s.verdict);
    assert!(s.time_note.starts_with("Joint surrogate wins on F-evaluations, but its own work is 1.000 ms per evaluation against F's 20.0 µs a call: F would have to cost more than"), "{}", s.time_note);
    assert!(
        !s.verdict.contains("µs"),
        "the verdict itself has no clock in it: {}",
        s.verdict
    );
    let j = &s.summary[0];
    assert!((j.own_ms_per_eval.median - 1.0).abs() < 1e-9);
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
    let want = "Joint surrogate wins: it converged in 5.0k F-evaluations (";
    assert!(s.verdict.contains(want), "{}", s.verdict);
    assert!(
        s.verdict
            .ends_with("no other method converged in every run."),
        "{}",
        s.verdict
    );
}

/// The page's races come with their log points apart, as numbers (a Float64Array): each keeps
/// every bit (17 significant digits, subnormals), NaN is a missing value, and each run takes
/// its own count of points in order.
#[test]
fn log_points_given_apart_fill_each_run_bit_for_bit() {
    use blackbox_playground::race::fill_histories;
    let mut r = race(vec![
        run("central", 0, 0.5, json!({})),
        run("spsa", 0, 0.7, json!({})),
    ]);
    let points = [
        100.0,
        0.0013604897035017303,
        1.5, //
        200.0,
        0.30000000000000004,
        f64::NAN, //
        300.0,
        5e-324,
        2.5, // the second run's
    ];
    fill_histories(&mut r.runs, &[2, 1], &points);
    let losses = |i: usize| {
        r.runs[i]
            .history
            .iter()
            .map(|p| p.train_loss)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        losses(0),
        [Some(0.0013604897035017303), Some(0.30000000000000004)]
    );
    assert_eq!(losses(1), [Some(5e-324)]);
    assert_eq!(r.runs[0].history[1].wall_ms, None);
    assert_eq!(r.runs[1].history[0].evals, 300.0);
    // The summary's rule judges against the race's own best loss, to the last bit.
    let s = summarize(&Race {
        tau: Some(0.01),
        ..r
    });
    assert!(
        matches!(s.rule, Rule::Relative { best, .. } if best == 5e-324),
        "{:?}",
        s.rule
    );
}
