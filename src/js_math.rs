//! `Math.pow` and `Math.exp` as the worker gives them to problem scripts: the same bits in
//! every engine (plain f64 arithmetic in the core's wasm, no engine's libm), JavaScript's
//! answers on the special cases, faster than the libm functions they replace (docs/speed.md,
//! "Where the time goes"), and nearer the exact value than glibc's (tests/js_math.rs).
//!
//! The method is the table-driven one of the newer C libraries: `x^y = exp(y log x)` with
//! `log x` carried as two doubles (about 2^-66 relative error) and `exp` of a two-double
//! argument.
//! - log: `x = 2^k z` with `z` in one octave around 1, cut into 256 intervals; with `c` the
//!   interval's midpoint, `log x = k ln2 - ln(1/c) + log1p(r)`, `r = z (1/c) - 1`, `|r| < 2^-8.9`.
//!   `1/c` has 15 significant bits and `z` is split at 15 bits, so `r` comes out exactly as two
//!   doubles and its square's head is exact. The sums are exact down to the terms smaller than
//!   `r^2 / 2`.
//! - exp: `e = (k + j/256) ln2 + r` with `|r| <= ln2/512`; `exp e = 2^k 2^(j/256) (1 + p(r))`.
//!   Results near overflow and underflow are scaled so that a subnormal is rounded once.
//!
//! The tables are written by `make_tables.py` from exact arithmetic (`tables.rs`).

mod tables;

use tables::{BITS, EXP_TABLE, INV_LN2_N, LN2_HI, LN2_LO, LN2_N_HI, LN2_N_LO, LOG_TABLE, OFF};

/// Table index mask: both tables have 2^BITS entries.
const MASK: u64 = (1 << BITS) - 1;

/// `Math.pow(x, y)`: ECMAScript's special cases (a NaN exponent gives NaN, and so does a base
/// of ±1 with an infinite exponent, where C's `pow` gives 1), otherwise C's.
pub fn pow(x: f64, y: f64) -> f64 {
    // The common case first, in two compares: x positive and finite, y finite and not 0.
    let (ix, iy) = (x.to_bits(), y.to_bits());
    if ix.wrapping_sub(1) < 0x7fef_ffff_ffff_ffff
        && (iy << 1).wrapping_sub(1) < 0xffdf_ffff_ffff_ffff
        && y != 2.0
    {
        return positive_pow(x, y);
    }
    if y.is_nan() {
        return f64::NAN;
    }
    if y == 0.0 {
        return 1.0;
    }
    if y == 2.0 {
        // The square, rounded once (the general path misrounds about 1 in 5,000).
        return x * x;
    }
    if x.is_nan() {
        return f64::NAN;
    }
    let ax = x.abs();
    if y.is_infinite() {
        return if ax == 1.0 {
            f64::NAN
        } else if (ax > 1.0) == (y > 0.0) {
            f64::INFINITY
        } else {
            0.0
        };
    }
    let integer = y == y.trunc();
    let odd = integer && y.abs() < 9007199254740992.0 && (y as i64) & 1 == 1;
    let magnitude = if ax == f64::INFINITY {
        if y > 0.0 {
            f64::INFINITY
        } else {
            0.0
        }
    } else if ax == 0.0 {
        if y > 0.0 {
            0.0
        } else {
            f64::INFINITY
        }
    } else if x < 0.0 && !integer {
        return f64::NAN;
    } else {
        positive_pow(ax, y)
    };
    if x.is_sign_negative() && odd {
        -magnitude
    } else {
        magnitude
    }
}

/// `x^y` for a positive finite `x` and a finite nonzero `y`.
#[inline(always)]
fn positive_pow(x: f64, y: f64) -> f64 {
    let (hi, lo) = ln(x);
    // y (hi + lo) as two doubles: halves of 26 bits multiply exactly.
    let yhi = f64::from_bits(y.to_bits() & !((1u64 << 27) - 1));
    let lhi = f64::from_bits(hi.to_bits() & !((1u64 << 27) - 1));
    let llo = (hi - lhi) + lo;
    exp2d(yhi * lhi, (y - yhi) * lhi + y * llo)
}

/// `Math.exp(x)`, by the same exp as `pow`'s.
pub fn exp(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    exp2d(x, 0.0)
}

/// `a + b` and its rounding error, exactly, where `b` is 0 or `|a| >= |b|` (Dekker).
#[inline(always)]
fn fast_two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    (s, b - (s - a))
}

