//! Guided ES against ES on the 16-parameter curve, 5 seeds: the numbers in docs/methods.md.
//! Run by hand: `cargo test --release --test guided_es_report -- --ignored --nocapture`.

mod common;

use common::{curve, run};

#[test]
#[ignore = "a report for the docs, not a check"]
fn guided_es_against_es_on_the_16_parameter_curve() {
    println!("| seed | method | median gradient error | max gradient error | final loss |");
    println!("|---|---|---|---|---|");
    for seed in 1..=5 {
        for m in ["es", "guided-es"] {
            let s = run(m, curve(16), |c| {
                c.budget = 100_000;
                c.max_steps = 0;
                c.seed = seed;
            });
            let mut errs: Vec<f64> = s.history().iter().filter_map(|h| h.grad_rel_err).collect();
            errs.sort_by(f64::total_cmp);
            let median = errs[errs.len() / 2];
            let max = errs.last().copied().unwrap_or(f64::NAN);
            let last = s.history().last().unwrap().train_loss;
            println!("| {seed} | {m} | {median:.2} | {max:.2} | {last:.3e} |");
        }
    }
}
