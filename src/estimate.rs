//! Gradient estimators for `dL/dtheta`, per sample, from evaluations of the black box
//! alone, plus the exact one from the user's `dF` and the Richardson-extrapolated
//! reference. `L` is the mean squared error over the batch and the outputs, so
//! `dL/dtheta_i = J_i^T w_i` with `w_i = 2 (F(x_i, theta_i) - y_i) / (n m)`.
//!
//! Every estimator evaluates the centre `F(x_i, theta_i)` (the loss and the residual) and
//! its probes in ONE batch call. Each is linear in `w_i`: finite differences estimate
//! the Jacobian column by column; SPSA and ES estimate directional derivatives
//! `J_i d` along random `d` with `E[d d^T] = I`, so `E[d (J_i d)^T w_i] = J_i^T w_i`.

use crate::problem::{CountedBox, EvalError, Purpose};
use ndarray::{Array2, ArrayView2};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

/// `cbrt(eps)`: balances central differences' O(h^2) truncation against O(eps/h) round-off.
pub const CENTRAL_H_REL: f64 = 6.055_454_452_393_343e-6;
/// `sqrt(eps)`: the same balance for forward differences' O(h) truncation.
pub const FORWARD_H_REL: f64 = 1.490_116_119_384_765_6e-8;
/// Richardson (central at h and h/2) has O(h^4) truncation: `eps^(1/5)` is about 7e-4.
pub const RICHARDSON_H_REL: f64 = 1e-3;

/// How to estimate `dL/dtheta`.
#[derive(Clone, Copy, Debug)]
pub enum Estimator<'a> {
    /// `steps`: an absolute step per component (the diagnosis's noise-optimal ones; 0 for
    /// a component without one), in place of `h_rel`.
    Central {
        h_rel: f64,
        steps: Option<&'a [f64]>,
    },
    Forward {
        h_rel: f64,
        steps: Option<&'a [f64]>,
    },
    /// Central differences at `h` and `h/2`, extrapolated: `(4 D(h/2) - D(h)) / 3`.
    Richardson { h_rel: f64 },
    /// Spall's simultaneous perturbation, `k` Rademacher directions, perturbation `c`
    /// times each component's `scale`.
    Spsa { k: usize, c: f64, scale: &'a [f64] },
    /// Antithetic Gaussian smoothing (Salimans et al. 2017), `k` pairs, perturbation
    /// `sigma` times each component's `scale`.
    Es {
        k: usize,
        sigma: f64,
        scale: &'a [f64],
    },
    /// Guided ES (Maheswaranathan et al. 2019): ES whose directions are drawn from
    /// `N(0, n Σ)` with the paper's `Σ = (alpha/n) I + (1 - alpha) u u^T` (one guiding
    /// direction: `k = 1` in the paper's `((1-alpha)/k) U U^T`), `u` the unit direction of
    /// each row of `guide` taken in the probes' coordinates (`scale∘guide`), `n` = thetaDim.
    /// The factor `n` keeps `alpha = 1` plain ES with the same `sigma`; the guide gets
    /// `alpha + n (1 - alpha)` of the variance, every other direction `alpha`, and the
    /// estimate is divided by `alpha + n (1 - alpha)`, so that a perfect guide gives the
    /// gradient (not 8.5 times it at n = 16, alpha = 0.5). A row of zeros in `guide` means
    /// plain ES for that sample.
    GuidedEs {
        k: usize,
        sigma: f64,
        alpha: f64,
        guide: ArrayView2<'a, f64>,
        scale: &'a [f64],
    },
    /// `J` from the user's `dF`.
    Exact,
}

impl Estimator<'_> {
    /// F-evaluations per sample, the centre included.
    pub fn evals_per_sample(&self, theta_dim: usize) -> u64 {
        let p = theta_dim as u64;
        match *self {
            Estimator::Central { .. } => 2 * p + 1,
            Estimator::Forward { .. } => p + 1,
            Estimator::Richardson { .. } => 4 * p + 1,
            Estimator::Spsa { k, .. } | Estimator::Es { k, .. } | Estimator::GuidedEs { k, .. } => {
                2 * k as u64 + 1
            }
            Estimator::Exact => 1,
        }
    }
}

