//! Diagnose F before a race: its noise along each theta component (ECnoise, Moré & Wild,
//! SIAM J. Sci. Comput. 33(3), 2011), the noise-optimal finite-difference steps (Moré &
//! Wild, ACM TOMS 38, 2012), the steps under which F does not change at all (a quantized F),
//! how many probes failed, a check of the script's dF against Richardson differences, and
//! from all of it a method to use. A `Diagnoser` works one component per `step`, so a
//! worker can stop it between components; every F-evaluation is counted.
//!
//! Here: the probing of F and the order of the measurements. The numerics live beside it:
//! `ecnoise` (the noise level), `steps` (the noise-optimal steps), `df_check` (dF against
//! differences) and `recommend` (the rules that pick methods).

mod df_check;
mod ecnoise;
mod recommend;
mod steps;

pub use df_check::{DfCheck, WorstEntry};
pub use ecnoise::{difference_table, ecnoise, EcNoise, Verdict, POINTS};
pub use recommend::{recommend, Recommendation, COSTLY_MS, MANY_PARAMETERS};

use crate::estimate::{CENTRAL_H_REL, FORWARD_H_REL};
use crate::problem::{BlackBox, Dims};
use df_check::Reference;
use serde::Serialize;

/// Training samples the diagnosis looks at.
pub const SAMPLES: usize = 3;

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
        self.evals += thetas.len() as u64;
        let rows = self.rows(x, thetas);
        rows.into_iter()
            .zip(thetas)
            .map(|(r, t)| self.finite(x, t, r))
            .collect()
    }

    /// F's output rows, one per theta, in one batch (one crossing to the script).
    fn rows(&mut self, x: &[f64], thetas: &[Vec<f64>]) -> Vec<Result<Vec<f64>, String>> {
        let d = self.dims;
        let n = thetas.len();
        let xs: Vec<f64> = (0..n).flat_map(|_| x.iter().copied()).collect();
        let ts: Vec<f64> = thetas.iter().flatten().copied().collect();
        let mut out = vec![0.0; n * d.y];
        match self.bb.eval_batch(&xs, &ts, &mut out) {
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
        }
    }

    /// The row when F gave one and it is finite; else `None`, the failure counted (the
    /// first kept as the example to show).
    fn finite(
        &mut self,
        x: &[f64],
        theta: &[f64],
        row: Result<Vec<f64>, String>,
    ) -> Option<Vec<f64>> {
        let row = row.and_then(|y| {
            if y.iter().all(|v| v.is_finite()) {
                Ok(y)
            } else {
                Err("F returned NaN or infinity".to_string())
            }
        });
        match row {
            Ok(y) => Some(y),
            Err(message) => {
                self.failures.count += 1;
                self.failures.example.get_or_insert(FailureExample {
                    x: x.to_vec(),
                    theta: theta.to_vec(),
                    message,
                });
                None
            }
        }
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
    /// Richardson's reference Jacobian, when F has dF.
    reference: Option<Reference>,
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
            reference: has_df.then(|| Reference::new(dims, n)),
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

    /// Component `j`'s measurements, in an order that matters: the steps need the noise,
    /// and the reference for dF needs the central step.
    fn component(&mut self, probe: &mut Prober, j: usize) -> Component {
        let mut c = self.defaults(j);
        let centre = self.noise(probe, j, &mut c);
        if let Some(f0) = &self.value_at_first(probe, j, centre) {
            c.flat_step = self.flat_step(probe, j, f0);
            // A component F does not depend on at all (never moves) is not "flat".
            c.flat = c.flat_step.is_some_and(|h| h > c.default_central);
            // On a flat component differences see zero whatever the step.
            if !c.flat {
                (c.h_forward, c.h_central) = self.optimal_steps(probe, j, c.noise, f0);
            }
        }
        self.reference_column(probe, j, c.h_central);
        c
    }

    /// Component `j` before any measurement: the default steps at the first sample's theta.
    fn defaults(&self, j: usize) -> Component {
        let t0 = self.thetas[0][j];
        Component {
            index: j,
            default_forward: FORWARD_H_REL * t0.abs().max(1.0),
            default_central: CENTRAL_H_REL * t0.abs().max(1.0),
            ..Component::default()
        }
    }

    /// ECnoise at each sample: fills the noise (the median over samples), the first
    /// sample's levels, and F's scale. Gives F at the first sample when its table had it.
    fn noise(&mut self, probe: &mut Prober, j: usize, c: &mut Component) -> Option<Vec<f64>> {
        let (s, y) = (self.scale[j], self.dims.y);
        let mut per_sample = Vec::new();
        let mut centres = Vec::with_capacity(self.xs.len());
        for (i, (x, theta)) in self.xs.iter().zip(&self.thetas).enumerate() {
            let found = ecnoise::at_sample(s, y, |offsets| probe.along(x, theta, j, offsets));
            per_sample.extend(found.noise);
            if i == 0 {
                c.levels = found.levels.unwrap_or_default();
            }
            centres.push(found.centre);
        }
        for f in centres.iter().flatten().flatten() {
            self.f_scale = self.f_scale.max(f.abs());
        }
        per_sample.sort_by(f64::total_cmp);
        c.noise = per_sample.get(per_sample.len() / 2).copied();
        centres.into_iter().next().flatten()
    }

    /// F at the first sample: the noise table's centre, else one probe of its own.
    fn value_at_first(
        &self,
        probe: &mut Prober,
        j: usize,
        centre: Option<Vec<f64>>,
    ) -> Option<Vec<f64>> {
        centre.or_else(|| {
            probe
                .along(&self.xs[0], &self.thetas[0], j, &[0.0])
                .and_then(|r| r.into_iter().next())
        })
    }

    /// The smallest step of 10^-12 .. 1 (times the scale) at which F moves from `f0` at the
    /// first sample; `None` when it never does (or a probe failed).
    fn flat_step(&self, probe: &mut Prober, j: usize, f0: &[f64]) -> Option<f64> {
        let s = self.scale[j];
        for k in (0..=12).rev() {
            let h = s * 10f64.powi(-k);
            let r = probe.along(&self.xs[0], &self.thetas[0], j, &[h])?;
            if r[0] != f0 {
                return Some(h);
            }
        }
        None
    }

    /// The noise-optimal forward and central steps at the first sample.
    fn optimal_steps(
        &self,
        probe: &mut Prober,
        j: usize,
        noise: Option<f64>,
        f0: &[f64],
    ) -> (Option<f64>, Option<f64>) {
        let (x0, th0, s) = (&self.xs[0], &self.thetas[0], self.scale[j]);
        steps::noise_optimal(noise, f0, s, |o, t| {
            probe.along(x0, th0, j, &[t * s]).map(|r| r[0][o])
        })
    }

    /// Column `j` of the reference Jacobian at every sample, when F has dF.
    fn reference_column(&mut self, probe: &mut Prober, j: usize, h_central: Option<f64>) {
        let Some(reference) = &mut self.reference else {
            return;
        };
        let offsets = reference.offsets(j, self.scale[j], h_central);
        for (i, (x, theta)) in self.xs.iter().zip(&self.thetas).enumerate() {
            if let Some(rows) = probe.along(x, theta, j, &offsets) {
                reference.set_column(i, j, &rows);
            }
        }
    }

    /// The finished diagnosis; with dF, the check (one dF call per sample).
    pub fn finish(self, bb: &mut dyn BlackBox) -> Diagnosis {
        // A diagnosis stopped early has no full reference to check dF against.
        let complete = self.components.len() == self.dims.theta;
        let df = self
            .reference
            .filter(|_| complete)
            .map_or_else(df_check::Outcome::default, |r| {
                r.check(self.dims, &self.xs, &self.thetas, &self.components, bb)
            });
        Diagnosis {
            schema: 1,
            evals: self.evals,
            jacobian_evals: df.jacobian_evals,
            components: self.components,
            df_check: df.check,
            df_note: df.note,
            failures: self.failures,
            f_scale: self.f_scale,
        }
    }
}

/// `θ0, θ2`: the components named in a message.
fn names(cs: &[&Component]) -> String {
    let n: Vec<String> = cs.iter().map(|c| format!("θ{}", c.index)).collect();
    n.join(", ")
}
