//! The check of the script's dF: a reference Jacobian from Richardson differences, built a
//! column per component as the diagnosis goes, then compared with one dF call per sample,
//! allowing for what F's noise does to the reference.

use super::{names, Component};
use crate::problem::{BlackBox, Dims};
use serde::Serialize;

/// Richardson's step for the dF check, relative to theta's scale (its error is O(h^4)).
const CHECK_SPACING: f64 = 1e-3;
/// A dF entry is wrong when it differs from the reference by more than this share of the
/// Jacobian's typical entry (plus what the noise allows).
const CHECK_TOLERANCE: f64 = 1e-4;
/// The check is conclusive when what the noise allows is below this share of the
/// Jacobian's typical entry, and dF's relative error below it too.
const CONCLUSIVE: f64 = 0.01;

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

/// Richardson's reference Jacobian, filled a column per component.
pub(super) struct Reference {
    /// `[sample][output][component]`.
    jacobian: Vec<Vec<Vec<f64>>>,
    /// The spacing per component (for the noise's share of its error).
    h: Vec<f64>,
    /// `[sample][component]`: that column was measured (F did not fail there).
    set: Vec<Vec<bool>>,
}

/// What became of the check when the diagnosis finished.
#[derive(Default)]
pub(super) struct Outcome {
    pub check: Option<DfCheck>,
    /// Why dF was not checked.
    pub note: Option<String>,
    pub jacobian_evals: u64,
}

impl Reference {
    pub fn new(dims: Dims, samples: usize) -> Reference {
        Reference {
            jacobian: vec![vec![vec![0.0; dims.theta]; dims.y]; samples],
            h: vec![0.0; dims.theta],
            set: vec![vec![false; dims.theta]; samples],
        }
    }

    /// The spacing for component `j` (remembered) and the offsets to evaluate F at: at least
    /// ten noise-optimal central steps, since the noise's error in a difference falls as 1/h.
    pub fn offsets(&mut self, j: usize, scale: f64, h_central: Option<f64>) -> [f64; 4] {
        let h = (CHECK_SPACING * scale)
            .max(10.0 * h_central.unwrap_or(0.0))
            .min(0.5 * scale);
        self.h[j] = h;
        [h, -h, 0.5 * h, -0.5 * h]
    }

    /// Sample `i`'s column `j` from F's rows at [`Reference::offsets`]: Richardson's
    /// `(4 D(h/2) − D(h)) / 3`.
    pub fn set_column(&mut self, i: usize, j: usize, rows: &[Vec<f64>]) {
        let h = self.h[j];
        self.set[i][j] = true;
        for (o, col) in self.jacobian[i].iter_mut().enumerate() {
            let d1 = (rows[0][o] - rows[1][o]) / (2.0 * h);
            let d2 = (rows[2][o] - rows[3][o]) / h;
            col[j] = (4.0 * d2 - d1) / 3.0;
        }
    }

    /// The check, with one dF call per sample; skipped (and said why) when F did not move
    /// under small steps, since differences then cannot tell its slope.
    pub fn check(
        self,
        dims: Dims,
        xs: &[Vec<f64>],
        thetas: &[Vec<f64>],
        components: &[Component],
        bb: &mut dyn BlackBox,
    ) -> Outcome {
        let mut outcome = Outcome {
            check: None,
            note: None,
            jacobian_evals: 0,
        };
        // Only the samples whose every column F gave (it may fail at some).
        let whole: Vec<usize> = (0..xs.len())
            .filter(|&i| self.set[i].iter().all(|&b| b))
            .collect();
        if whole.is_empty() {
            outcome.note = Some(
                "dF was not checked: F failed where the differences to check it against were to be taken.".into(),
            );
            return outcome;
        }
        let flat: Vec<&Component> = components.iter().filter(|c| c.flat).collect();
        let zero = whole
            .iter()
            .flat_map(|&i| &self.jacobian[i])
            .flatten()
            .all(|v| *v == 0.0);
        if !flat.is_empty() || zero {
            outcome.note = Some(format!(
                "dF was not checked: F does not change under small steps{}, so differences cannot tell its slope.",
                if flat.is_empty() { String::new() } else { format!(" along {}", names(&flat)) }
            ));
            return outcome;
        }
        let n = whole.len();
        let xs_flat: Vec<f64> = whole.iter().flat_map(|&i| xs[i].iter().copied()).collect();
        let ts_flat: Vec<f64> = whole
            .iter()
            .flat_map(|&i| thetas[i].iter().copied())
            .collect();
        let mut jac = vec![0.0; n * dims.y * dims.theta];
        outcome.jacobian_evals = n as u64;
        match bb.jacobian_batch(&xs_flat, &ts_flat, &mut jac) {
            Ok(()) => {
                let mut check = self.compare(dims, &whole, &jac, components);
                if n < xs.len() {
                    check.conclusive = false;
                    outcome.note = Some(format!(
                        "dF was checked at {n} of {} samples only: F failed at the others.",
                        xs.len()
                    ));
                }
                outcome.check = Some(check);
            }
            Err(e) => outcome.note = Some(format!("dF was not checked: it failed: {}", e.0)),
        }
        outcome
    }

    /// Compares dF (`[sample][output][component]` flattened, at the samples `which`) with
    /// the reference.
    fn compare(
        &self,
        dims: Dims,
        which: &[usize],
        jac: &[f64],
        components: &[Component],
    ) -> DfCheck {
        let count = (which.len() * dims.y * dims.theta).max(1) as f64;
        let ref_norm = which
            .iter()
            .flat_map(|&i| &self.jacobian[i])
            .flatten()
            .map(|v| v * v)
            .sum::<f64>()
            .sqrt();
        let typical = ref_norm / count.sqrt();
        let (mut diff2, mut worst, mut worst_ratio) = (0.0, None, -1.0);
        let mut noise_allowance = 0.0f64;
        for (k, &i) in which.iter().enumerate() {
            for (o, row) in self.jacobian[i].iter().enumerate() {
                for (j, &want) in row.iter().enumerate() {
                    let got = jac[(k * dims.y + o) * dims.theta + j];
                    let diff = (got - want).abs();
                    diff2 += diff * diff;
                    // Richardson's error from noise is about ε/h; allow ten times it.
                    let noise = components.get(j).and_then(|c| c.noise).unwrap_or(0.0);
                    let allowance = 10.0 * noise / self.h[j];
                    noise_allowance = noise_allowance.max(allowance);
                    let tol = CHECK_TOLERANCE * typical.max(f64::MIN_POSITIVE) + allowance;
                    // A NaN in dF is the worst entry of all.
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
}