/// The loss of a batch and the estimate of its gradient.
#[derive(Clone, Debug)]
pub struct LossGrad {
    pub loss: f64,
    /// `F(x_i, theta_i)`.
    pub f: Array2<f64>,
    /// `dL/dtheta`, `n x p`.
    pub grad: Array2<f64>,
    /// The probe rows evaluated (theta and F), for methods that learn a surrogate from them.
    pub probes: Option<(Array2<f64>, Array2<f64>, Array2<f64>)>,
    /// Stochastic estimators: the estimate from each of the k directions alone (each `n x
    /// p`, independent draws whose mean is `grad`): their spread is the estimate's standard
    /// error (`crate::error_bars`). Empty for deterministic estimators.
    pub directions: Vec<Array2<f64>>,
}

/// The mean of `k` independent vector estimates and its standard error per component
/// (`None` for fewer than 2).
pub fn standard_errors(draws: &[Vec<f64>]) -> Option<(Vec<f64>, Vec<f64>)> {
    let k = draws.len();
    if k < 2 {
        return None;
    }
    let len = draws[0].len();
    let mean: Vec<f64> = (0..len)
        .map(|j| draws.iter().map(|d| d[j]).sum::<f64>() / k as f64)
        .collect();
    let se = (0..len)
        .map(|j| {
            let ss: f64 = draws.iter().map(|d| (d[j] - mean[j]).powi(2)).sum();
            (ss / ((k - 1) * k) as f64).sqrt()
        })
        .collect();
    Some((mean, se))
}

/// `w = 2 (f - y) / (n m)` and the mean squared error.
pub fn residual_weights(f: &Array2<f64>, y: ArrayView2<f64>) -> (Array2<f64>, f64) {
    let count = (f.nrows() * f.ncols()).max(1) as f64;
    let r = f - &y;
    let loss = r.iter().map(|v| v * v).sum::<f64>() / count;
    (r * (2.0 / count), loss)
}

fn step_for(t: f64, h_rel: f64) -> f64 {
    h_rel * t.abs().max(1.0)
}

/// Inputs, policy outputs and targets of a batch (rows are samples), and `F(x, theta)`
/// when the caller has already evaluated it (then it is not evaluated again).
#[derive(Clone, Copy, Debug)]
pub struct Batch<'a> {
    pub x: ArrayView2<'a, f64>,
    pub theta: ArrayView2<'a, f64>,
    pub y: ArrayView2<'a, f64>,
    pub centre: Option<ArrayView2<'a, f64>>,
}

impl<'a> Batch<'a> {
    pub fn new(x: ArrayView2<'a, f64>, theta: ArrayView2<'a, f64>, y: ArrayView2<'a, f64>) -> Self {
        Batch {
            x,
            theta,
            y,
            centre: None,
        }
    }
}

/// One direction of Guided ES: `sqrt(alpha) z + sqrt(n (1 - alpha)) u z'` with `z ~ N(0, I)`,
/// `z' ~ N(0, 1)` and `u` a unit vector (or `None`: plain ES), so its covariance is
/// `alpha I + n (1 - alpha) u u^T`, `n` times the paper's `Σ` (see [`Estimator::GuidedEs`]).
pub fn guided_direction(rng: &mut ChaCha8Rng, p: usize, alpha: f64, u: Option<&[f64]>) -> Vec<f64> {
    let mut d: Vec<f64> = (0..p).map(|_| StandardNormal.sample(rng)).collect();
    if let Some(u) = u {
        let z: f64 = StandardNormal.sample(rng);
        let (a, b) = (alpha.sqrt(), (p as f64 * (1.0 - alpha)).sqrt());
        for j in 0..p {
            d[j] = a * d[j] + b * u[j] * z;
        }
    }
    d
}

