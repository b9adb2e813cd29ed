//! Diagnose F before a race: its noise along each theta component (ECnoise, Moré & Wild,
//! SIAM J. Sci. Comput. 33(3), 2011), the noise-optimal finite-difference steps (Moré &
//! Wild, ACM TOMS 38, 2012), the steps under which F does not change at all (a quantized F),
//! how many probes failed, a check of the script's dF against Richardson differences, and
//! from all of it a method to use. A `Diagnoser` works one component per `step`, so a
//! worker can stop it between components; every F-evaluation is counted.

use crate::config::Method;
use crate::estimate::{CENTRAL_H_REL, FORWARD_H_REL};
use crate::problem::{BlackBox, Dims};
use serde::Serialize;
use serde_json::{json, Value};

/// Evaluations of one ECnoise table (Moré & Wild use 7 or 9).
pub const POINTS: usize = 7;
/// Training samples the diagnosis looks at.
pub const SAMPLES: usize = 3;
/// ECnoise's first spacing, relative to theta's scale; retried ×100 or ÷100.
const FIRST_SPACING: f64 = 1e-6;
const TRIES: usize = 4;
/// The smallest spacing tried (after three ÷100).
const SMALLEST_SPACING: f64 = 1e-12;
/// Moré & Wild (2012)'s acceptance constants for a second-difference estimate.
const TAU1: f64 = 100.0;
const TAU2: f64 = 0.1;
/// Richardson's step for the dF check, relative to theta's scale (its error is O(h^4)).
const CHECK_SPACING: f64 = 1e-3;
/// A dF entry is wrong when it differs from the reference by more than this share of the
/// Jacobian's typical entry (plus what the noise allows).
const CHECK_TOLERANCE: f64 = 1e-4;
/// The check is conclusive when what the noise allows is below this share of the
/// Jacobian's typical entry, and dF's relative error below it too.
const CONCLUSIVE: f64 = 0.01;

/// What ECnoise concluded from one table of function values.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Verdict {
    /// The noise level (a standard deviation, in F's units).
    Noise(f64),
    /// Half the first differences are exactly zero: the spacing is too small (or F flat).
    SpacingTooSmall,
    /// The values spread more than 10%, or no order showed noise: the spacing is too large.
    SpacingTooLarge,
}

/// ECnoise's verdict, with the noise level of each order of the difference table (the
/// levels flatten at the noise floor).
#[derive(Clone, Debug, PartialEq)]
pub struct EcNoise {
    pub verdict: Verdict,
    /// `sqrt(γ_k mean((Δᵏf)²))` for k = 1, 2, ... (empty when the table was not made).
    pub levels: Vec<f64>,
}

/// ECnoise as Moré & Wild's reference `ECnoise.m` decides: the values must spread at most
/// 10% (else the spacing is too large); if half the first differences are exactly zero the
/// spacing is too small; the noise is the level of the first order k whose levels k, k+1,
/// k+2 agree within a factor 4 and whose differences change sign (`γ_k = (k!)²/(2k)!`).
pub fn ecnoise(values: &[f64]) -> EcNoise {
    let (lo, hi) = values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
    if (hi - lo) / hi.abs().max(lo.abs()) > 0.1 {
        return EcNoise {
            verdict: Verdict::SpacingTooLarge,
            levels: vec![],
        };
    }
    difference_table(values)
}

