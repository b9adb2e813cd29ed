//! The noise level of F along one direction by ECnoise (Moré & Wild, SIAM J. Sci. Comput.
//! 33(3), 2011): a table of equally spaced values, its differences, and the order at which
//! they stop shrinking; and the retrying of the spacing that the verdicts ask for.

/// Evaluations of one ECnoise table (Moré & Wild use 7 or 9).
pub const POINTS: usize = 7;
/// ECnoise's first spacing, relative to theta's scale; retried ×100 or ÷100.
const FIRST_SPACING: f64 = 1e-6;
const TRIES: usize = 4;
/// The smallest spacing tried (after three ÷100).
const SMALLEST_SPACING: f64 = 1e-12;

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

/// What ECnoise found at one sample along one component.
pub(super) struct SampleNoise {
    /// The largest noise over F's outputs; `None` when no output showed any.
    pub noise: Option<f64>,
    /// The levels of the first output that showed noise (for the chart).
    pub levels: Option<Vec<f64>>,
    /// F at the sample itself (the last table's centre); `None` when no table was made.
    pub centre: Option<Vec<f64>>,
}

/// ECnoise per output at one sample, retrying the spacing as the verdicts ask: ÷100 when
/// the values spread too much, ×100 when they do not move. `table(offsets)` gives F's
/// output rows at those offsets along the component (theta's units), `None` when F failed;
/// `scale` is theta's scale there.
pub(super) fn at_sample(
    scale: f64,
    outputs: usize,
    mut table: impl FnMut(&[f64]) -> Option<Vec<Vec<f64>>>,
) -> SampleNoise {
    let mut h = FIRST_SPACING * scale;
    let mut found: Vec<Option<f64>> = vec![None; outputs];
    let (mut levels, mut centre) = (None, None);
    for _ in 0..TRIES {
        let offsets: Vec<f64> = (0..POINTS)
            .map(|k| (k as f64 - (POINTS / 2) as f64) * h)
            .collect();
        let Some(rows) = table(&offsets) else {
            break;
        };
        centre = Some(rows[POINTS / 2].clone());
        // At the smallest spacing F's own change is negligible: a spread over 10% there is
        // noise over 10% of F, which the table alone measures.
        let smallest = h <= 1.5 * SMALLEST_SPACING * scale;
        let (too_small, too_large) = read_table(&rows, smallest, &mut found, &mut levels);
        if found.iter().all(Option::is_some) || (!too_small && !too_large) {
            break;
        }
        h = if too_large { h / 100.0 } else { h * 100.0 };
    }
    SampleNoise {
        noise: found.iter().flatten().copied().reduce(f64::max),
        levels,
        centre,
    }
}

/// ECnoise on each output still without a noise level, filling `found` (and `levels` at the
/// first level found); whether some output said the spacing is too small, or too large.
fn read_table(
    rows: &[Vec<f64>],
    smallest: bool,
    found: &mut [Option<f64>],
    levels: &mut Option<Vec<f64>>,
) -> (bool, bool) {
    let (mut too_small, mut too_large) = (false, false);
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
                levels.get_or_insert(e.levels);
            }
            Verdict::SpacingTooSmall => too_small = true,
            Verdict::SpacingTooLarge => too_large = true,
        }
    }
    (too_small, too_large)
}