/// Estimates `L` and `dL/dtheta` at `batch.theta` for `(batch.x, batch.y)`.
pub fn loss_and_grad(
    est: Estimator,
    bb: &mut CountedBox,
    purpose: Purpose,
    batch: Batch,
    rng: &mut ChaCha8Rng,
    keep_probes: bool,
) -> Result<LossGrad, EvalError> {
    let Batch {
        x,
        theta,
        y,
        centre,
    } = batch;
    let (n, p) = theta.dim();
    let xd = x.ncols();
    let m = bb.dims().y;
    if let Estimator::Exact = est {
        let f = match centre {
            Some(c) => c.to_owned(),
            None => bb.eval(purpose, x, theta)?,
        };
        let jac = bb.jacobian(x, theta)?;
        let (w, loss) = residual_weights(&f, y);
        let mut grad = Array2::zeros((n, p));
        for i in 0..n {
            for k in 0..m {
                let wk = w[[i, k]];
                for j in 0..p {
                    grad[[i, j]] += jac[[i, k * p + j]] * wk;
                }
            }
        }
        return Ok(LossGrad {
            loss,
            f,
            grad,
            probes: None,
            directions: Vec::new(),
        });
    }

    // Probe rows per sample, each a (theta + delta) with a coefficient table to combine.
    let per = (est.evals_per_sample(p) - 1) as usize;
    let rows = n * (per + 1);
    let mut xs = Array2::zeros((rows, xd));
    let mut ts = Array2::zeros((rows, p));
    for i in 0..n {
        xs.row_mut(i).assign(&x.row(i));
        ts.row_mut(i).assign(&theta.row(i));
    }
    // directions[i][q] = the perturbation of probe pair q of sample i (for randomized methods)
    let mut directions: Vec<Vec<f64>> = Vec::new();
    // Guided ES: 1 / (alpha + p (1 - alpha)) for a sample with a guide, so that a perfect guide
    // gives an unbiased estimate and no guide plain ES (the paper's reference scaling).
    let mut guide_scale = vec![1.0; n];
    let mut steps = Array2::<f64>::zeros((n, p)); // actual (representable) step per coordinate
    let mut steps_half = Array2::<f64>::zeros((n, p));
    let base = n;
    for i in 0..n {
        let t = theta.row(i);
        let first = base + i * per;
        for r in first..first + per {
            xs.row_mut(r).assign(&x.row(i));
            ts.row_mut(r).assign(&t);
        }
        match est {
            Estimator::Central { h_rel, .. }
            | Estimator::Forward { h_rel, .. }
            | Estimator::Richardson { h_rel } => {
                let fixed = match est {
                    Estimator::Central { steps, .. } | Estimator::Forward { steps, .. } => steps,
                    _ => None,
                };
                for j in 0..p {
                    let h = match fixed {
                        Some(s) if s[j] > 0.0 => s[j],
                        _ => step_for(t[j], h_rel),
                    };
                    // Steps as the machine sees them, so (t+h)-(t-h) is exact in the quotient.
                    let (tp, tm) = (t[j] + h, t[j] - h);
                    match est {
                        Estimator::Forward { .. } => {
                            ts[[first + j, j]] = tp;
                            steps[[i, j]] = tp - t[j];
                        }
                        _ => {
                            ts[[first + 2 * j, j]] = tp;
                            ts[[first + 2 * j + 1, j]] = tm;
                            steps[[i, j]] = tp - tm;
                        }
                    }
                    if let Estimator::Richardson { .. } = est {
                        let (hp, hm) = (t[j] + 0.5 * h, t[j] - 0.5 * h);
                        ts[[first + 2 * p + 2 * j, j]] = hp;
                        ts[[first + 2 * p + 2 * j + 1, j]] = hm;
                        steps_half[[i, j]] = hp - hm;
                    }
                }
            }
            Estimator::Spsa { k, c, scale } => {
                for q in 0..k {
                    let d: Vec<f64> = (0..p)
                        .map(|_| if rng.random::<bool>() { 1.0 } else { -1.0 })
                        .collect();
                    for j in 0..p {
                        ts[[first + 2 * q, j]] += c * scale[j] * d[j];
                        ts[[first + 2 * q + 1, j]] -= c * scale[j] * d[j];
                    }
                    directions.push(d);
                }
            }
            Estimator::Es { k, .. } | Estimator::GuidedEs { k, .. } => {
                // The guide in the probes' coordinates z (theta = centre + sigma scale∘z): a
                // gradient in theta's units becomes scale∘g there.
                let u: Option<Vec<f64>> = match est {
                    Estimator::GuidedEs { guide, scale, .. } => {
                        let g: Vec<f64> =
                            guide.row(i).iter().zip(scale).map(|(v, s)| v * s).collect();
                        let norm = g.iter().map(|v| v * v).sum::<f64>().sqrt();
                        (norm > 0.0 && norm.is_finite())
                            .then(|| g.iter().map(|v| v / norm).collect())
                    }
                    _ => None,
                };
                if let Estimator::GuidedEs { alpha, .. } = est {
                    if u.is_some() {
                        guide_scale[i] = 1.0 / (alpha + p as f64 * (1.0 - alpha));
                    }
                }
                let (alpha, sigma, scale) = match est {
                    Estimator::GuidedEs {
                        alpha,
                        sigma,
                        scale,
                        ..
                    } => (alpha, sigma, scale),
                    Estimator::Es { sigma, scale, .. } => (1.0, sigma, scale),
                    _ => unreachable!(),
                };
                for q in 0..k {
                    let d = guided_direction(rng, p, alpha, u.as_deref());
                    for j in 0..p {
                        ts[[first + 2 * q, j]] += sigma * scale[j] * d[j];
                        ts[[first + 2 * q + 1, j]] -= sigma * scale[j] * d[j];
                    }
                    directions.push(d);
                }
            }
            Estimator::Exact => unreachable!(),
        }
    }

    let out = match centre {
        None => bb.eval(purpose, xs.view(), ts.view())?,
        Some(c) => {
            let probes = bb.eval(
                purpose,
                xs.slice(ndarray::s![n.., ..]),
                ts.slice(ndarray::s![n.., ..]),
            )?;
            ndarray::concatenate(ndarray::Axis(0), &[c, probes.view()])
                .expect("the centre has one row per sample")
        }
    };
    let f = out.slice(ndarray::s![..n, ..]).to_owned();
    let (w, loss) = residual_weights(&f, y);
    let mut grad = Array2::zeros((n, p));
    let k_dirs = match est {
        Estimator::Spsa { k, .. } | Estimator::Es { k, .. } | Estimator::GuidedEs { k, .. } => k,
        _ => 0,
    };
    let mut per_direction = vec![Array2::<f64>::zeros((n, p)); k_dirs];
    for i in 0..n {
        let first = base + i * per;
        let wi = w.row(i);
        let dot_w = |a: usize, b: usize| -> f64 {
            (0..m).map(|k| (out[[a, k]] - out[[b, k]]) * wi[k]).sum()
        };
        match est {
            Estimator::Central { .. } => {
                for j in 0..p {
                    grad[[i, j]] = dot_w(first + 2 * j, first + 2 * j + 1) / steps[[i, j]];
                }
            }
            Estimator::Forward { .. } => {
                for j in 0..p {
                    grad[[i, j]] = dot_w(first + j, i) / steps[[i, j]];
                }
            }
            Estimator::Richardson { .. } => {
                for j in 0..p {
                    let d_h = dot_w(first + 2 * j, first + 2 * j + 1) / steps[[i, j]];
                    let d_half = dot_w(first + 2 * p + 2 * j, first + 2 * p + 2 * j + 1)
                        / steps_half[[i, j]];
                    grad[[i, j]] = (4.0 * d_half - d_h) / 3.0;
                }
            }
            // A probe moved component j by (c or sigma) * scale_j * d_j: dividing by scale_j
            // gives the derivative in theta's own units.
            Estimator::Spsa { k, c, scale } => {
                for q in 0..k {
                    let s = dot_w(first + 2 * q, first + 2 * q + 1) / (2.0 * c) / k as f64;
                    // Rademacher: 1/d_j = d_j.
                    for j in 0..p {
                        let g = s * directions[i * k + q][j] / scale[j];
                        grad[[i, j]] += g;
                        per_direction[q][[i, j]] = g * k as f64;
                    }
                }
            }
            Estimator::Es { k, sigma, scale }
            | Estimator::GuidedEs {
                k, sigma, scale, ..
            } => {
                for q in 0..k {
                    let s = guide_scale[i] * dot_w(first + 2 * q, first + 2 * q + 1)
                        / (2.0 * sigma)
                        / k as f64;
                    for j in 0..p {
                        let g = s * directions[i * k + q][j] / scale[j];
                        grad[[i, j]] += g;
                        per_direction[q][[i, j]] = g * k as f64;
                    }
                }
            }
            Estimator::Exact => unreachable!(),
        }
    }
    let probes = keep_probes.then_some((xs, ts, out));
    Ok(LossGrad {
        loss,
        f,
        grad,
        directions: per_direction,
        probes,
    })
}