/// ECnoise without its first test (the 10% spread): for values taken so close together that
/// F's own change cannot explain their spread, the noise is more than 10% of F.
pub fn difference_table(values: &[f64]) -> EcNoise {
    let nf = values.len();
    let mut d = values.to_vec();
    let mut levels = Vec::with_capacity(nf - 1);
    let mut sign_change = Vec::with_capacity(nf - 1);
    let mut gamma = 1.0;
    for j in 1..nf {
        for i in 0..nf - j {
            d[i] = d[i + 1] - d[i];
        }
        let live = &d[..nf - j];
        if j == 1 && 2 * live.iter().filter(|&&v| v == 0.0).count() >= nf {
            return EcNoise {
                verdict: Verdict::SpacingTooSmall,
                levels: vec![],
            };
        }
        gamma *= 0.5 * (j as f64 / (2 * j - 1) as f64);
        levels.push((gamma * live.iter().map(|v| v * v).sum::<f64>() / live.len() as f64).sqrt());
        let (emin, emax) = live
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
                (a.min(v), b.max(v))
            });
        sign_change.push(emin * emax < 0.0);
    }
    for k in 0..nf.saturating_sub(3) {
        let w = &levels[k..k + 3];
        let (wmin, wmax) = w
            .iter()
            .fold((f64::INFINITY, 0.0f64), |(a, b), &v| (a.min(v), b.max(v)));
        if wmax <= 4.0 * wmin && sign_change[k] {
            return EcNoise {
                verdict: Verdict::Noise(levels[k]),
                levels,
            };
        }
    }
    EcNoise {
        verdict: Verdict::SpacingTooLarge,
        levels,
    }
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

/// One theta component's measurements. Steps are in theta's units.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Component {
    pub index: usize,
    /// Noise (standard deviation, the largest over F's outputs, the median over samples);
    /// `None` when ECnoise found none (F exact to rounding, or flat).
    pub noise: Option<f64>,
    /// ECnoise's levels by order at the first sample (for the chart).
    pub levels: Vec<f64>,
    /// F did not change under the step central differences use by default.
    pub flat: bool,
    /// The smallest step (of 10^-12 .. 1 times theta's scale) at which F changed; `None`:
    /// it never did.
    pub flat_step: Option<f64>,
    /// Noise-optimal steps (`None`: no estimate; the defaults then apply).
    pub h_forward: Option<f64>,
    pub h_central: Option<f64>,
    /// The defaults at the first sample's theta, for comparison.
    pub default_forward: f64,
    pub default_central: f64,
}

/// The script's dF against Richardson differences at the same points.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct DfCheck {
    /// `‖dF − reference‖ / ‖reference‖` over every sample, output and component.
    pub rel_err: f64,
    /// Every entry within the tolerance (which grows with F's noise).
    pub ok: bool,
    /// The noise's share of the tolerance is small: `ok` means dF is right, not only that
    /// the noise hides whether it is.
    pub conclusive: bool,
    pub worst: WorstEntry,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct WorstEntry {
    pub output: usize,
    pub component: usize,
    pub sample: usize,
    pub df: f64,
    pub reference: f64,
}

/// Probes that threw or returned NaN or infinity.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Failures {
    pub count: u64,
    pub example: Option<FailureExample>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct FailureExample {
    pub x: Vec<f64>,
    pub theta: Vec<f64>,
    pub message: String,
}

/// What to use, with the settings to fill and why.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Recommendation {
    /// The method recommended.
    pub method: &'static str,
    /// The methods to tick (the recommended one first).
    pub methods: Vec<&'static str>,
    /// Method settings by key (`settings::SETTINGS`), e.g. `{"sigma": 0.3}`.
    pub settings: Value,
    pub why: String,
}

/// The whole diagnosis (`diagnosis.json`, schema 1).
#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Diagnosis {
    pub schema: u32,
    pub evals: u64,
    pub jacobian_evals: u64,
    pub components: Vec<Component>,
    pub df_check: Option<DfCheck>,
    /// Why dF was not checked although the script has one (F flat under small steps, or
    /// dF failed).
    pub df_note: Option<String>,
    pub failures: Failures,
    /// Largest |F| seen at the samples (to say whether a noise level is small).
    pub f_scale: f64,
}

/// Evaluates probes of one sample, counting them and their failures.
struct Prober<'a> {
    bb: &'a mut dyn BlackBox,
    dims: Dims,
    evals: u64,
    failures: Failures,
}

