//! Diagnose F before a race: its noise along each theta component (ECnoise, Moré & Wild,
//! SIAM J. Sci. Comput. 33(3), 2011), the noise-optimal finite-difference steps (Moré &
//! Wild, ACM TOMS 38, 2012), the steps under which F does not change at all (a quantized F),
//! where F fails (which components, at which values), a check of the script's dF against
//! Richardson differences, and from all of it a method to use. A `Diagnoser` works one
//! component per `step`, so a worker can stop it between components; every F-evaluation is
//! counted, and a component never spends more than its budget ([`BUDGET`] by default).
//!
//! Here: the probing of F, the budget and the order of the measurements. The numerics live
//! beside it: `ecnoise` (the noise level), `steps` (the noise-optimal steps), `df_check` (dF
//! against differences) and `recommend` (the rules that pick methods).

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
use ecnoise::Miss;
use serde::Serialize;
use std::collections::HashMap;

/// Training samples the diagnosis looks at by default.
pub const SAMPLES: usize = 3;
/// F-evaluations one component may spend by default. The only others are F at each
/// sample's own θ, evaluated once for every component (one per sample).
pub const BUDGET: u64 = 60;
/// The budgets a person may ask for.
pub const MIN_BUDGET: u64 = 30;
pub const MAX_BUDGET: u64 = 600;
/// The most samples a larger budget buys.
pub const MAX_SAMPLES: usize = 12;

/// The samples a budget per component pays for: 3 at the default 60, one more per 20
/// evaluations above it, at most [`MAX_SAMPLES`] (each sample costs a table of 6 for the
/// noise and 4 for the dF check).
pub fn samples_for(budget: u64) -> usize {
    ((budget / 20) as usize).clamp(SAMPLES, MAX_SAMPLES)
}

/// How far along each component (times theta's scale, both ways) the diagnosis looks for
/// places where F fails: training moves θ that far, and farther.
pub const REACH: [f64; 3] = [0.01, 0.03, 0.1];

/// One theta component's measurements. Steps are in theta's units.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Component {
    pub index: usize,
    /// Noise (standard deviation, the largest over F's outputs, the median over samples);
    /// `None` when ECnoise found none (F exact to rounding, or flat), or could not measure.
    pub noise: Option<f64>,
    /// ECnoise's levels by order at the first sample (for the chart).
    pub levels: Vec<f64>,
    /// F did not change under the step central differences use by default.
    pub flat: bool,
    /// A step (10^-12 .. 1 times theta's scale) at which F changed: the smallest one of the
    /// noise tables when they show a change, else the smallest power of ten; `None`: it never
    /// did (or F failed before it could tell).
    pub flat_step: Option<f64>,
    /// Noise-optimal steps (`None`: no estimate; the defaults then apply).
    pub h_forward: Option<f64>,
    pub h_central: Option<f64>,
    /// The defaults at the first sample's theta, for comparison.
    pub default_forward: f64,
    pub default_central: f64,
    /// Probes along this component that failed (threw, NaN or infinity).
    pub failures: u64,
    /// The smallest and the largest value of this component at those probes.
    pub failed_range: Option<[f64; 2]>,
    /// Its noise, flatness and steps were measured. False when F failed where they needed it
    /// (at the samples' own θ, or along the component) or the budget ran out before them:
    /// they are then unknown, and no advice rests on them.
    pub measured: bool,
    /// The budget ran out before every measurement of this component was made.
    pub budget_reached: bool,
}

/// Probes that threw or returned NaN or infinity.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Failures {
    pub count: u64,
    pub example: Option<FailureExample>,
    /// The samples (0-based) at whose own θ F failed: nothing could be measured there.
    pub at_start: Vec<usize>,
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
    /// F-evaluations a component may spend.
    pub budget: u64,
    /// Samples looked at.
    pub samples: usize,
    /// F at each sample's own θ, shared by every component (in `evals`).
    pub shared_evals: u64,
    /// The most this diagnosis could spend: `budget` per component plus the shared ones.
    pub max_evals: u64,
    pub jacobian_evals: u64,
    pub components: Vec<Component>,
    pub df_check: Option<DfCheck>,
    /// Why dF was not checked although the script has one (F flat under small steps, or
    /// dF failed), or why the check is partial.
    pub df_note: Option<String>,
    pub failures: Failures,
    /// Largest |F| seen at the samples (to say whether a noise level is small).
    pub f_scale: f64,
}

/// One probe's outcome: F's output row, or why there is none (the user's words).
type Row = Result<Vec<f64>, String>;

