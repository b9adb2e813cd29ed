//! Learning-rate tuning: pilot runs over the grid around the shared rate, each on an equal
//! share of the stated pilot budget, then the run at the best pilot's rate; the record says
//! what was tried, what was chosen and what the pilots spent.

mod common;
use blackbox_playground::fixtures::resonance;
use blackbox_playground::session::{TunedRun, GRID_FACTORS};
use blackbox_playground::BlackBox;
use common::*;

fn tuned(method: &str, lr: f64) -> TunedRun {
    let cfg = config(method, resonance().dims(), |c| {
        c.tune = true;
        c.tune_share = 0.2;
        c.budget = 30_000;
        c.optimizer.learning_rate = lr;
    });
    let mut run = TunedRun::new(cfg, Box::new(|| Box::new(resonance()))).unwrap();
    let t = std::cell::Cell::new(0.0);
    let clock = || {
        t.set(t.get() + 1.0);
        t.get()
    };
    while !run.run_chunk(f64::INFINITY, u64::MAX, &clock).unwrap() {}
    run
}

#[test]
fn a_tuned_run_tries_the_grid_on_its_pilot_budget_and_runs_at_the_best_rate() {
    let run = tuned("joint", 0.01);
    let rec = run.tuning().expect("a tuning record");
    let want: Vec<f64> = GRID_FACTORS.iter().map(|f| 0.01 * f).collect();
    assert_eq!(rec.grid, want);
    assert_eq!(rec.scores.len(), 5);
    // The chosen rate is the grid's best pilot.
    let best = rec
        .grid
        .iter()
        .zip(&rec.scores)
        .filter_map(|(r, s)| s.map(|s| (r, s)))
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap();
    assert_eq!(rec.chosen, *best.0);
    // The pilots spent at most their share, and it is counted apart from the run's budget.
    assert!(
        rec.evals > 0 && rec.evals <= 6_000,
        "pilots spent {}",
        rec.evals
    );
    let s = run.session().expect("the run ran");
    assert_eq!(s.config().learning_rate, rec.chosen);
    assert!(s.learning_evals() <= 30_000);
    let (status, tuning) = run.status();
    assert_eq!(status.evals, s.learning_evals());
    assert!(tuning.is_some());
}

#[test]
fn a_bad_shared_rate_is_rescued_by_tuning() {
    // Ten times too small a rate: the grid reaches up to 10x, the default.
    let run = tuned("spsa", 0.001);
    let rec = run.tuning().unwrap();
    assert!(rec.chosen > 0.001, "chose {}", rec.chosen);
}