impl Prober<'_> {
    /// F at each theta for the sample `x`; `None` for a probe that threw or was not finite.
    fn eval(&mut self, x: &[f64], thetas: &[Vec<f64>]) -> Vec<Option<Vec<f64>>> {
        let d = self.dims;
        let n = thetas.len();
        self.evals += n as u64;
        let xs: Vec<f64> = (0..n).flat_map(|_| x.iter().copied()).collect();
        let ts: Vec<f64> = thetas.iter().flatten().copied().collect();
        let mut out = vec![0.0; n * d.y];
        let rows: Vec<Result<Vec<f64>, String>> = match self.bb.eval_batch(&xs, &ts, &mut out) {
            Ok(()) => out.chunks(d.y).map(|r| Ok(r.to_vec())).collect(),
            // One probe threw: find which, one at a time (not counted again: the batch was).
            Err(_) => thetas
                .iter()
                .map(|t| {
                    let mut y = vec![0.0; d.y];
                    self.bb
                        .eval_batch(x, t, &mut y)
                        .map(|()| y)
                        .map_err(|e| e.0)
                })
                .collect(),
        };
        rows.into_iter()
            .zip(thetas)
            .map(|(r, t)| {
                let r = r.and_then(|y| {
                    if y.iter().all(|v| v.is_finite()) {
                        Ok(y)
                    } else {
                        Err("F returned NaN or infinity".to_string())
                    }
                });
                match r {
                    Ok(y) => Some(y),
                    Err(message) => {
                        self.failures.count += 1;
                        self.failures.example.get_or_insert(FailureExample {
                            x: x.to_vec(),
                            theta: t.clone(),
                            message,
                        });
                        None
                    }
                }
            })
            .collect()
    }

    /// F along component `j` from `theta`: one output row per offset (theta's units).
    fn along(
        &mut self,
        x: &[f64],
        theta: &[f64],
        j: usize,
        offsets: &[f64],
    ) -> Option<Vec<Vec<f64>>> {
        let thetas: Vec<Vec<f64>> = offsets
            .iter()
            .map(|o| {
                let mut t = theta.to_vec();
                t[j] += o;
                t
            })
            .collect();
        self.eval(x, &thetas).into_iter().collect()
    }
}

/// The diagnosis in progress: one component per [`Diagnoser::step`].
pub struct Diagnoser {
    dims: Dims,
    xs: Vec<Vec<f64>>,
    thetas: Vec<Vec<f64>>,
    scale: Vec<f64>,
    next: usize,
    components: Vec<Component>,
    /// Richardson's reference Jacobian, `[sample][output][component]`, when F has dF.
    reference: Option<Vec<Vec<Vec<f64>>>>,
    /// The spacing of the reference per component (for the noise's share of its error).
    reference_h: Vec<f64>,
    evals: u64,
    failures: Failures,
    f_scale: f64,
}

impl Diagnoser {
    /// A diagnosis at the points `(xs[i], thetas[i])` (a few training samples and the
    /// network's outputs there), with theta's scale per component.
    pub fn new(
        dims: Dims,
        xs: Vec<Vec<f64>>,
        thetas: Vec<Vec<f64>>,
        scale: Vec<f64>,
        has_df: bool,
    ) -> Diagnoser {
        let n = xs.len();
        Diagnoser {
            dims,
            xs,
            thetas,
            scale,
            next: 0,
            components: Vec::with_capacity(dims.theta),
            reference: has_df.then(|| vec![vec![vec![0.0; dims.theta]; dims.y]; n]),
            reference_h: vec![0.0; dims.theta],
            evals: 0,
            failures: Failures::default(),
            f_scale: 0.0,
        }
    }

    /// Components done, of `dims.theta`.
    pub fn progress(&self) -> (usize, usize) {
        (self.next, self.dims.theta)
    }