/// Relative L2 error `|g - ref| / |ref|` and cosine similarity of two gradients.
pub fn compare(estimate: &[f64], reference: &[f64]) -> (f64, f64) {
    let (mut diff, mut nr, mut ne, mut dot) = (0.0, 0.0, 0.0, 0.0);
    for (e, r) in estimate.iter().zip(reference) {
        diff += (e - r) * (e - r);
        nr += r * r;
        ne += e * e;
        dot += e * r;
    }
    let rel = if nr > 0.0 {
        (diff / nr).sqrt()
    } else if diff == 0.0 {
        0.0
    } else {
        f64::INFINITY
    };
    let cos = if nr > 0.0 && ne > 0.0 {
        dot / (nr.sqrt() * ne.sqrt())
    } else {
        f64::NAN
    };
    (rel, cos)
}

/// ES with the surrogate `F~` as a control variate (after RELAX/LAX, Grathwohl et al. 2018):
/// per sample, with residual weights `w_i`, `s = w_i·F` and `s~ = w_i·F~`, and `k` antithetic
/// pairs `θ ± σ ε_q`,
/// `g_i = (1/k) Σ_q [ (s(θ+σε_q) − s(θ−σε_q)) − c∘(s~(θ+σε_q) − s~(θ−σε_q)) ] ε_q / (2σ) + c∘m_i`,
/// where `m_i` estimates the gradient of the Gaussian-smoothed `s~` from `mc` free surrogate
/// pairs per direction, each corrected by the surrogate's own linear part
/// (`∇s~ + [Δs~(δ)/2σ − δ·∇s~] δ`, unbiased because `E[δδᵀ] = I`), so that only the curvature
/// of `F~` within σ adds variance. Both ES terms estimate a smoothed gradient: the one of `F~` cancels
/// in expectation against `m_i`, so `g_i` is unbiased for the smoothed `F` whatever `F~` and
/// `c` (drawn before this step) are; the better `F~`, the smaller the variance. `2k + 1`
/// F-evaluations per sample, as ES; the surrogate's work is free.
#[derive(Clone, Copy, Debug)]
pub struct CvEs<'a> {
    pub k: usize,
    pub sigma: f64,
    pub scale: &'a [f64],
    /// The control variate's coefficient per component (0: plain ES, 1: the plain control
    /// variate).
    pub c: &'a [f64],
    /// Surrogate-only antithetic pairs per direction for `m_i`.
    pub mc: usize,
}