/// F at `(x, theta)` for each theta, in one batch (one crossing to the script); a row that
/// is not finite is a failure too.
fn evaluate(bb: &mut dyn BlackBox, dims: Dims, x: &[f64], thetas: &[Vec<f64>]) -> Vec<Row> {
    let n = thetas.len();
    let xs: Vec<f64> = (0..n).flat_map(|_| x.iter().copied()).collect();
    let ts: Vec<f64> = thetas.iter().flatten().copied().collect();
    let mut out = vec![0.0; n * dims.y];
    let rows: Vec<Row> = match bb.eval_batch(&xs, &ts, &mut out) {
        Ok(()) => out.chunks(dims.y).map(|r| Ok(r.to_vec())).collect(),
        // One probe threw: find which, one at a time (not counted again: the batch was).
        Err(_) => thetas
            .iter()
            .map(|t| {
                let mut y = vec![0.0; dims.y];
                bb.eval_batch(x, t, &mut y).map(|()| y).map_err(|e| e.0)
            })
            .collect(),
    };
    rows.into_iter()
        .map(|r| {
            r.and_then(|y| {
                if y.iter().all(|v| v.is_finite()) {
                    Ok(y)
                } else {
                    Err("F returned NaN or infinity".to_string())
                }
            })
        })
        .collect()
}

impl Failures {
    /// Counts a failed probe (the first kept as the example to show).
    fn record(&mut self, x: &[f64], theta: &[f64], message: String) {
        self.count += 1;
        self.example.get_or_insert(FailureExample {
            x: x.to_vec(),
            theta: theta.to_vec(),
            message,
        });
    }
}

/// Evaluates probes along one component, counting them against its budget, counting their
/// failures, and remembering every probe so that no point is evaluated twice.
struct Prober<'a> {
    bb: &'a mut dyn BlackBox,
    dims: Dims,
    xs: &'a [Vec<f64>],
    thetas: &'a [Vec<f64>],
    j: usize,
    evals: u64,
    /// Probes beyond this count are refused (`Miss::Budget`).
    limit: u64,
    failures: &'a mut Failures,
    /// This component's failed probes and the values of θ_j there.
    failed: u64,
    failed_range: Option<[f64; 2]>,
    /// A probe was refused for the budget.
    short: bool,
    /// F at (sample, offset bits) along the component: its row, or None when it failed.
    seen: HashMap<(usize, u64), Option<Vec<f64>>>,
}

impl Prober<'_> {
    /// F at sample `i` at these offsets along the component (theta's units): a row per
    /// offset (`None` where F failed), or `Miss::Budget` when the new ones would exceed it.
    fn each(&mut self, i: usize, offsets: &[f64]) -> Result<Vec<Option<Vec<f64>>>, Miss> {
        let mut new: Vec<f64> = Vec::new();
        for &o in offsets {
            if !self.seen.contains_key(&(i, o.to_bits())) && !new.contains(&o) {
                new.push(o);
            }
        }
        if self.evals + new.len() as u64 > self.limit {
            self.short = true;
            return Err(Miss::Budget);
        }
        if !new.is_empty() {
            let (x, theta, j) = (&self.xs[i], &self.thetas[i], self.j);
            let thetas: Vec<Vec<f64>> = new
                .iter()
                .map(|o| {
                    let mut t = theta.clone();
                    t[j] += o;
                    t
                })
                .collect();
            self.evals += new.len() as u64;
            let rows = evaluate(self.bb, self.dims, x, &thetas);
            for ((o, t), row) in new.iter().zip(&thetas).zip(rows) {
                let kept = match row {
                    Ok(y) => Some(y),
                    Err(message) => {
                        self.failures.record(x, t, message);
                        self.failed += 1;
                        let v = t[j];
                        self.failed_range = Some(
                            self.failed_range
                                .map_or([v, v], |[lo, hi]| [lo.min(v), hi.max(v)]),
                        );
                        None
                    }
                };
                self.seen.insert((i, o.to_bits()), kept);
            }
        }
        Ok(offsets
            .iter()
            .map(|o| self.seen[&(i, o.to_bits())].clone())
            .collect())
    }

    /// Every row, or why not (`Miss::Failed` when F failed at one of them).
    fn along(&mut self, i: usize, offsets: &[f64]) -> Result<Vec<Vec<f64>>, Miss> {
        self.each(i, offsets)?
            .into_iter()
            .collect::<Option<Vec<_>>>()
            .ok_or(Miss::Failed)
    }

    /// One row, when F gave it.
    fn at(&mut self, i: usize, offset: f64) -> Option<Vec<f64>> {
        self.along(i, &[offset]).ok().map(|mut r| r.remove(0))
    }
}