    pub fn is_done(&self) -> bool {
        self.next >= self.dims.theta
    }

    pub fn evals(&self) -> u64 {
        self.evals
    }

    /// Measures the next component at every sample.
    pub fn step(&mut self, bb: &mut dyn BlackBox) {
        if self.is_done() {
            return;
        }
        let j = self.next;
        let mut probe = Prober {
            bb,
            dims: self.dims,
            evals: 0,
            failures: std::mem::take(&mut self.failures),
        };
        let c = self.component(&mut probe, j);
        self.components.push(c);
        self.evals += probe.evals;
        self.failures = probe.failures;
        self.next += 1;
    }

    fn component(&mut self, probe: &mut Prober, j: usize) -> Component {
        let s = self.scale[j];
        let y = self.dims.y;
        let t0 = self.thetas[0][j];
        let mut c = Component {
            index: j,
            default_forward: FORWARD_H_REL * t0.abs().max(1.0),
            default_central: CENTRAL_H_REL * t0.abs().max(1.0),
            ..Component::default()
        };
        // Noise: ECnoise at each sample, per output, retrying the spacing as the verdicts ask.
        let mut per_sample = Vec::new();
        let mut centre_f: Vec<Option<Vec<f64>>> = vec![None; self.xs.len()];
        for (i, (x, theta)) in self
            .xs
            .clone()
            .into_iter()
            .zip(self.thetas.clone())
            .enumerate()
        {
            let mut h = FIRST_SPACING * s;
            let mut found: Vec<Option<f64>> = vec![None; y];
            let mut levels_at_first = None;
            for _ in 0..TRIES {
                let offsets: Vec<f64> = (0..POINTS)
                    .map(|k| (k as f64 - (POINTS / 2) as f64) * h)
                    .collect();
                let Some(rows) = probe.along(&x, &theta, j, &offsets) else {
                    break;
                };
                centre_f[i] = Some(rows[POINTS / 2].clone());
                let (mut too_small, mut too_large) = (false, false);
                // At the smallest spacing F's own change is negligible: a spread over 10%
                // there is noise over 10% of F, which the table alone measures.
                let smallest = h <= 1.5 * SMALLEST_SPACING * s;
                for (o, slot) in found.iter_mut().enumerate().filter(|(_, f)| f.is_none()) {
                    let col: Vec<f64> = rows.iter().map(|r| r[o]).collect();
                    let e = if smallest {
                        difference_table(&col)
                    } else {
                        ecnoise(&col)
                    };
                    match e.verdict {
                        Verdict::Noise(v) => {
                            *slot = Some(v);
                            if levels_at_first.is_none() {
                                levels_at_first = Some(e.levels);
                            }
                        }
                        Verdict::SpacingTooSmall => too_small = true,
                        Verdict::SpacingTooLarge => too_large = true,
                    }
                }
                if found.iter().all(Option::is_some) || (!too_small && !too_large) {
                    break;
                }
                h = if too_large { h / 100.0 } else { h * 100.0 };
            }
            if let Some(noise) = found.iter().flatten().copied().reduce(f64::max) {
                per_sample.push(noise);
            }
            if i == 0 {
                c.levels = levels_at_first.unwrap_or_default();
            }
        }
        for f in centre_f.iter().flatten().flatten() {
            self.f_scale = self.f_scale.max(f.abs());
        }
        per_sample.sort_by(f64::total_cmp);
        c.noise = per_sample.get(per_sample.len() / 2).copied();

        let (x0, th0) = (self.xs[0].clone(), self.thetas[0].clone());
        let f0 = centre_f[0]
            .clone()
            .or_else(|| probe.along(&x0, &th0, j, &[0.0]).map(|r| r[0].clone()));
        // Flat steps: the smallest of 10^-12 .. 1 (times the scale) at which F moves.
        if let Some(f0) = &f0 {
            for k in (0..=12).rev() {
                let h = s * 10f64.powi(-k);
                let Some(r) = probe.along(&x0, &th0, j, &[h]) else {
                    break;
                };
                if r[0] != *f0 {
                    c.flat_step = Some(h);
                    break;
                }
            }
            // A component F does not depend on at all (never moves) is not "flat".
            c.flat = c.flat_step.is_some_and(|h| h > c.default_central);
        }

        // Noise-optimal steps, in units of the scale, per output; the smallest is kept (an
        // output that barely curves along θj allows any step; one that curves sets it).
        if let (Some(f0), false) = (&f0, c.flat) {
            let eps_of = |o: usize| {
                c.noise
                    .unwrap_or(0.0)
                    .max(f64::EPSILON * f0[o].abs().max(f64::MIN_POSITIVE))
            };
            let (mut hf, mut hc) = (None::<f64>, None::<f64>);
            for o in 0..y {
                let eps = eps_of(o);
                let mut along = |t: f64| probe.along(&x0, &th0, j, &[t * s]).map(|r| r[0][o]);
                if let Some(mu) = curvature(eps, f0[o], &mut along) {
                    let h = 8f64.powf(0.25) * (eps / mu).sqrt() * s;
                    hf = Some(hf.map_or(h, |v| v.min(h)));
                }
                if let Some(mu3) = third_derivative(eps, &mut along) {
                    let h = (3.0 * eps / mu3).cbrt() * s;
                    hc = Some(hc.map_or(h, |v| v.min(h)));
                }
            }
            c.h_forward = hf;
            c.h_central = hc;
        }

        // The reference Jacobian column: Richardson's (4 D(h/2) − D(h)) / 3.
        if let Some(reference) = &mut self.reference {
            let h = (CHECK_SPACING * s)
                .max(10.0 * c.h_central.unwrap_or(0.0))
                .min(0.5 * s);
            self.reference_h[j] = h;
            for ((x, theta), sample) in self.xs.iter().zip(&self.thetas).zip(reference.iter_mut()) {
                let Some(r) = probe.along(x, theta, j, &[h, -h, 0.5 * h, -0.5 * h]) else {
                    continue;
                };
                for (o, col) in sample.iter_mut().enumerate() {
                    let d1 = (r[0][o] - r[1][o]) / (2.0 * h);
                    let d2 = (r[2][o] - r[3][o]) / h;
                    col[j] = (4.0 * d2 - d1) / 3.0;
                }
            }
        }
        c
    }

