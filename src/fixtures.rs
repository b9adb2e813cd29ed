//! Test problems written in Rust as a user would write them in JavaScript: the default
//! preset's smooth map, and an F that fails. For the native tests and the native benchmark
//! only (the `fixtures` feature, on natively by default, off in the wasm builds).

use crate::problem::{Dims, EvalError, FnBlackBox};

impl FnBlackBox {
    /// An F that fails (tests of error paths).
    pub fn failing(dims: Dims, message: &str) -> Self {
        let message = message.to_string();
        FnBlackBox {
            dims,
            f: Box::new(move |_, _, _| Err(EvalError(message.clone()))),
            df: None,
            theta_true: None,
        }
    }
}

/// The page's default preset (DESIGN.md's example, `smooth` in www/presets.js) in Rust, with
/// dF and thetaTrue: the fixed task of the native tests and the native benchmark.
pub fn smooth_map() -> FnBlackBox {
    FnBlackBox::new(
        Dims {
            x: 2,
            theta: 3,
            y: 2,
        },
        |x, t, y| {
            y[0] = t[0] + t[1] * x[0];
            y[1] = t[2] * (0.5 * t[0]).exp();
        },
    )
    .with_jacobian(|x, t, j| {
        let e = (0.5 * t[0]).exp();
        j.copy_from_slice(&[1.0, x[0], 0.0, 0.5 * t[2] * e, 0.0, e]);
    })
    .with_theta_true(|x, t| {
        t[0] = (std::f64::consts::PI * x[0]).sin();
        t[1] = 0.5 * (std::f64::consts::PI * x[1]).cos();
        t[2] = x[0] * x[1];
    })
}

/// The `pharma` preset of www/presets.js in Rust: a one-compartment drug model (the Bateman
/// function) at six sampling times; theta = log absorption gap, log elimination, log volume.
pub fn pharma() -> FnBlackBox {
    const TIMES: [f64; 6] = [0.5, 1.0, 2.0, 4.0, 8.0, 12.0];
    const DOSE: f64 = 100.0;
    let rates = |t: &[f64]| {
        let ke = 0.15 * t[1].exp();
        let gap = t[0].exp();
        (ke, gap, ke + gap, 30.0 * t[2].exp())
    };
    FnBlackBox::new(
        Dims {
            x: 2,
            theta: 3,
            y: 6,
        },
        move |_x, t, y| {
            let (ke, gap, ka, v) = rates(t);
            for (yk, tk) in y.iter_mut().zip(TIMES) {
                *yk = 0.5 * (DOSE / v) * (ka / gap) * ((-ke * tk).exp() - (-ka * tk).exp());
            }
        },
    )
    .with_jacobian(move |_x, t, jac| {
        let (ke, gap, ka, v) = rates(t);
        let k = 0.5 * DOSE / v;
        for (r, tk) in TIMES.iter().enumerate() {
            let (eke, eka) = ((-ke * tk).exp(), (-ka * tk).exp());
            let g = eke - eka;
            let c = k * (ka / gap) * g;
            let d_gap = k * (-ke / (gap * gap) * g + (ka / gap) * tk * eka);
            let d_ke = k * (g / gap + (ka / gap) * (tk * eka - tk * eke));
            jac[r * 3] = gap * d_gap;
            jac[r * 3 + 1] = ke * d_ke;
            jac[r * 3 + 2] = -c;
        }
    })
    .with_theta_true(|x, t| {
        t[0] = 0.3 * x[0] * x[1];
        t[1] = 0.5 * x[1];
        t[2] = 0.4 * x[0];
    })
}

/// The `resonance` preset of www/presets.js in Rust: the amplitude of a driven spring-mass
/// system at 12 frequencies; theta = log stiffness, log damping. Ill-conditioned.
pub fn resonance() -> FnBlackBox {
    const FREQS: [f64; 12] = [0.4, 0.6, 0.8, 0.9, 0.95, 1.0, 1.05, 1.1, 1.2, 1.4, 1.7, 2.0];
    FnBlackBox::new(
        Dims {
            x: 2,
            theta: 2,
            y: 12,
        },
        |x, t, y| {
            let m = 1.0 + 0.2 * x[1];
            let (k, c) = (t[0].exp(), 0.3 * t[1].exp());
            for (yk, w) in y.iter_mut().zip(FREQS) {
                let (re, im) = (k - m * w * w, c * w);
                *yk = 0.3 / (re * re + im * im).sqrt();
            }
        },
    )
    .with_jacobian(|x, t, jac| {
        let m = 1.0 + 0.2 * x[1];
        let (k, c) = (t[0].exp(), 0.3 * t[1].exp());
        for (r, w) in FREQS.iter().enumerate() {
            let (re, im) = (k - m * w * w, c * w);
            let d2 = re * re + im * im;
            let a = 0.3 / d2.sqrt();
            jac[r * 2] = -a * re * k / d2;
            jac[r * 2 + 1] = -a * im * im / d2;
        }
    })
    .with_theta_true(|x, t| {
        t[0] = -0.2 * x[0] + 0.1 * x[1];
        t[1] = 0.4 * x[0];
    })
}

/// A new user's 40-parameter problem (`/work/shared/problems/forty-parameters.js`, here with
/// `p` parameters): a coupled nonlinear map with `p` outputs, `y_i = θ_i (1 + x/2) + 0.2 θ_{i+1}²`.
/// Cheap per call, so that a method's own work, not F, is what a benchmark of it measures.
pub fn coupled_map(p: usize) -> FnBlackBox {
    FnBlackBox::new(
        Dims {
            x: 1,
            theta: p,
            y: p,
        },
        move |x, t, y| {
            for i in 0..p {
                let n = t[(i + 1) % p];
                y[i] = t[i] * (1.0 + 0.5 * x[0]) + 0.2 * n * n;
            }
        },
    )
    .with_jacobian(move |x, t, jac| {
        jac.fill(0.0);
        for i in 0..p {
            let n = (i + 1) % p;
            jac[i * p + i] = 1.0 + 0.5 * x[0];
            jac[i * p + n] += 0.4 * t[n];
        }
    })
    .with_theta_true(move |x, t| {
        for (j, tj) in t.iter_mut().enumerate() {
            *tj = 0.5 * (j as f64 + 2.0 * x[0]).sin();
        }
    })
}
