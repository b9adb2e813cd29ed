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
