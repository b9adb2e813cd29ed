//! The two-stage surrogate on an F exponential in theta: it reaches 5% of its start within
//! 30% of the budget.

mod common;

use blackbox_playground::{Dims, FnBlackBox};
use common::{evals_to_reach, first_loss, run};

/// A sum of exponentials at four times: `exp(theta0 + theta1 t) + exp(theta2)`, so F's
/// scale changes by orders of magnitude across theta.
fn exponential() -> FnBlackBox {
    FnBlackBox::new(
        Dims {
            x: 2,
            theta: 3,
            y: 4,
        },
        |_x, t, y| {
            for (k, yk) in y.iter_mut().enumerate() {
                let tk = k as f64 / 3.0;
                *yk = (t[0] + t[1] * tk).exp() + t[2].exp();
            }
        },
    )
    .with_theta_true(|x, t| {
        t[0] = 0.5 * x[0];
        t[1] = 1.0 + 0.5 * x[1];
        t[2] = -0.5 + x[0] * x[1];
    })
}

#[test]
fn the_two_stage_surrogate_reaches_five_percent_within_thirty_percent_of_the_budget() {
    for seed in 1..=3 {
        let budget = 200_000;
        let s = run("surrogate", exponential(), |c| {
            c.budget = budget;
            c.max_steps = 0;
            c.seed = seed;
        });
        let at = evals_to_reach(&s, 0.05 * first_loss(&s));
        assert!(
            at.is_some_and(|e| e as f64 <= 0.3 * budget as f64),
            "seed {seed}: 5% of the start at {at:?} of {budget}"
        );
    }
}