/// The diagnosis in progress: one component per [`Diagnoser::step`].
pub struct Diagnoser {
    dims: Dims,
    xs: Vec<Vec<f64>>,
    thetas: Vec<Vec<f64>>,
    scale: Vec<f64>,
    budget: u64,
    next: usize,
    components: Vec<Component>,
    /// Richardson's reference Jacobian, when F has dF.
    reference: Option<Reference>,
    evals: u64,
    failures: Failures,
    f_scale: f64,
    /// F at each sample's own θ (`None` where it failed), once the first step made them.
    centres: Option<Vec<Option<Vec<f64>>>>,
}

impl Diagnoser {
    /// A diagnosis at the points `(xs[i], thetas[i])` (a few training samples and the
    /// network's outputs there), with theta's scale per component, at the default budget.
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
            budget: BUDGET,
            next: 0,
            components: Vec::with_capacity(dims.theta),
            reference: has_df.then(|| Reference::new(dims, n)),
            evals: 0,
            failures: Failures::default(),
            f_scale: 0.0,
            centres: None,
        }
    }

    /// The same with `budget` F-evaluations per component (at least [`MIN_BUDGET`]).
    pub fn with_budget(mut self, budget: u64) -> Diagnoser {
        self.budget = budget.max(MIN_BUDGET);
        self
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

    /// The most the whole diagnosis can spend: its budget per component and F at each sample.
    pub fn max_evals(&self) -> u64 {
        self.budget * self.dims.theta as u64 + self.xs.len() as u64
    }

    /// The first sample where F works at its own θ: steps and flatness are measured there.
    fn first(&self) -> Option<usize> {
        self.centres.as_ref()?.iter().position(Option::is_some)
    }

    /// F at each sample's own θ, once.
    fn centres(&mut self, bb: &mut dyn BlackBox) {
        if self.centres.is_some() {
            return;
        }
        let mut centres = Vec::with_capacity(self.xs.len());
        for (i, (x, theta)) in self.xs.iter().zip(&self.thetas).enumerate() {
            self.evals += 1;
            let row = evaluate(bb, self.dims, x, std::slice::from_ref(theta)).remove(0);
            centres.push(match row {
                Ok(y) => {
                    for v in &y {
                        self.f_scale = self.f_scale.max(v.abs());
                    }
                    Some(y)
                }
                Err(message) => {
                    self.failures.record(x, theta, message);
                    self.failures.at_start.push(i);
                    None
                }
            });
        }
        self.centres = Some(centres);
    }

    /// Measures the next component at every sample.
    pub fn step(&mut self, bb: &mut dyn BlackBox) {
        if self.is_done() {
            return;
        }
        self.centres(bb);
        let j = self.next;
        let c = self.component(bb, j);
        self.components.push(c);
        self.next += 1;
    }

    /// Component `j`'s measurements, in an order that matters: the steps need the noise,
    /// and the reference for dF needs the central step. The reference's evaluations are kept
    /// from the budget first, so that a dF check is never cut short by the others.
    fn component(&mut self, bb: &mut dyn BlackBox, j: usize) -> Component {
        let first = self.first();
        let samples = self.xs.len();
        let centres = self.centres.clone().unwrap_or_default();
        let s = self.scale[j];
        let reserve = if self.reference.is_some() {
            4 * centres.iter().flatten().count() as u64
        } else {
            0
        };
        let mut failures = std::mem::take(&mut self.failures);
        let mut p = Prober {
            bb,
            dims: self.dims,
            xs: &self.xs,
            thetas: &self.thetas,
            j,
            evals: 0,
            limit: self.budget.saturating_sub(reserve),
            failures: &mut failures,
            failed: 0,
            failed_range: None,
            short: false,
            seen: HashMap::new(),
        };
        let t0 = self.thetas[first.unwrap_or(0)][j];
        let mut c = Component {
            index: j,
            default_forward: FORWARD_H_REL * t0.abs().max(1.0),
            default_central: CENTRAL_H_REL * t0.abs().max(1.0),
            ..Component::default()
        };

        // The noise: ECnoise at the first sample, its spacing retried as the verdicts ask;
        // at the others one table at the spacing found there.
        let order = first
            .into_iter()
            .chain((0..samples).filter(|&i| Some(i) != first));
        let (mut spacing, mut moved_at, mut per_sample) = (None, None, Vec::new());
        let mut tables_ok = false;
        for i in order {
            let Some(centre) = &centres[i] else { continue };
            let tries = if Some(i) == first { ecnoise::TRIES } else { 1 };
            let found = ecnoise::at_sample(s, centre, spacing, tries, |o| p.along(i, o));
            tables_ok |= found.tables > 0;
            per_sample.extend(found.noise);
            if Some(i) == first {
                c.levels = found.levels.unwrap_or_default();
                spacing = Some(found.spacing);
                moved_at = found.moved_at;
            }
        }
        per_sample.sort_by(f64::total_cmp);
        c.noise = per_sample.get(per_sample.len() / 2).copied();

        let mut measured = false;
        if let (Some(i), Some(f0)) = (first, first.and_then(|i| centres[i].clone())) {
            // Flat: the noise tables show F moving at a small step, else a search.
            let before = p.failed;
            c.flat_step = match moved_at {
                Some(m) if m <= c.default_central => Some(m),
                _ => flat_step(&mut p, i, s, &f0),
            };
            // A component F does not depend on at all (never moves) is not "flat".
            c.flat = c.flat_step.is_some_and(|h| h > c.default_central);
            let flat_ok = p.failed == before && !p.short;
            // On a flat component differences see zero whatever the step.
            let before = p.failed;
            if !c.flat {
                (c.h_forward, c.h_central) =
                    steps::noise_optimal(c.noise, &f0, s, |t| p.at(i, t * s));
            }
            let steps_ok = p.failed == before && !p.short;
            measured = tables_ok && flat_ok && (c.flat || steps_ok);
            // Where F fails within reach of the start (training takes θ that far).
            // The nearest first: a tight budget cuts the farthest.
            for r in REACH {
                if p.each(i, &[r * s, -r * s]).is_err() {
                    break;
                }
            }
        }
        // The reference for dF, with the evaluations kept for it.
        p.limit = self.budget;
        if let Some(reference) = &mut self.reference {
            let offsets = reference.offsets(j, s, c.h_central);
            for i in (0..samples).filter(|&i| centres[i].is_some()) {
                if let Ok(rows) = p.along(i, &offsets) {
                    reference.set_column(i, j, &rows);
                }
            }
        }
        c.failures = p.failed;
        c.failed_range = p.failed_range;
        c.budget_reached = p.short;
        c.measured = measured;
        self.evals += p.evals;
        self.failures = failures;
        c
    }

    /// The finished diagnosis; with dF, the check (one dF call per sample).
    pub fn finish(self, bb: &mut dyn BlackBox) -> Diagnosis {
        // A diagnosis stopped early has no full reference to check dF against.
        let complete = self.components.len() == self.dims.theta;
        let max_evals = self.max_evals();
        let df = self
            .reference
            .filter(|_| complete)
            .map_or_else(df_check::Outcome::default, |r| {
                r.check(self.dims, &self.xs, &self.thetas, &self.components, bb)
            });
        Diagnosis {
            schema: 1,
            evals: self.evals,
            budget: self.budget,
            samples: self.xs.len(),
            shared_evals: self.centres.as_ref().map_or(0, |c| c.len() as u64),
            max_evals,
            jacobian_evals: df.jacobian_evals,
            components: self.components,
            df_check: df.check,
            df_note: df.note,
            failures: self.failures,
            f_scale: self.f_scale,
        }
    }
}

/// The smallest power of ten (10^-12 .. 1 times the scale `s`) at which F moves from `f0` at
/// sample `i`, by bisection over the exponents (F moving at a step is taken to move at larger
/// ones): at most 5 probes. `None` when it never moves, or F failed.
fn flat_step(p: &mut Prober, i: usize, s: f64, f0: &[f64]) -> Option<f64> {
    let moves = |p: &mut Prober, k: i32| -> Option<bool> {
        let h = s * 10f64.powi(k);
        p.at(i, h).map(|r| r != f0)
    };
    if !moves(p, 0)? {
        return None;
    }
    // F moves at 10^hi; below 10^lo it is not known to.
    let (mut lo, mut hi) = (-13i32, 0i32);
    while hi - lo > 1 {
        let mid = (lo + hi).div_euclid(2);
        if moves(p, mid)? {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Some(s * 10f64.powi(hi))
}

/// `θ0, θ2`: the components named in a message.
fn names(cs: &[&Component]) -> String {
    let n: Vec<String> = cs.iter().map(|c| format!("θ{}", c.index)).collect();
    n.join(", ")
}
