//! An F that fails on part of theta space, as real solvers do: with "When F fails: skip the
//! sample" training goes on where F works (failed samples dropped and counted, a step whose
//! samples all fail retried with a new minibatch); without it, the run ends with F's error.

mod common;

use blackbox_playground::{Dims, FnBlackBox, Session};
use common::{config, final_loss, first_loss, run_to_end};

/// An equilibrium `y^3 + a y = theta1 + x`, solved by Newton, reported as
/// `[sqrt(a) y, y + theta1]`: NaN for a < 0 (the square root), and NaN where the solve does
/// not converge.
fn newton(a: f64, theta1: f64, x: f64, out: &mut [f64]) {
    let mut y = 0.0;
    for _ in 0..60 {
        let r = y * y * y + a * y - theta1 - x;
        if r.abs() < 1e-12 {
            out[0] = a.sqrt() * y;
            out[1] = y + theta1;
            return;
        }
        y -= r / (3.0 * y * y + a);
    }
    out.iter_mut().for_each(|v| *v = f64::NAN);
}

/// The equilibrium with `a = theta0 + shift`, whose solve we make fail in a band
/// 0.15 < theta0 < 0.18, as a resonance would.
fn equilibrium_with(shift: f64) -> FnBlackBox {
    FnBlackBox::new(
        Dims {
            x: 1,
            theta: 2,
            y: 2,
        },
        move |x, t, out| {
            if t[0] > 0.15 && t[0] < 0.18 {
                return out.iter_mut().for_each(|v| *v = f64::NAN);
            }
            newton(t[0] + shift, t[1], x[0], out);
        },
    )
    .with_theta_true(|x, t| {
        t[0] = 0.5 + 0.3 * x[0];
        t[1] = x[0] * x[0];
    })
}

/// NaN for theta0 < 0 and in the band.
fn equilibrium() -> FnBlackBox {
    equilibrium_with(0.0)
}

/// As a new user wrote it (`failing-band.js`): `a = theta0 + 0.3`, so theta0 may go a
/// little below 0.
fn failing_band() -> FnBlackBox {
    equilibrium_with(0.3)
}

fn session_on(method: &str, skip: bool, bb: FnBlackBox) -> Session {
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
    Session::new(cfg, Box::new(bb)).expect("the data are made where F works")
}

/// Without skipping, the failure ends the run; with it, the method trains to below a fifth of
/// its first loss on the budget, with samples skipped.
fn trains_through_failures(method: &str, bb: fn() -> FnBlackBox) {
    let mut stop = session_on(method, false, bb());
    let mut ended = Ok(false);
    while matches!(ended, Ok(false)) {
        ended = stop.run_chunk(f64::INFINITY, u64::MAX, &|| 0.0);
    }
    assert!(
        ended.is_err(),
        "{method}: without skipping, the failure ends the run"
    );

    let mut skip = session_on(method, true, bb());
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

#[test]
fn with_skip_a_method_trains_through_an_f_that_fails_on_part_of_theta_space() {
    for method in ["central", "spsa", "surrogate"] {
        trains_through_failures(method, equilibrium);
    }
}

/// The joint surrogate on the equilibrium with NaN below theta0 = 0 moves every sample's
/// theta there in its first steps (its early F~ knows nothing of the edge) and then has no
/// loss to measure; on the new user's version, where theta0 may go a little below 0, it
/// trains through the band like the others.
#[test]
fn with_skip_the_joint_surrogate_trains_through_a_failing_band() {
    trains_through_failures("joint", failing_band);
}