/// What a `CvEs` step gives beside the estimate: per component, the sums of centred products
/// of the F-term and the surrogate-term over the directions, and of the surrogate-term
/// squared, from which the variance-minimising `c = Cov/Var` is estimated online.
#[derive(Clone, Debug)]
pub struct CvEsOut {
    pub lg: LossGrad,
    /// F~ on the probe rows (`lg.probes`), when they are kept.
    pub probe_predictions: Option<Array2<f64>>,
    pub cov: Vec<f64>,
    pub var: Vec<f64>,
}

/// `F~` on rows `(x, theta)`, `n x m`.
pub type SurrogateFn<'a> = dyn FnMut(ArrayView2<f64>, ArrayView2<f64>) -> Array2<f64> + 'a;
/// `J~(x_i, theta_i)^T w_i` per row: F~'s gradient of `w·F~`, `n x p`.
pub type SurrogateGradFn<'a> =
    dyn FnMut(ArrayView2<f64>, ArrayView2<f64>, ArrayView2<f64>) -> Array2<f64> + 'a;

/// The surrogate as [`cv_es_loss_and_grad`] uses it: its values and its gradient.
pub struct Surrogate<'s, 'a> {
    pub values: &'s mut SurrogateFn<'a>,
    pub grad: &'s mut SurrogateGradFn<'a>,
}