    /// The finished diagnosis; with dF, the check (one dF call per sample).
    pub fn finish(self, bb: &mut dyn BlackBox) -> Diagnosis {
        let Diagnoser {
            dims,
            xs,
            thetas,
            reference,
            reference_h,
            components,
            evals,
            failures,
            f_scale,
            ..
        } = self;
        let n = xs.len();
        let mut df_check = None;
        let mut df_note = None;
        let mut jacobian_evals = 0;
        let flat: Vec<&Component> = components.iter().filter(|c| c.flat).collect();
        let reference = reference.filter(|_| components.len() == dims.theta);
        let zero = reference
            .as_ref()
            .is_some_and(|r| r.iter().flatten().flatten().all(|v| *v == 0.0));
        if reference.is_some() && (!flat.is_empty() || zero) {
            df_note = Some(format!(
                "dF was not checked: F does not change under small steps{}, so differences cannot tell its slope.",
                if flat.is_empty() { String::new() } else { format!(" along {}", names(&flat)) }
            ));
        } else if let Some(reference) = reference {
            let xs_flat: Vec<f64> = xs.iter().flatten().copied().collect();
            let ts_flat: Vec<f64> = thetas.iter().flatten().copied().collect();
            let mut jac = vec![0.0; n * dims.y * dims.theta];
            jacobian_evals = n as u64;
            match bb.jacobian_batch(&xs_flat, &ts_flat, &mut jac) {
                Ok(()) => {
                    df_check = Some(check_df(dims, &jac, &reference, &components, &reference_h))
                }
                Err(e) => df_note = Some(format!("dF was not checked: it failed: {}", e.0)),
            }
        }
        Diagnosis {
            schema: 1,
            evals,
            jacobian_evals,
            components,
            df_check,
            df_note,
            failures,
            f_scale,
        }
    }
}

