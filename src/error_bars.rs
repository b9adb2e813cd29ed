//! Error bars for a stochastic gradient estimate: the standard error of the mean of its `k`
//! direction estimates, relative to the reference gradient's norm (the denominator of the
//! relative error it is drawn around), calibrated so that `error ≤ 1.96·SE` about 95% of
//! the time even at small `k`.
//!
//! Why a correction: with draws `d_1..d_k` of covariance Σ, the error `e = mean − g` has
//! `E‖e‖² = tr Σ / k`, estimated by `‖se‖² = tr S / k`. If Σ has `r` equal eigenvalues, and
//! the draws are Gaussian, `‖e‖² / ‖se‖²` is F-distributed with `(r, r(k − 1))` degrees of
//! freedom: at `k = 4` and `r = 1` its 95% point is 10.1, so `‖e‖ ≤ 1.96‖se‖` holds only
//! about 80% of the time, while for large `r` it is near 1 and the same band holds nearly
//! every error. `r` is estimated from the draws (the participation ratio of their centred,
//! pooled Gram matrix), and the standard error is scaled by `sqrt(F_0.95(r, r·dof)) / 1.96`.

/// The share of errors the 1.96 band is calibrated to hold.
pub const COVERAGE: f64 = 0.95;
const Z95: f64 = 1.959963984540054;

/// How many groups of samples the monitoring batch is split into for `k` directions: about
/// 32 draws in all, so that the spread's dimension can be seen even at small `k`.
pub fn groups_for(k: usize, samples: usize) -> usize {
    (32 / k.max(1)).clamp(1, samples.max(1))
}

/// `‖se‖ / reference_norm`, calibrated (module doc), from `groups[g][i]`: the estimate of
/// direction `i` restricted to the samples of group `g`. The directions of different samples
/// are independent, so the spread within each group (over its `k` directions) is pooled:
/// `G(k − 1)` degrees of freedom instead of `k − 1`, which lets the dimension `r` of the
/// spread be estimated beyond `k − 1`. `None` for fewer than 2 directions or a reference of
/// norm 0.
pub fn calibrated_standard_error(groups: &[Vec<Vec<f64>>], reference_norm: f64) -> Option<f64> {
    let k = groups.first()?.len();
    if k < 2 || !(reference_norm > 0.0 && reference_norm.is_finite()) {
        return None;
    }
    let mut centred: Vec<Vec<f64>> = Vec::with_capacity(groups.len() * k);
    for draws in groups {
        let len = draws[0].len();
        let mean: Vec<f64> = (0..len)
            .map(|j| draws.iter().map(|d| d[j]).sum::<f64>() / k as f64)
            .collect();
        centred.extend(draws.iter().map(|d| {
            d.iter()
                .zip(&mean)
                .map(|(a, m)| a - m)
                .collect::<Vec<f64>>()
        }));
    }
    // The pooled Gram matrix: its trace is (k - 1) tr S, its Frobenius norm (k - 1)² tr S².
    let (mut trace, mut frob) = (0.0, 0.0);
    for (i, a) in centred.iter().enumerate() {
        for (j, b) in centred.iter().enumerate().skip(i) {
            let g: f64 = a.iter().zip(b).map(|(u, v)| u * v).sum();
            if i == j {
                trace += g;
                frob += g * g;
            } else {
                frob += 2.0 * g * g;
            }
        }
    }
    if trace.is_nan() || trace <= 0.0 {
        return Some(0.0);
    }
    let dof = (groups.len() * (k - 1)) as f64;
    let r = (trace * trace / frob).clamp(1.0, dof);
    let se = (trace / ((k - 1) * k) as f64).sqrt();
    let scale = f_quantile(COVERAGE, r, r * dof).sqrt() / Z95;
    Some(scale * se / reference_norm)
}

/// The `p` quantile of Fisher's F distribution with `(d1, d2)` degrees of freedom (by
/// bisection on its distribution function).
pub fn f_quantile(p: f64, d1: f64, d2: f64) -> f64 {
    let cdf = |x: f64| regularized_beta(d1 * x / (d1 * x + d2), d1 / 2.0, d2 / 2.0);
    let (mut lo, mut hi) = (0.0, 1.0);
    while cdf(hi) < p {
        hi *= 2.0;
    }
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        if cdf(mid) < p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// `ln Γ(x)` for `x > 0` (Lanczos, g = 7, n = 9; about 15 digits).
fn ln_gamma(x: f64) -> f64 {
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = C[0];
    let t = x + 7.5;
    for (i, c) in C.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// The regularised incomplete beta function `I_x(a, b)` (continued fraction, Numerical
/// Recipes' `betacf`).
pub fn regularized_beta(x: f64, a: f64, b: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let front =
        (ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln()).exp();
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_fraction(x, a, b) / a
    } else {
        1.0 - front * beta_fraction(1.0 - x, b, a) / b
    }
}

fn beta_fraction(x: f64, a: f64, b: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    if d.abs() < TINY {
        d = TINY;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..300 {
        let m = m as f64;
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        d = if d.abs() < TINY { TINY } else { d };
        c = 1.0 + aa / c;
        c = if c.abs() < TINY { TINY } else { c };
        d = 1.0 / d;
        h *= d * c;
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        d = if d.abs() < TINY { TINY } else { d };
        c = 1.0 + aa / c;
        c = if c.abs() < TINY { TINY } else { c };
        d = 1.0 / d;
        let del = d * c;
        h *= del;
        if (del - 1.0).abs() < 1e-15 {
            break;
        }
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_f_quantiles_match_published_tables() {
        // F_0.95 from standard tables.
        for (d1, d2, want) in [
            (1.0, 3.0, 10.128),
            (3.0, 9.0, 3.863),
            (1.0, 31.0, 4.160),
            (10.0, 20.0, 2.348),
        ] {
            let got = f_quantile(0.95, d1, d2);
            assert!(
                (got - want).abs() < 2e-3 * want,
                "F({d1}, {d2}) = {got}, want {want}"
            );
        }
    }
}