/// Estimates `L` and `dL/dtheta` by [`CvEs`].
pub fn cv_es_loss_and_grad(
    cv: CvEs,
    bb: &mut CountedBox,
    purpose: Purpose,
    batch: Batch,
    rng: &mut ChaCha8Rng,
    surrogate: Surrogate,
    keep_probes: bool,
) -> Result<CvEsOut, EvalError> {
    let Surrogate {
        values: surrogate,
        grad: surrogate_grad,
    } = surrogate;
    let Batch {
        x,
        theta,
        y,
        centre,
    } = batch;
    let (n, p) = theta.dim();
    let (k, sigma, scale) = (cv.k, cv.sigma, cv.scale);
    let xd = x.ncols();
    let per = 2 * k;
    // F's probe rows, then the surrogate-only rows (mc pairs per direction).
    let mut xs = Array2::zeros((n * per, xd));
    let mut ts = Array2::zeros((n * per, p));
    let mc_rows = n * k * cv.mc * 2;
    let mut xm = Array2::zeros((mc_rows, xd));
    let mut tm = Array2::zeros((mc_rows, p));
    let mut eps = Vec::with_capacity(n * k);
    let mut deltas = Vec::with_capacity(n * k * cv.mc);
    for i in 0..n {
        for q in 0..k {
            let d = guided_direction(rng, p, 1.0, None);
            let r = i * per + 2 * q;
            for (row, sign) in [(r, 1.0), (r + 1, -1.0)] {
                xs.row_mut(row).assign(&x.row(i));
                for j in 0..p {
                    ts[[row, j]] = theta[[i, j]] + sign * sigma * scale[j] * d[j];
                }
            }
            eps.push(d);
            for a in 0..cv.mc {
                let d = guided_direction(rng, p, 1.0, None);
                let r = ((i * k + q) * cv.mc + a) * 2;
                for (row, sign) in [(r, 1.0), (r + 1, -1.0)] {
                    xm.row_mut(row).assign(&x.row(i));
                    for j in 0..p {
                        tm[[row, j]] = theta[[i, j]] + sign * sigma * scale[j] * d[j];
                    }
                }
                deltas.push(d);
            }
        }
    }
    let f = match centre {
        Some(c) => c.to_owned(),
        None => bb.eval(purpose, x, theta)?,
    };
    let out = bb.eval(purpose, xs.view(), ts.view())?;
    let sur = surrogate(xs.view(), ts.view());
    let sur_mc = surrogate(xm.view(), tm.view());
    let (w, loss) = residual_weights(&f, y);
    let lin = surrogate_grad(x, theta, w.view());
    let m = f.ncols();
    let dot = |a: &Array2<f64>, r: usize, i: usize| -> f64 {
        (0..m)
            .map(|o| (a[[r, o]] - a[[r + 1, o]]) * w[[i, o]])
            .sum()
    };
    let mut grad = Array2::zeros((n, p));
    let mut per_direction = vec![Array2::<f64>::zeros((n, p)); k];
    let (mut cov, mut var) = (vec![0.0; p], vec![0.0; p]);
    let mut g_f = vec![vec![0.0; p]; k];
    let mut g_s = vec![vec![0.0; p]; k];
    for i in 0..n {
        for q in 0..k {
            let r = i * per + 2 * q;
            let (a, b) = (dot(&out, r, i), dot(&sur, r, i));
            let d = &eps[i * k + q];
            // This direction's own estimate of the smoothed surrogate's gradient.
            let mut mq: Vec<f64> = lin.row(i).to_vec();
            for t in 0..cv.mc {
                let r = ((i * k + q) * cv.mc + t) * 2;
                let dl = &deltas[(i * k + q) * cv.mc + t];
                let linear: f64 = (0..p).map(|j| scale[j] * dl[j] * lin[[i, j]]).sum();
                let s = (dot(&sur_mc, r, i) / (2.0 * sigma) - linear) / cv.mc as f64;
                for j in 0..p {
                    mq[j] += s * dl[j] / scale[j];
                }
            }
            for j in 0..p {
                g_f[q][j] = a / (2.0 * sigma) * d[j] / scale[j];
                g_s[q][j] = b / (2.0 * sigma) * d[j] / scale[j];
                let g = g_f[q][j] - cv.c[j] * (g_s[q][j] - mq[j]);
                per_direction[q][[i, j]] = g;
                grad[[i, j]] += g / k as f64;
            }
        }
        for j in 0..p {
            let mf = g_f.iter().map(|v| v[j]).sum::<f64>() / k as f64;
            let ms = g_s.iter().map(|v| v[j]).sum::<f64>() / k as f64;
            for q in 0..k {
                cov[j] += (g_f[q][j] - mf) * (g_s[q][j] - ms);
                var[j] += (g_s[q][j] - ms) * (g_s[q][j] - ms);
            }
        }
    }
    let probes = keep_probes.then_some((xs, ts, out));
    let probe_predictions = keep_probes.then_some(sur);
    Ok(CvEsOut {
        probe_predictions,
        lg: LossGrad {
            loss,
            f,
            grad,
            probes,
            directions: per_direction,
        },
        cov,
        var,
    })
}