/// `ln x` as `hi + lo` for a positive finite `x`.
#[inline(always)]
fn ln(x: f64) -> (f64, f64) {
    let mut ix = x.to_bits();
    if ix < 1u64 << 52 {
        // Subnormal: scale into the normal range and take 52 from the exponent (the bit
        // pattern's exponent goes below zero; the wrapping arithmetic below keeps it right).
        ix = (x * f64::from_bits(0x4330000000000000))
            .to_bits()
            .wrapping_sub(52u64 << 52);
    }
    let tmp = ix.wrapping_sub(OFF);
    let [invc, logc_hi, logc_lo] = LOG_TABLE[((tmp >> (52 - BITS)) & MASK) as usize];
    let k = (tmp as i64 >> 52) as f64;
    let iz = ix.wrapping_sub(tmp & (0xfffu64 << 52));
    let z = f64::from_bits(iz);
    // z = zhi + zlo with zhi of 15 bits: zhi / c - 1 (a multiple of 2^-30 below 2^-8) and
    // zlo / c are exact.
    let zhi = f64::from_bits(iz.wrapping_add(1u64 << 37) & !((1u64 << 38) - 1));
    let rhi = zhi * invc - 1.0;
    let rlo = (z - zhi) * invc;
    // k ln2's head, -ln c's head and r's head are multiples of 2^-42 below 2^10: their sum is
    // exact. What is added to it next is smaller than it (or it is zero): r's head is 0 or at
    // least 2^-15 where r's tail is at most 2^-16, and elsewhere |ln z| > 2^-10.
    let t = k * LN2_HI + logc_hi + rhi;
    let (t, e1) = fast_two_sum(t, rlo);
    let (t, e2) = fast_two_sum(t, -0.5 * (rhi * rhi));
    // log1p(r) = r - r^2/2 + r^3/3 - ...: the rest of r^2/2, then r^3 on; |r| < 2^-8.9 makes
    // the tail after r^8 smaller than 2^-74 of r.
    let r = rhi + rlo;
    let r2 = r * r;
    let poly = r2
        * r
        * ((1.0 / 3.0 - 0.25 * r)
            + r2 * (0.2 - (1.0 / 6.0) * r)
            + (r2 * r2) * (1.0 / 7.0 - 0.125 * r));
    let lo = (k * LN2_LO + logc_lo) + (e1 + e2) + (poly - rhi * rlo - 0.5 * (rlo * rlo));
    let hi = t + lo;
    (hi, (t - hi) + lo)
}

/// `exp(hi + lo)` for `|lo|` a small part of `|hi|` (at most about 2^-24 of it).
#[inline(always)]
fn exp2d(hi: f64, lo: f64) -> f64 {
    // Beyond these the result is infinite or rounds to zero.
    if hi > 710.0 {
        return f64::INFINITY;
    }
    if hi < -746.0 {
        return 0.0;
    }
    let kd = (hi * INV_LN2_N).round_ties_even();
    let r = (hi - kd * LN2_N_HI) - kd * LN2_N_LO + lo;
    let k = kd as i64;
    let [t_hi, t_rel] = EXP_TABLE[(k as u64 & MASK) as usize];
    let e = k >> BITS;
    // exp(r) - 1 to r^5 (|r| <= ln2/512 + |lo|: the rest is below 2^-66). The larger errors
    // are the roundings of tmp and of scale * tmp (and t_rel * p left out), each about
    // 2^-62.4 of the result, as in glibc's exp.
    let r2 = r * r;
    let p = r + r2 * ((0.5 + (1.0 / 6.0) * r) + r2 * (1.0 / 24.0 + (1.0 / 120.0) * r));
    let tmp = t_rel + p;
    let with_exponent = |e: i64| f64::from_bits(t_hi.to_bits().wrapping_add((e as u64) << 52));
    if hi.abs() <= 704.0 {
        let scale = with_exponent(e);
        return scale + scale * tmp;
    }
    if k > 0 {
        // Near overflow: a power of two less, then doubled (exact, or infinity).
        let scale = with_exponent(e - 1);
        return 2.0 * (scale + scale * tmp);
    }
    // Near underflow: scaled by 2^1022, a result below 1 is rounded to a multiple of 2^-52
    // once (by adding 1 to it with its rounding error), so that the subnormal is rounded once.
    let scale = with_exponent(e + 1022);
    let mut y = scale + scale * tmp;
    if y < 1.0 {
        let lo = (scale - y) + scale * tmp;
        let one_plus = 1.0 + y;
        let lo = ((1.0 - one_plus) + y) + lo;
        y = (one_plus + lo) - 1.0;
    }
    y * f64::from_bits(0x0010000000000000)
}
