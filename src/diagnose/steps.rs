//! The noise-optimal finite-difference steps of Moré & Wild (ACM TOMS 38, 2012): a forward
//! step from F's noise and curvature, a central step from its noise and third derivative,
//! each estimated from a few evaluations along the component.

/// Moré & Wild (2012)'s acceptance constants for a second-difference estimate.
const TAU1: f64 = 100.0;
const TAU2: f64 = 0.1;

/// The forward and central steps along one component (theta's units), the smallest over
/// F's outputs: an output that barely curves allows any step, one that curves sets it.
/// `noise` is ECnoise's level (`None`: F exact to rounding), `f0` F's outputs at the point,
/// `scale` theta's scale; `f(o, t)` is output `o` at `t` scales along the component.
pub(super) fn noise_optimal(
    noise: Option<f64>,
    f0: &[f64],
    scale: f64,
    mut f: impl FnMut(usize, f64) -> Option<f64>,
) -> (Option<f64>, Option<f64>) {
    let (mut hf, mut hc) = (None::<f64>, None::<f64>);
    for (o, &f0) in f0.iter().enumerate() {
        // Rounding is noise too: without a measured level, F's own ε.
        let eps = noise
            .unwrap_or(0.0)
            .max(f64::EPSILON * f0.abs().max(f64::MIN_POSITIVE));
        let mut along = |t: f64| f(o, t);
        if let Some(mu) = curvature(eps, f0, &mut along) {
            let h = 8f64.powf(0.25) * (eps / mu).sqrt() * scale;
            hf = Some(hf.map_or(h, |v| v.min(h)));
        }
        if let Some(mu3) = third_derivative(eps, &mut along) {
            let h = (3.0 * eps / mu3).cbrt() * scale;
            hc = Some(hc.map_or(h, |v| v.min(h)));
        }
    }
    (hf, hc)
}

/// `|f''|` along a direction from a second difference (Moré & Wild 2012, Algorithm 5.1):
/// first at `h_a = ε^(1/4)`, then at `h_b = (ε/μ_a)^(1/4)`; `μ_b` is taken when its
/// difference is well above the noise (`|Δ| ≥ τ1 ε`), the values did not move too far
/// (`|f(±h) − f(0)| ≤ τ2 max|f|`) and it agrees with `μ_a` within half; else `μ_a` when it
/// passes the same tests. When the curvature stays hidden under the noise at every step
/// tried, its bound `τ1 ε / h²` at the largest of them (the step is then at least the
/// bound's). `f(t)` evaluates along the direction; `None` when F failed.
fn curvature(noise: f64, f0: f64, mut f: impl FnMut(f64) -> Option<f64>) -> Option<f64> {
    let mut hidden_at = 0.0f64;
    let mut at = |h: f64| -> Option<(f64, bool)> {
        let (p, m) = (f(h)?, f(-h)?);
        let delta = p - 2.0 * f0 + m;
        let moved = (p - f0).abs().max((m - f0).abs());
        let small_move = moved <= TAU2 * f0.abs().max(p.abs()).max(m.abs());
        let above_noise = delta.abs() >= TAU1 * noise;
        if small_move && !above_noise {
            hidden_at = hidden_at.max(h);
        }
        Some((delta.abs() / (h * h), above_noise && small_move))
    };
    let ha = noise.powf(0.25);
    let (mu_a, ok_a) = at(ha)?;
    if mu_a > 0.0 && mu_a.is_finite() {
        let hb = (noise / mu_a).powf(0.25);
        if let Some((mu_b, ok_b)) = at(hb) {
            if ok_b && (mu_a - mu_b).abs() <= 0.5 * mu_b {
                return Some(mu_b);
            }
        }
    }
    if ok_a && mu_a > 0.0 {
        return Some(mu_a);
    }
    (hidden_at > 0.0).then(|| TAU1 * noise / (hidden_at * hidden_at))
}

/// `|f'''|` from a centred third difference `f(2h) − 2f(h) + 2f(−h) − f(−2h) = 2h³f'''`,
/// at `h = ε^(1/6)` and larger until the difference is well above the noise; when it never
/// is, its bound `τ1 ε / 2h³` at the largest step tried.
fn third_derivative(noise: f64, mut f: impl FnMut(f64) -> Option<f64>) -> Option<f64> {
    let mut h = noise.powf(1.0 / 6.0).min(0.25);
    let mut tried = 0.0;
    for _ in 0..3 {
        let d = f(2.0 * h)? - 2.0 * f(h)? + 2.0 * f(-h)? - f(-2.0 * h)?;
        if d.abs() >= TAU1 * noise && d.is_finite() {
            return Some(d.abs() / (2.0 * h * h * h));
        }
        tried = h;
        h *= 10.0;
        if h > 0.25 {
            break;
        }
    }
    (tried > 0.0).then(|| TAU1 * noise / (2.0 * tried * tried * tried))
}