/// Compares dF (`[sample][output][component]` flattened) with the reference.
fn check_df(
    dims: Dims,
    jac: &[f64],
    reference: &[Vec<Vec<f64>>],
    components: &[Component],
    reference_h: &[f64],
) -> DfCheck {
    let count = (reference.len() * dims.y * dims.theta).max(1) as f64;
    let ref_norm = reference
        .iter()
        .flatten()
        .flatten()
        .map(|v| v * v)
        .sum::<f64>()
        .sqrt();
    let typical = ref_norm / count.sqrt();
    let (mut diff2, mut worst, mut worst_ratio) = (0.0, None, -1.0);
    let mut noise_allowance = 0.0f64;
    for (i, sample) in reference.iter().enumerate() {
        for (o, row) in sample.iter().enumerate() {
            for (j, &want) in row.iter().enumerate() {
                let got = jac[(i * dims.y + o) * dims.theta + j];
                let diff = (got - want).abs();
                diff2 += diff * diff;
                // Richardson's error from noise is about ε/h; allow ten times it.
                let noise = components.get(j).and_then(|c| c.noise).unwrap_or(0.0);
                let allowance = 10.0 * noise / reference_h[j];
                noise_allowance = noise_allowance.max(allowance);
                let tol = CHECK_TOLERANCE * typical.max(f64::MIN_POSITIVE) + allowance;
                let ratio = if diff.is_nan() {
                    f64::INFINITY
                } else {
                    diff / tol
                };
                if ratio > worst_ratio {
                    worst_ratio = ratio;
                    worst = Some(WorstEntry {
                        output: o,
                        component: j,
                        sample: i,
                        df: got,
                        reference: want,
                    });
                }
            }
        }
    }
    let rel_err = diff2.sqrt() / ref_norm.max(f64::MIN_POSITIVE);
    DfCheck {
        rel_err,
        ok: worst_ratio <= 1.0,
        conclusive: noise_allowance <= CONCLUSIVE * typical && rel_err <= CONCLUSIVE,
        worst: worst.expect("a Jacobian has entries"),
    }
}

/// Milliseconds per F call above which the surrogate methods pay off (each call teaches F̃).
pub const COSTLY_MS: f64 = 0.5;
/// Parameters above which per-component differences cost too much.
pub const MANY_PARAMETERS: usize = 16;
/// Noise that moves a default central difference by this share of F's scale per unit step
/// makes F "noisy".
const NOISY: f64 = 1e-3;

