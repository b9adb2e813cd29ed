//! The noise level of F along one direction by ECnoise (Moré & Wild, SIAM J. Sci. Comput.
//! 33(3), 2011): a table of equally spaced values, its differences, and the order at which
//! they stop shrinking; and the retrying of the spacing that the verdicts ask for.

/// Evaluations of one ECnoise table (Moré & Wild use 7 or 9).
pub const POINTS: usize = 7;
/// ECnoise's first spacing, relative to theta's scale; retried ×100 or ÷100.
const FIRST_SPACING: f64 = 1e-6;
/// Tables tried at the first sample (the first and three retries, as ECnoise.m allows).
pub(super) const TRIES: usize = 4;
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

/// Why a table of probes could not be had.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Miss {
    /// F threw or gave NaN or infinity at one of them (counted as a failure).
    Failed,
    /// The component's budget of F-evaluations would be exceeded (nothing evaluated).
    Budget,
}

/// What ECnoise found at one sample along one component.
pub(super) struct SampleNoise {
    /// The largest noise over F's outputs; `None` when no output showed any.
    pub noise: Option<f64>,
    /// The levels of the first output that showed noise (for the chart).
    pub levels: Option<Vec<f64>>,
    /// Where the next sample starts (theta's units): the spacing at which the largest noise
    /// was found, else that of the last table tried.
    pub spacing: f64,
    /// The smallest offset (theta's units) at which some output differed from F at the
    /// sample itself: F moves at that step.
    pub moved_at: Option<f64>,
    /// Tables F gave in full.
    pub tables: usize,
}

/// ECnoise per output at one sample, starting at `spacing` (theta's units; `None`: ECnoise's
/// first, 10⁻⁶ of `scale`) and retrying up to `tries` tables as the verdicts ask: ÷100 when
/// the values spread too much or F failed at one of them, ×100 when they do not move (unless
/// another output showed noise already: one that does not move has none to show).
/// `centre` is F at the sample itself (evaluated once for every component); `table(offsets)`
/// gives F's output rows at the other offsets along the component, or why not. Moré and Wild
/// retry until the spacing is right; the retries stay between 10⁻¹² and 1 times the scale.
pub(super) fn at_sample(
    scale: f64,
    centre: &[f64],
    spacing: Option<f64>,
    tries: usize,
    mut table: impl FnMut(&[f64]) -> Result<Vec<Vec<f64>>, Miss>,
) -> SampleNoise {
    let outputs = centre.len();
    let mut h = spacing.unwrap_or(FIRST_SPACING * scale);
    let mut found: Vec<Option<f64>> = vec![None; outputs];
    let mut levels = None;
    let mut moved_at: Option<f64> = None;
    let mut tables = 0;
    // The largest noise found so far and the spacing it was found at.
    let mut noise_spacing: Option<(f64, f64)> = None;
    let mid = POINTS / 2;
    for _ in 0..tries {
        let offsets: Vec<f64> = (0..POINTS)
            .filter(|&k| k != mid)
            .map(|k| (k as f64 - mid as f64) * h)
            .collect();
        let smaller = (h / 100.0).max(SMALLEST_SPACING * scale);
        let others = match table(&offsets) {
            Ok(rows) => rows,
            // A failure inside the table: F may fail farther out (a bound, a pole); closer in
            // the table may work.
            Err(Miss::Failed) if h > 1.5 * SMALLEST_SPACING * scale => {
                h = smaller;
                continue;
            }
            Err(_) => break,
        };
        tables += 1;
        for (o, row) in offsets.iter().zip(&others) {
            if row != centre {
                moved_at = Some(moved_at.map_or(o.abs(), |m| m.min(o.abs())));
            }
        }
        let mut rows = others;
        rows.insert(mid, centre.to_vec());
        let smallest = h <= 1.5 * SMALLEST_SPACING * scale;
        let before: Vec<bool> = found.iter().map(Option::is_some).collect();
        let small = h <= 1.5 * FIRST_SPACING * scale;
        let (too_small, too_large) = read_table(&rows, smallest, small, &mut found, &mut levels);
        for (o, f) in found.iter().enumerate() {
            if let (Some(v), false) = (f, before[o]) {
                if noise_spacing.is_none_or(|(n, _)| *v > n) {
                    noise_spacing = Some((*v, h));
                }
            }
        }
        // An output that does not move at this spacing while another shows noise has no
        // noise of its own to find (it may not depend on this component at all): only a
        // spread too large is retried then.
        let some_found = found.iter().any(Option::is_some);
        if found.iter().all(Option::is_some) || !too_large && (!too_small || some_found) {
            break;
        }
        let next = if too_large {
            smaller
        } else {
            (h * 100.0).min(scale)
        };
        if next == h {
            break;
        }
        h = next;
    }
    SampleNoise {
        noise: found.iter().flatten().copied().reduce(f64::max),
        levels,
        spacing: noise_spacing.map_or(h, |(_, at)| at),
        moved_at,
        tables,
    }
}

/// ECnoise on each output still without a noise level, filling `found` (and `levels` at the
/// first level found); whether some output said the spacing is too small, or too large.
/// `smallest`: the table is at the smallest spacing; `small`: at ECnoise's first or below.
fn read_table(
    rows: &[Vec<f64>],
    smallest: bool,
    small: bool,
    found: &mut [Option<f64>],
    levels: &mut Option<Vec<f64>>,
) -> (bool, bool) {
    let (mut too_small, mut too_large) = (false, false);
    for (o, slot) in found.iter_mut().enumerate().filter(|(_, f)| f.is_none()) {
        let col: Vec<f64> = rows.iter().map(|r| r[o]).collect();
        let e = match ecnoise(&col) {
            // Spread over 10%. At the smallest spacing F's own change is negligible: the
            // spread is noise, which the table alone measures. At a small spacing (ECnoise's
            // first or below) it is noise too when the table shows it (three levels within a
            // factor 4, differences changing sign): measured there, not retried smaller.
            e if e.levels.is_empty()
                && e.verdict == Verdict::SpacingTooLarge
                && (smallest || small) =>
            {
                let t = difference_table(&col);
                if smallest || matches!(t.verdict, Verdict::Noise(_)) {
                    t
                } else {
                    e
                }
            }
            e => e,
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
