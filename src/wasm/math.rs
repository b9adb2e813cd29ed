//! Math for the user's script that gives the same bits in every engine. Engines round
//! `Math.sin`, `Math.exp` and the like differently in the last bit (Firefox's differ from
//! Chromium's and WebKit's), and a long training run can carry a last-bit difference into a
//! visibly different curve (the joint surrogate's did, measured by tests/browsers). The worker
//! puts each export `portable_<name>` in place of `Math.<name>` before the script runs: Rust's
//! functions (a port of musl's libm compiled into the core), so a share link reproduces its
//! run bit for bit in Chromium, Firefox and WebKit. `**` is the engine's own and cannot be
//! replaced; `Math.pow` is. `Math.pow` and `Math.exp` are the core's own table-driven ones
//! (src/js_math.rs), faster than libm's.

use wasm_bindgen::prelude::*;

macro_rules! portable {
    ($($js:ident ($($arg:ident),+) => $body:expr;)*) => {$(
        #[doc = concat!("`Math.", stringify!($js), "` with the same bits in every engine.")]
        #[wasm_bindgen]
        pub fn $js($($arg: f64),+) -> f64 {
            $body
        }
    )*};
}

portable! {
    portable_sin(x) => x.sin();
    portable_cos(x) => x.cos();
    portable_tan(x) => x.tan();
    portable_asin(x) => x.asin();
    portable_acos(x) => x.acos();
    portable_atan(x) => x.atan();
    portable_atan2(y, x) => y.atan2(x);
    portable_sinh(x) => x.sinh();
    portable_cosh(x) => x.cosh();
    portable_tanh(x) => x.tanh();
    portable_asinh(x) => x.asinh();
    portable_acosh(x) => x.acosh();
    portable_atanh(x) => x.atanh();
    portable_exp(x) => crate::js_math::exp(x);
    portable_expm1(x) => x.exp_m1();
    portable_log(x) => x.ln();
    portable_log1p(x) => x.ln_1p();
    portable_log2(x) => x.log2();
    portable_log10(x) => x.log10();
    portable_cbrt(x) => x.cbrt();
    portable_pow(x, y) => crate::js_math::pow(x, y);
}