/// The method to use, from the measurements: a correct dF → the analytic gradient; flat →
/// ES with σ wider than the flat steps; noisy → central differences with the noise-optimal
/// step beside ES with σ above the noise scale; costly → the joint surrogate; many
/// parameters → ES; else central differences.
pub fn recommend(d: &Diagnosis, scale: &[f64], ms_per_call: Option<f64>) -> Recommendation {
    let p = d.components.len();
    let sig = |v: f64| format!("{v:.2e}");
    if let Some(check) = d.df_check.as_ref().filter(|c| c.ok && c.conclusive) {
        return Recommendation {
            method: Method::Exact.name(),
            methods: vec![Method::Exact.name()],
            settings: json!({}),
            why: format!(
                "Your dF matches Richardson differences (relative error {}): the analytic gradient is exact and costs one F and one dF per sample.",
                sig(check.rel_err)
            ),
        };
    }
    let wrong_df = d
        .df_check
        .as_ref()
        .filter(|c| !c.ok)
        .map_or(String::new(), |c| {
            format!(
                " Your dF is not used: its entry (output {}, θ{}) is {} where differences give {}.",
                c.worst.output,
                c.worst.component,
                sig(c.worst.df),
                sig(c.worst.reference)
            )
        });
    // σ relative to theta's scale, at least the default and at most 1.
    let default_sigma = crate::settings::default_number("methodSettings.sigma");
    let wider = |rel: f64| (3.0 * rel).max(default_sigma).min(1.0);
    let flat: Vec<&Component> = d.components.iter().filter(|c| c.flat).collect();
    if !flat.is_empty() {
        let widest = flat
            .iter()
            .map(|c| c.flat_step.map_or(1.0, |h| h / scale[c.index]))
            .fold(0.0, f64::max);
        let sigma = round2(wider(widest));
        return Recommendation {
            method: Method::Es.name(),
            methods: vec![Method::Es.name()],
            settings: json!({ "sigma": sigma }),
            why: format!(
                "F does not change under small steps along {} (it moves only at steps of {} times θ's scale): differences see zero there, while ES with σ = {sigma} looks wider than those steps.{wrong_df}",
                names(&flat),
                sig(widest)
            ),
        };
    }
    let noisy: Vec<&Component> = d
        .components
        .iter()
        .filter(|c| {
            c.noise
                .is_some_and(|n| n / c.default_central > NOISY * d.f_scale.max(1e-300))
        })
        .collect();
    if !noisy.is_empty() {
        let widest = noisy
            .iter()
            .map(|c| c.h_central.unwrap_or(c.default_central) / scale[c.index])
            .fold(0.0, f64::max);
        let sigma = round2(wider(widest));
        let noise = noisy.iter().filter_map(|c| c.noise).fold(0.0, f64::max);
        let mut methods = vec![Method::Central.name(), Method::Es.name()];
        if p > MANY_PARAMETERS {
            methods.reverse();
        }
        return Recommendation {
            method: methods[0],
            methods,
            settings: json!({ "autoStep": true, "sigma": sigma }),
            why: format!(
                "F is noisy (noise {} against |F| up to {}): default finite differences divide it by a tiny step. Central differences with the noise-optimal step per component, and ES with σ = {sigma}, above the noise scale, average it away.{wrong_df}",
                sig(noise),
                sig(d.f_scale)
            ),
        };
    }
    if let Some(ms) = ms_per_call.filter(|&ms| ms >= COSTLY_MS) {
        return Recommendation {
            method: Method::Joint.name(),
            methods: vec![Method::Joint.name(), Method::Es.name()],
            settings: json!({}),
            why: format!(
                "F costs {ms:.2} ms a call: the joint surrogate learns F̃ from every call and trains through it for free, where differences spend {} calls a sample a step.{wrong_df}",
                2 * p + 1
            ),
        };
    }
    if p > MANY_PARAMETERS {
        return Recommendation {
            method: Method::Es.name(),
            methods: vec![Method::Es.name(), Method::GuidedEs.name()],
            settings: json!({}),
            why: format!(
                "θ has {p} components: central differences cost {} calls a sample a step, ES a fixed 2k + 1 whatever the dimension.{wrong_df}",
                2 * p + 1
            ),
        };
    }
    Recommendation {
        method: Method::Central.name(),
        methods: vec![Method::Central.name()],
        settings: json!({}),
        why: format!(
            "F is smooth to rounding, cheap and has {p} parameters: central differences with their default step are exact enough.{wrong_df}"
        ),
    }
}

fn names(cs: &[&Component]) -> String {
    let n: Vec<String> = cs.iter().map(|c| format!("θ{}", c.index)).collect();
    n.join(", ")
}

/// Two significant digits.
fn round2(v: f64) -> f64 {
    if v == 0.0 || !v.is_finite() {
        return v;
    }
    let m = 10f64.powf(1.0 - v.abs().log10().floor());
    (v * m).round() / m
}
