//! Calibration mode (`xDim: 0`): theta itself is learned, started at `problem.theta0`; every
//! method reaches the true theta of a noise-free F within 1%, and with no data F's outputs
//! are residuals driven to zero.

mod common;

use blackbox_playground::config::RawConfig;
use blackbox_playground::{Dims, FnBlackBox, Method, Session};
use common::{config, run_to_end};

const TIMES: usize = 12;
const TRUTH: [f64; 3] = [1.5, 0.3, 2.0];
/// cos is even in w: bounds keep w positive, so the calibration has one answer.
const BOUNDS: [(f64, f64); 3] = [(0.1, 5.0), (0.0, 2.0), (0.5, 4.0)];

/// A damped oscillation sampled at 12 times: `A exp(-d t) cos(w t)`, theta = (A, d, w).
fn oscillation() -> FnBlackBox {
    let t = |k: usize| 0.25 * k as f64;
    FnBlackBox::new(
        Dims {
            x: 0,
            theta: 3,
            y: TIMES,
        },
        move |_x, th, y| {
            for (k, yk) in y.iter_mut().enumerate() {
                *yk = th[0] * (-th[1] * t(k)).exp() * (th[2] * t(k)).cos();
            }
        },
    )
    .with_jacobian(move |_x, th, jac| {
        for k in 0..TIMES {
            let (e, c, s) = (
                (-th[1] * t(k)).exp(),
                (th[2] * t(k)).cos(),
                (th[2] * t(k)).sin(),
            );
            jac[k * 3] = e * c;
            jac[k * 3 + 1] = -t(k) * th[0] * e * c;
            jac[k * 3 + 2] = -t(k) * th[0] * e * s;
        }
    })
    .with_theta_true(|_x, th| th.copy_from_slice(&TRUTH))
}

fn calibrate(method: &str, bb: FnBlackBox, edit: impl FnOnce(&mut RawConfig)) -> Session {
    let dims = blackbox_playground::BlackBox::dims(&bb);
    let cfg = config(method, dims, |c| {
        c.problem.theta0 = Some(vec![1.0, 0.5, 1.7]);
        c.problem.theta_bounds = Some(BOUNDS.to_vec());
        c.data.noise = 0.0;
        c.max_steps = 0;
        edit(c);
    });
    let mut s = Session::new(cfg, Box::new(bb)).expect("session starts");
    run_to_end(&mut s);
    s
}

/// The theta a calibration ended at (the network's output: it has no input).
fn theta(s: &Session) -> Vec<f64> {
    let x = ndarray::Array2::<f64>::zeros((1, 0));
    s.policy().forward(x.view()).0.row(0).to_vec()
}

#[test]
fn a_calibration_starts_at_theta0_with_one_observation_and_no_network() {
    let bb = oscillation();
    let dims = blackbox_playground::BlackBox::dims(&bb);
    let cfg = config("exact", dims, |c| {
        c.problem.theta0 = Some(vec![1.0, 0.5, 1.7]);
        c.problem.theta_bounds = Some(BOUNDS.to_vec());
    });
    let s = Session::new(cfg, Box::new(bb)).unwrap();
    assert_eq!(s.data().x_train.dim(), (1, 0));
    assert_eq!(s.data().x_test.nrows(), 0);
    assert_eq!(
        s.policy().params().len(),
        3,
        "theta itself, no hidden layer"
    );
    let start = theta(&s);
    for (got, want) in start.iter().zip([1.0, 0.5, 1.7]) {
        assert!((got - want).abs() < 1e-12, "{start:?}");
    }
}

#[test]
fn every_method_reaches_the_true_theta_within_one_percent() {
    for m in Method::ALL {
        let s = calibrate(m.name(), oscillation(), |c| c.budget = 60_000);
        let got = theta(&s);
        let worst = got
            .iter()
            .zip(TRUTH)
            .map(|(g, t)| ((g - t) / t).abs())
            .fold(0.0, f64::max);
        eprintln!(
            "{}: theta {got:?}, worst relative error {worst:.2e}",
            m.name()
        );
        assert!(
            worst < 0.01,
            "{}: theta {got:?} against {TRUTH:?}",
            m.name()
        );
    }
}

#[test]
fn with_no_data_f_is_a_residual_driven_to_zero() {
    // Rosenbrock as residuals: r = (10 (t1 - t0^2), 1 - t0), minimum 0 at (1, 1).
    let rosenbrock = common::rosenbrock();
    let dims = blackbox_playground::BlackBox::dims(&rosenbrock);
    let cfg = config("central", dims, |c| {
        c.problem.theta0 = Some(vec![-1.2, 1.0]);
        c.budget = 40_000;
        c.max_steps = 0;
        c.optimizer.learning_rate = 0.02;
    });
    let mut s = Session::new(cfg, Box::new(rosenbrock)).unwrap();
    run_to_end(&mut s);
    let t = theta(&s);
    assert_eq!(s.data().y_train.row(0).to_vec(), vec![0.0, 0.0]);
    assert!(
        (t[0] - 1.0).abs() < 0.01 && (t[1] - 1.0).abs() < 0.02,
        "{t:?}"
    );
}

#[test]
fn the_reports_after_a_calibration_finish() {
    let mut s = calibrate("central", oscillation(), |c| c.budget = 3_000);
    let hs: Vec<f64> = (0..=24)
        .map(|i| 10f64.powf(-13.0 + i as f64 / 2.0))
        .collect();
    let sweep = s.step_sweep(&hs).expect("the sweep runs");
    assert_eq!(sweep.rows.len(), hs.len());
    let fit = s.fit_report().expect("the fit report runs");
    assert_eq!(fit.theta_learned.len(), 3);
}
