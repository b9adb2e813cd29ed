//! The noise-optimal finite-difference steps of Moré & Wild (ACM TOMS 38, 2012): a forward
//! step from F's noise and curvature, a central step from its noise and third derivative,
//! each estimated from a few evaluations along the component. Every probe gives all of F's
//! outputs at once, so the estimates of every output share the same probes: at most 4
//! evaluations for the curvature and 12 for the third derivative, whatever F's output count.

/// Moré & Wild (2012)'s acceptance constants for a second-difference estimate.
const TAU1: f64 = 100.0;
const TAU2: f64 = 0.1;

/// The forward and central steps along one component (theta's units), the smallest over
/// F's outputs: an output that barely curves allows any step, one that curves sets it.
/// `noise` is ECnoise's level (`None`: F exact to rounding), `f0` F's outputs at the point,
/// `scale` theta's scale; `f(t)` is F's output row at `t` scales along the component
/// (`None`: F failed there, or the budget ran out).
pub(super) fn noise_optimal(
    noise: Option<f64>,
    f0: &[f64],
    scale: f64,
    mut f: impl FnMut(f64) -> Option<Vec<f64>>,
) -> (Option<f64>, Option<f64>) {
    // Rounding is noise too: without a measured level, F's own ε, output by output.
    let eps: Vec<f64> = f0
        .iter()
        .map(|v| {
            noise
                .unwrap_or(0.0)
                .max(f64::EPSILON * v.abs().max(f64::MIN_POSITIVE))
        })
        .collect();
    let hf = curvature(&eps, f0, &mut f)
        .into_iter()
        .zip(&eps)
        .filter_map(|(mu, e)| mu.map(|mu| 8f64.powf(0.25) * (e / mu).sqrt() * scale))
        .reduce(f64::min);
    let hc = third_derivative(&eps, &mut f)
        .into_iter()
        .zip(&eps)
        .filter_map(|(mu3, e)| mu3.map(|mu3| (3.0 * e / mu3).cbrt() * scale))
        .reduce(f64::min);
    (hf, hc)
}

/// The ε the shared probes are placed by: the largest of the outputs' (a step from it is
/// at least as far above every output's noise).
fn probe_eps(eps: &[f64]) -> f64 {
    eps.iter().copied().fold(0.0, f64::max)
}

/// `|f''|` per output from a second difference (Moré & Wild 2012, Algorithm 5.1): first at
/// `h_a = ε^(1/4)`, then at `h_b = (ε/μ_a)^(1/4)` (one step for all outputs: the one of the
/// output that asks for the smallest forward step); `μ_b` is taken when its difference is
/// well above the noise (`|Δ| ≥ τ1 ε`), the values did not move too far
/// (`|f(±h) − f(0)| ≤ τ2 max|f|`) and it agrees with `μ_a` within half; else `μ_a` when it
/// passes the same tests. When the curvature stays hidden under the noise at every step
/// tried, its bound `τ1 ε / h²` at the largest of them (the step is then at least the
/// bound's). `None` for an output when F failed.
fn curvature(
    eps: &[f64],
    f0: &[f64],
    f: &mut impl FnMut(f64) -> Option<Vec<f64>>,
) -> Vec<Option<f64>> {
    let n = f0.len();
    let mut hidden_at = vec![0.0f64; n];
    // Per output: (μ, accepted, did not move) from the probes at ±h.
    let mut at = |h: f64, hidden_at: &mut [f64]| -> Option<Vec<(f64, bool, bool)>> {
        let (p, m) = (f(h)?, f(-h)?);
        Some(
            (0..n)
                .map(|o| {
                    let delta = p[o] - 2.0 * f0[o] + m[o];
                    let moved = (p[o] - f0[o]).abs().max((m[o] - f0[o]).abs());
                    let small_move = moved <= TAU2 * f0[o].abs().max(p[o].abs()).max(m[o].abs());
                    let above_noise = delta.abs() >= TAU1 * eps[o];
                    if small_move && !above_noise {
                        hidden_at[o] = hidden_at[o].max(h);
                    }
                    let still = p[o] == f0[o] && m[o] == f0[o];
                    (delta.abs() / (h * h), above_noise && small_move, still)
                })
                .collect(),
        )
    };
    let ha = probe_eps(eps).powf(0.25);
    let Some(a) = at(ha, &mut hidden_at) else {
        return vec![None; n];
    };
    // An output that did not move at all does not depend on this component here: it sets
    // no step.
    let still: Vec<bool> = a.iter().map(|r| r.2).collect();
    let hb = (0..n)
        .filter(|&o| !still[o] && a[o].0 > 0.0 && a[o].0.is_finite())
        .map(|o| (eps[o] / a[o].0).powf(0.25))
        .reduce(f64::min);
    let b = hb.and_then(|hb| at(hb, &mut hidden_at));
    (0..n)
        .map(|o| {
            if still[o] {
                return None;
            }
            let (mu_a, ok_a, _) = a[o];
            if let Some((mu_b, ok_b, _)) = b.as_ref().map(|b| b[o]) {
                if ok_b && (mu_a - mu_b).abs() <= 0.5 * mu_b {
                    return Some(mu_b);
                }
            }
            if ok_a && mu_a > 0.0 {
                return Some(mu_a);
            }
            (hidden_at[o] > 0.0).then(|| TAU1 * eps[o] / (hidden_at[o] * hidden_at[o]))
        })
        .collect()
}

/// `|f'''|` per output from a centred third difference
/// `f(2h) − 2f(h) + 2f(−h) − f(−2h) = 2h³f'''`, at `h = ε^(1/6)` and ten times larger while
/// some output's difference stays under its noise (up to h = 0.25); for an output whose
/// difference never rose above it, its bound `τ1 ε / 2h³` at the largest step tried.
fn third_derivative(eps: &[f64], f: &mut impl FnMut(f64) -> Option<Vec<f64>>) -> Vec<Option<f64>> {
    let n = eps.len();
    let mut out: Vec<Option<f64>> = vec![None; n];
    let mut h = probe_eps(eps).powf(1.0 / 6.0).min(0.25);
    let mut tried = 0.0;
    // Outputs that did not move at the first step: they set no step (None).
    let mut still = vec![false; n];
    for k in 0..3 {
        let probes = (|| Some([f(2.0 * h)?, f(h)?, f(-h)?, f(-2.0 * h)?]))();
        let Some([p2, p1, m1, m2]) = probes else {
            break;
        };
        if k == 0 {
            for (o, s) in still.iter_mut().enumerate() {
                *s = p2[o] == p1[o] && p1[o] == m1[o] && m1[o] == m2[o];
            }
        }
        for (o, v) in out
            .iter_mut()
            .enumerate()
            .filter(|(o, v)| v.is_none() && !still[*o])
        {
            let d = p2[o] - 2.0 * p1[o] + 2.0 * m1[o] - m2[o];
            if d.abs() >= TAU1 * eps[o] && d.is_finite() {
                *v = Some(d.abs() / (2.0 * h * h * h));
            }
        }
        tried = h;
        if (0..n).all(|o| out[o].is_some() || still[o]) {
            return out;
        }
        h *= 10.0;
        if h > 0.25 {
            break;
        }
    }
    if tried > 0.0 {
        for (o, v) in out.iter_mut().enumerate().filter(|(o, _)| !still[*o]) {
            v.get_or_insert(TAU1 * eps[o] / (2.0 * tried * tried * tried));
        }
    }
    out
}
