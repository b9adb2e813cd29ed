//! An F that fails on part of theta space, as real solvers do: with "When F fails: skip the
//! sample" training goes on where F works (failed samples dropped and counted, a step whose
//! samples all fail retried with a new minibatch); without it, the run ends with F's error.

mod common;

use blackbox_playground::{Dims, FnBlackBox, Session};
use common::{config, final_loss, first_loss, run_to_end};

/// An equilibrium `y^3 + theta0 y = theta1 + x`, solved by Newton, reported as
/// `[sqrt(theta0) y, y + theta1]`: NaN for theta0 < 0 (the square root), and NaN where the
/// solve does not converge, which we make happen in a band 0.15 < theta0 < 0.18.
fn equilibrium() -> FnBlackBox {
    FnBlackBox::new(
        Dims {
            x: 1,
            theta: 2,
            y: 2,
        },
        |x, t, out| {
            let fail = |out: &mut [f64]| out.iter_mut().for_each(|v| *v = f64::NAN);
            if t[0] > 0.15 && t[0] < 0.18 {
                return fail(out);
            }
            let mut y = 0.0;
            for _ in 0..60 {
                let r = y * y * y + t[0] * y - t[1] - x[0];
                if r.abs() < 1e-12 {
                    out[0] = t[0].sqrt() * y;
                    out[1] = y + t[1];
                    return;
                }
                y -= r / (3.0 * y * y + t[0]);
            }
            fail(out)
        },
    )
    .with_theta_true(|x, t| {
        t[0] = 0.5 + 0.3 * x[0];
        t[1] = x[0] * x[0];
    })
}

fn session(method: &str, skip: bool) -> Session {
    let cfg = config(
        method,
        Dims {
            x: 1,
            theta: 2,
            y: 2,
        },
        |c| {
            c.budget = 60_000;
            c.max_steps = 0;
            c.on_failure = if skip { "skip" } else { "stop" }.into();
        },
    );
    Session::new(cfg, Box::new(equilibrium())).expect("the data are made where F works")
}

#[test]
fn with_skip_a_method_trains_through_an_f_that_fails_on_part_of_theta_space() {
    for method in ["central", "spsa", "surrogate"] {
        let mut stop = session(method, false);
        let mut ended = Ok(false);
        while matches!(ended, Ok(false)) {
            ended = stop.run_chunk(f64::INFINITY, u64::MAX, &|| 0.0);
        }
        assert!(
            ended.is_err(),
            "{method}: without skipping, the failure ends the run"
        );

        let mut skip = session(method, true);
        run_to_end(&mut skip);
        let status = skip.status();
        assert_eq!(status.stop_reason, Some("budget"), "{method}: {status:?}");
        assert!(status.skipped > 0, "{method}: {status:?}");
        assert!(
            final_loss(&skip) < first_loss(&skip) / 5.0,
            "{method}: {} -> {}",
            first_loss(&skip),
            final_loss(&skip)
        );
    }
}
