//! Problems shared by the native tests, written as the user would write them in JS.
#![allow(dead_code, unused_imports)]

use blackbox_playground::config::RawConfig;
use blackbox_playground::{Dims, FnBlackBox, RunConfig, Session};
use std::f64::consts::PI;

pub use blackbox_playground::fixtures::smooth_map;

/// A curve renderer with `p` parameters: F samples `sum_j theta_j phi_j(s)` at 8 points,
/// with smooth bumps `phi_j`; theta depends on x. High-dimensional theta.
pub fn curve(p: usize) -> FnBlackBox {
    let m = 8;
    let basis = move |j: usize, s: f64| -> f64 {
        let c = j as f64 / (p - 1) as f64;
        (-((s - c) * (s - c)) / 0.02).exp()
    };
    FnBlackBox::new(
        Dims {
            x: 1,
            theta: p,
            y: m,
        },
        move |_x, t, y| {
            for (k, yk) in y.iter_mut().enumerate() {
                let s = k as f64 / (m - 1) as f64;
                *yk = (0..p).map(|j| t[j] * basis(j, s)).sum::<f64>().tanh();
            }
        },
    )
    .with_jacobian(move |_x, t, jac| {
        for k in 0..m {
            let s = k as f64 / (m - 1) as f64;
            let y = (0..p).map(|j| t[j] * basis(j, s)).sum::<f64>().tanh();
            for j in 0..p {
                jac[k * p + j] = (1.0 - y * y) * basis(j, s);
            }
        }
    })
    .with_theta_true(move |x, t| {
        for (j, tj) in t.iter_mut().enumerate() {
            *tj = 0.5 * (PI * (x[0] + j as f64 / p as f64)).sin();
        }
    })
}

/// A piecewise-constant F: the smooth map's output rounded to steps of 0.05, so every
/// finite difference with a tiny step sees zero.
pub fn rounded_map() -> FnBlackBox {
    let q = 0.05;
    FnBlackBox::new(
        Dims {
            x: 2,
            theta: 3,
            y: 2,
        },
        move |x, t, y| {
            y[0] = ((t[0] + t[1] * x[0]) / q).round() * q;
            y[1] = ((t[2] * (0.5 * t[0]).exp()) / q).round() * q;
        },
    )
    .with_theta_true(|x, t| {
        t[0] = (PI * x[0]).sin();
        t[1] = 0.5 * (PI * x[1]).cos();
        t[2] = x[0] * x[1];
    })
}

/// A config for `method` on a problem of these dims; `edit` changes the raw settings.
pub fn config(method: &str, dims: Dims, edit: impl FnOnce(&mut RawConfig)) -> RunConfig {
    let mut raw = RawConfig {
        method: method.into(),
        ..RawConfig::default()
    };
    raw.problem.x_dim = Some(dims.x);
    raw.problem.theta_dim = Some(dims.theta);
    raw.problem.y_dim = Some(dims.y);
    edit(&mut raw);
    RunConfig::from_raw(raw).expect("valid test config")
}

/// A fake clock: every call advances one millisecond, so runs never stop on time.
pub fn run_to_end(session: &mut Session) {
    let t = std::cell::Cell::new(0.0);
    let clock = || {
        t.set(t.get() + 1.0);
        t.get()
    };
    while !session
        .run_chunk(f64::INFINITY, u64::MAX, &clock)
        .expect("run without errors")
    {}
}

/// Runs `method` on `bb` to the end and returns the session.
pub fn run(method: &str, bb: FnBlackBox, edit: impl FnOnce(&mut RawConfig)) -> Session {
    let dims = blackbox_playground::BlackBox::dims(&bb);
    let cfg = config(method, dims, edit);
    let mut s = Session::new(cfg, Box::new(bb)).expect("session starts");
    run_to_end(&mut s);
    s
}

pub fn first_loss(s: &Session) -> f64 {
    s.history().first().unwrap().train_loss
}
pub fn final_loss(s: &Session) -> f64 {
    s.history().last().unwrap().train_loss
}

/// Learning evaluations at the first log point whose train loss is at most `target`.
pub fn evals_to_reach(s: &Session, target: f64) -> Option<u64> {
    s.history()
        .iter()
        .find(|h| h.train_loss <= target)
        .map(|h| h.evals)
}

/// A quadratic in theta: `F_k(theta) = 0.5 theta^T A_k theta + b_k^T theta` (two outputs),
/// on which the smoothed gradient equals the true gradient. Six parameters.
#[allow(clippy::needless_range_loop)] // index notation mirrors the formula
pub fn quadratic() -> FnBlackBox {
    let p = 6;
    let a = |k: usize, i: usize, j: usize| {
        ((i + 1) * (j + 2) + k) as f64 / 10.0 * if i == j { 2.0 } else { 0.3 }
    };
    let a2 = a;
    FnBlackBox::new(
        Dims {
            x: 1,
            theta: p,
            y: 2,
        },
        move |_x, t, y| {
            for (k, yk) in y.iter_mut().enumerate() {
                let mut v = 0.0;
                for i in 0..p {
                    for j in 0..p {
                        v += 0.5 * t[i] * a(k, i, j) * t[j];
                    }
                    v += (i as f64 - 2.0 + k as f64) * t[i];
                }
                *yk = v;
            }
        },
    )
    .with_jacobian(move |_x, t, jac| {
        for k in 0..2 {
            for i in 0..p {
                let mut d = i as f64 - 2.0 + k as f64;
                for j in 0..p {
                    d += 0.5 * (a2(k, i, j) + a2(k, j, i)) * t[j];
                }
                jac[k * p + i] = d;
            }
        }
    })
}

/// A run as `results.json` holds it (the fields the race summary reads).
pub fn record(method: &str, repeat: u32, s: &Session) -> serde_json::Value {
    let history: Vec<serde_json::Value> = s
        .history()
        .iter()
        .map(|h| serde_json::json!({"step": h.step, "evals": h.evals, "trainLoss": h.train_loss, "wallMs": h.wall_ms}))
        .collect();
    serde_json::json!({"method": method, "repeat": repeat, "history": history,
           "final": {"stopReason": "budget", "evals": s.learning_evals()}})
}

/// Rosenbrock's function as residuals, `(10 (θ1 − θ0²), 1 − θ0)`, with no x: minimum 0 at
/// (1, 1); the standard start is (−1.2, 1).
pub fn rosenbrock() -> FnBlackBox {
    FnBlackBox::new(
        Dims {
            x: 0,
            theta: 2,
            y: 2,
        },
        |_x, t, r| {
            r[0] = 10.0 * (t[1] - t[0] * t[0]);
            r[1] = 1.0 - t[0];
        },
    )
}
