//! Each method's machinery, one type per family: the gradient estimators (finite
//! differences, SPSA, ES, the analytic gradient), the two-stage surrogate, the joint
//! surrogate and Guided ES. Each takes a training step on the shared `Core` and says which
//! `dL/dtheta` it applies at given points, which the monitor compares with the reference:
//! the same code, so the gradient-error chart shows the gradient that was applied.

use super::{policy_forward, rows, Core, SessionError};
use crate::config::{DiagnosedSteps, Method, RunConfig};
use crate::data::Dataset;
use crate::estimate::{self, Batch, Estimator, CENTRAL_H_REL, FORWARD_H_REL};
use crate::nn::Mlp;
use crate::problem::{EvalError, Purpose};
use crate::surrogate::{Surrogate, SURROGATE_LR};
use ndarray::{s, Array2, ArrayView2};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

/// The rows a step evaluated: x, theta and F, as `LossGrad::probes` keeps them.
type Probes = (Array2<f64>, Array2<f64>, Array2<f64>);

/// Surrogate fitting: minibatch rows.
const FIT_BATCH: usize = 64;
/// Two-stage: fit updates per call of `step` (keeps chunks short), passes over the
/// collected rows per round (the update count follows the data), and bounds on it.
const FIT_UPDATES_PER_CALL: usize = 50;
const FIT_EPOCHS: usize = 30;
const FIT_UPDATES_MIN: usize = 200;
const FIT_UPDATES_MAX: usize = 4000;
/// Two-stage: checks of the held-out error without improvement before the fit stops.
const FIT_PATIENCE: usize = 4;
/// Two-stage: every `HOLDOUT_EVERY`-th collected row is held out to judge the fit.
const HOLDOUT_EVERY: usize = 10;
/// Two-stage: rows collected per call of `step` (keeps chunks short).
const COLLECT_ROWS_PER_CALL: usize = 512;
/// Two-stage trust region: a round's training ends when the policy's theta has moved this
/// many exploration widths (RMS over components, in theta's scale) from where it collected.
const TRUST_WIDTHS: f64 = 3.0;
/// Two-stage: training steps through F~ per round when no step cap is set.
const TRAIN_STEPS_PER_ROUND: u64 = 400;
/// Spall's recommended decay exponent for the SPSA perturbation, `c_k = c / (k + 1)^0.101`.
const SPSA_GAMMA: f64 = 0.101;
/// Guided ES leans on F~ once its out-of-sample error, smoothed over steps, is below this
/// share of F's variance (the joint surrogate's gate is a setting, `jointGate`).
pub const VALID_SURROGATE_ERR: f64 = 0.02;
/// The joint surrogate's gate opens anyway once this share of the budget went into warming
/// F~ up (with a note).
const WARMUP_BUDGET_SHARE: f64 = 0.2;
/// Smoothing of the out-of-sample error across steps.
const ERR_SMOOTHING: f64 = 0.9;
/// Joint surrogate: replay updates of F~ per step, on earlier rows (free of F-evaluations).
const JOINT_REPLAY: usize = 2;
/// Guided ES: fit updates of F~ per step on its probes.
const GUIDED_FIT: usize = 2;
/// ES with a surrogate control variate: free surrogate-only antithetic pairs per direction
/// for the smoothed surrogate's gradient (their variance is about 1/MC of ES's).
const CV_MC: usize = 4;
/// Its online estimate of `c = Cov/Var` forgets this share of the past each step.
const CV_DECAY: f64 = 0.8;
/// Its fit updates of F~ per step (free of F-evaluations, not of time). What cv-es gains
/// over ES is how well F~ predicts the probes' differences: on the 16-parameter curve
/// (tests/e2e/control-variate.test.mjs) 24 updates gave 0.58 of ES's median gradient error,
/// 48 gave 0.47, 64 gave 0.43, at about 15x ES's time per step with a cheap F (native).
const CV_FIT: usize = 64;

/// The machinery of the run's method.
#[derive(Clone)]
pub(crate) enum Machinery {
    /// Central, forward, SPSA, ES and the analytic gradient: an `Estimator` per step.
    Estimator,
    TwoStage(Box<TwoStage>),
    Joint(Box<Joint>),
    GuidedEs(Box<GuidedEs>),
    CvEs(Box<CvEsState>),
}

/// A surrogate with its smoothed out-of-sample error.
#[derive(Clone)]
pub(crate) struct Fitted {
    net: Surrogate,
    /// Smoothed error on fresh rows, measured before F~ was fitted on them.
    err: Option<f64>,
    last_mse: f64,
}

impl Fitted {
    fn new(cfg: &RunConfig, data: &Dataset, lr: f64, rng: &mut ChaCha8Rng) -> Fitted {
        Fitted {
            net: Surrogate::new(
                cfg.x_dim,
                &cfg.theta_scale(),
                cfg.x_range,
                data.y_train.view(),
                &cfg.settings.surrogate_hidden,
                lr,
                rng,
            ),
            err: None,
            last_mse: f64::NAN,
        }
    }

    /// Measures F~ on rows it has not seen, then remembers them.
    fn observe(&mut self, x: ArrayView2<f64>, theta: ArrayView2<f64>, f: ArrayView2<f64>) {
        if self.net.remembered() > 0 {
            let e = self.net.error(x, theta, f);
            self.err = Some(match self.err {
                Some(prev) => ERR_SMOOTHING * prev + (1.0 - ERR_SMOOTHING) * e,
                None => e,
            });
        }
        self.net.remember(x, theta, f);
    }

    /// Learns from the probes a step evaluated: their out-of-sample error first, then
    /// `updates` fit updates (Guided ES and cv-es, which fit F~ on their own probes).
    fn learn_from_probes(&mut self, probes: &Probes, updates: usize, rng: &mut ChaCha8Rng) {
        let (px, pt, pf) = probes;
        self.observe(px.view(), pt.view(), pf.view());
        self.net.follow_output_range();
        self.last_mse = self.net.fit(updates, FIT_BATCH, rng);
    }

    fn validated(&self) -> bool {
        self.err.is_some_and(|e| e < VALID_SURROGATE_ERR)
    }

    /// `J~(x, theta)^T w`: F~'s Jacobian at `theta` applied to residual weights `w`.
    fn chain(&self, x: ArrayView2<f64>, theta: ArrayView2<f64>, w: ArrayView2<f64>) -> Array2<f64> {
        let (_, cache) = self.net.forward(x, theta);
        self.net.backward(&cache, w).1
    }

    /// `dL/dtheta` through F~ alone: its Jacobian and its own residual.
    fn surrogate_grad(
        &self,
        x: ArrayView2<f64>,
        theta: ArrayView2<f64>,
        y: ArrayView2<f64>,
    ) -> Array2<f64> {
        let (pred, cache) = self.net.forward(x, theta);
        let (w, _) = estimate::residual_weights(&pred, y);
        self.net.backward(&cache, w.view()).1
    }
}

/// Where the two-stage surrogate is.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Phase {
    Collect {
        round: usize,
        left: u64,
    },
    Fit {
        round: usize,
        left: usize,
        best: f64,
        stale: usize,
    },
    Train {
        round: usize,
        left: u64,
    },
}

#[derive(Clone)]
pub(crate) struct TwoStage {
    s: Fitted,
    quotas: Vec<u64>,
    phase: Phase,
    /// The policy as it was when this round collected: the centre of the trust region.
    anchor: Option<Mlp>,
    /// Held-out rows of this round: (x, theta, F), row-major.
    holdout: (Vec<f64>, Vec<f64>, Vec<f64>),
    collected: usize,
    best_params: Vec<f64>,
}

#[derive(Clone)]
pub(crate) struct Joint {
    s: Fitted,
    /// pi trains once F~ is validated (or the warm-up share of the budget is spent).
    training_pi: bool,
}

#[derive(Clone)]
pub(crate) struct GuidedEs {
    s: Fitted,
}

/// ES with F~ as control variate: F~ fitted on the ES probes (as Guided ES), and the running
/// sums that set `c` per component.
#[derive(Clone)]
pub(crate) struct CvEsState {
    s: Fitted,
    cov: Vec<f64>,
    var: Vec<f64>,
}

/// The diagnosis's steps when the run uses them (a copy: the estimator outlives a borrow
/// of the run's settings).
fn diagnosed_steps(cfg: &RunConfig) -> Option<DiagnosedSteps> {
    let s = &cfg.settings;
    s.diagnosed_steps.clone().filter(|_| s.auto_step)
}

/// The estimator of a plain estimator method at this step.
fn estimator<'a>(
    cfg: &RunConfig,
    steps: u64,
    scale: &'a [f64],
    diagnosed: Option<&'a DiagnosedSteps>,
) -> Estimator<'a> {
    let s = &cfg.settings;
    let h = |default: f64| if s.h_rel > 0.0 { s.h_rel } else { default };
    match cfg.method {
        Method::Central => Estimator::Central {
            h_rel: h(CENTRAL_H_REL),
            steps: diagnosed.map(|d| d.central.as_slice()),
        },
        Method::Forward => Estimator::Forward {
            h_rel: h(FORWARD_H_REL),
            steps: diagnosed.map(|d| d.forward.as_slice()),
        },
        Method::Spsa => Estimator::Spsa {
            k: s.k,
            c: s.sigma / ((steps + 1) as f64).powf(SPSA_GAMMA),
            scale,
        },
        Method::Es => Estimator::Es {
            k: s.k,
            sigma: s.sigma,
            scale,
        },
        Method::Exact => Estimator::Exact,
        Method::GuidedEs | Method::Surrogate | Method::Joint | Method::CvEs => {
            unreachable!("{:?} has its own machinery", cfg.method)
        }
    }
}

/// F-evaluations collected in each round of the two-stage surrogate: the first round takes
/// `collect_share` of the budget and each later round `g` times the one before, with `g`
/// chosen so the rounds sum to the budget (training starts early, and later rounds, near
/// where the policy has gone, get more).
pub fn round_quotas(budget: u64, rounds: usize, first_share: f64) -> Vec<u64> {
    if rounds <= 1 || first_share >= 1.0 {
        return vec![budget];
    }
    let total = |g: f64| (0..rounds).map(|r| g.powi(r as i32)).sum::<f64>() * first_share;
    // total(g) grows with g; find total(g) = 1 by bisection (g < 1 when the share is large).
    let (mut lo, mut hi) = (0.0, 2.0);
    while total(hi) < 1.0 {
        hi *= 2.0;
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if total(mid) < 1.0 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let g = 0.5 * (lo + hi);
    let mut q: Vec<u64> = (0..rounds)
        .map(|r| ((budget as f64 * first_share * g.powi(r as i32)).floor() as u64).max(1))
        .collect();
    let sum: u64 = q.iter().sum();
    let last = q.last_mut().expect("at least one round");
    *last = (*last + budget).saturating_sub(sum).max(1);
    q
}

impl Machinery {
    pub(crate) fn new(cfg: &RunConfig, data: &Dataset, rng_init: &mut ChaCha8Rng) -> Machinery {
        match cfg.method {
            Method::Surrogate => {
                let quotas =
                    round_quotas(cfg.budget, cfg.settings.rounds, cfg.settings.collect_share);
                Machinery::TwoStage(Box::new(TwoStage {
                    s: Fitted::new(cfg, data, SURROGATE_LR, rng_init),
                    phase: Phase::Collect {
                        round: 0,
                        left: quotas[0],
                    },
                    quotas,
                    anchor: None,
                    holdout: Default::default(),
                    collected: 0,
                    best_params: Vec::new(),
                }))
            }
            // rho learns at least as fast as pi.
            Method::Joint => Machinery::Joint(Box::new(Joint {
                s: Fitted::new(cfg, data, SURROGATE_LR.max(cfg.learning_rate), rng_init),
                training_pi: false,
            })),
            Method::GuidedEs => Machinery::GuidedEs(Box::new(GuidedEs {
                s: Fitted::new(cfg, data, SURROGATE_LR, rng_init),
            })),
            Method::CvEs => Machinery::CvEs(Box::new(CvEsState {
                s: Fitted::new(cfg, data, SURROGATE_LR, rng_init),
                cov: vec![0.0; cfg.theta_dim],
                var: vec![0.0; cfg.theta_dim],
            })),
            _ => Machinery::Estimator,
        }
    }

    fn surrogate(&self) -> Option<&Fitted> {
        match self {
            Machinery::Estimator => None,
            Machinery::TwoStage(t) => Some(&t.s),
            Machinery::Joint(j) => Some(&j.s),
            Machinery::GuidedEs(g) => Some(&g.s),
            Machinery::CvEs(c) => Some(&c.s),
        }
    }

    /// The surrogate's last fitting error (normalised), for the status.
    pub(crate) fn surrogate_mse(&self) -> Option<f64> {
        self.surrogate()
            .map(|s| s.last_mse)
            .filter(|v| v.is_finite())
    }

    /// The surrogate's smoothed out-of-sample error, for the history.
    pub(crate) fn surrogate_error(&self) -> Option<f64> {
        self.surrogate().and_then(|s| s.err)
    }

    /// One unit of work: a training step, or part of a collection or fitting phase.
    pub(crate) fn step(&mut self, core: &mut Core) -> Result<(), SessionError> {
        match self {
            Machinery::Estimator => step_estimator(core),
            Machinery::TwoStage(t) => t.step(core),
            Machinery::Joint(j) => j.step(core),
            Machinery::GuidedEs(g) => g.step(core),
            Machinery::CvEs(c) => c.step(core),
        }
    }

    /// The `dL/dtheta` this method would apply at `(x, theta)`, with monitoring
    /// evaluations and the monitoring random stream; for stochastic methods also the estimate
    /// from each direction alone (for its standard error), else an empty list.
    pub(crate) fn monitor_d_theta(
        &mut self,
        core: &mut Core,
        x: ArrayView2<f64>,
        theta: ArrayView2<f64>,
        y: ArrayView2<f64>,
    ) -> Result<(Array2<f64>, Vec<Array2<f64>>), SessionError> {
        let purpose = Purpose::Monitoring;
        let alone = |g: Array2<f64>| (g, Vec::new());
        Ok(match self {
            Machinery::Estimator => {
                let scale = core.cfg.theta_scale();
                let diagnosed = diagnosed_steps(&core.cfg);
                let est = estimator(&core.cfg, core.steps, &scale, diagnosed.as_ref());
                let lg = super::monitor::monitored(core, est, Batch::new(x, theta, y))?;
                (lg.grad, lg.directions)
            }
            Machinery::TwoStage(t) => alone(t.s.surrogate_grad(x, theta, y)),
            Machinery::Joint(j) => {
                let mut rng = core.rng_monitor.clone();
                let explored = core.explore(&theta.to_owned(), &mut rng);
                core.rng_monitor = rng;
                let f = core.bb.eval(purpose, x, explored.view())?;
                alone(j.d_theta(&core.cfg, x, theta, explored.view(), f.view(), y))
            }
            Machinery::GuidedEs(g) => {
                let f = core.bb.eval(purpose, x, theta)?;
                let scale = core.cfg.theta_scale();
                let lg = g.estimate(core, purpose, x, theta, y, f.view(), &scale, false)?;
                (lg.grad, lg.directions)
            }
            Machinery::CvEs(c) => {
                let scale = core.cfg.theta_scale();
                let out = c.estimate(core, purpose, Batch::new(x, theta, y), &scale, false)?;
                (out.lg.grad, out.lg.directions)
            }
        })
    }
}

impl CvEsState {
    /// `c` per component: the running `Cov/Var` of the F-term and the surrogate-term over
    /// directions, within [0, 1] (0 until there is any spread to go by).
    fn coefficients(&self) -> Vec<f64> {
        self.cov
            .iter()
            .zip(&self.var)
            .map(|(c, v)| {
                if *v > 0.0 {
                    (c / v).clamp(0.0, 1.0)
                } else {
                    0.0
                }
            })
            .collect()
    }

    fn estimate(
        &mut self,
        core: &mut Core,
        purpose: Purpose,
        batch: Batch,
        scale: &[f64],
        keep_probes: bool,
    ) -> Result<estimate::CvEsOut, SessionError> {
        let st = &core.cfg.settings;
        let c = self.coefficients();
        let cv = estimate::CvEs {
            k: st.k,
            sigma: st.sigma,
            scale,
            c: &c,
            mc: CV_MC,
        };
        let net = &self.s.net;
        let mut surrogate = |x: ArrayView2<f64>, t: ArrayView2<f64>| net.forward(x, t).0;
        let fitted = &self.s;
        let mut surrogate_grad =
            |x: ArrayView2<f64>, t: ArrayView2<f64>, w: ArrayView2<f64>| fitted.chain(x, t, w);
        let (bb, rng) = core.box_and_rng(purpose);
        Ok(estimate::cv_es_loss_and_grad(
            cv,
            bb,
            purpose,
            batch,
            rng,
            estimate::Surrogate {
                values: &mut surrogate,
                grad: &mut surrogate_grad,
            },
            keep_probes,
        )?)
    }

    fn step(&mut self, core: &mut Core) -> Result<(), SessionError> {
        let b = core.affordable(2 * core.cfg.settings.k as u64 + 1);
        if b == 0 {
            return Ok(());
        }
        let mb = core.minibatch(b)?;
        let scale = core.cfg.theta_scale();
        let batch = Batch::new(mb.x.view(), mb.theta.view(), mb.y.view());
        let out = self.estimate(core, Purpose::Learning, batch, &scale, true)?;
        // c for the next steps, from this one's spread (never from the draws it weights).
        for j in 0..self.cov.len() {
            self.cov[j] = CV_DECAY * self.cov[j] + out.cov[j];
            self.var[j] = CV_DECAY * self.var[j] + out.var[j];
        }
        let probes = out.lg.probes.as_ref().expect("probes kept");
        self.s
            .learn_from_probes(probes, CV_FIT, &mut core.rng_surrogate);
        core.apply_policy_gradient(&mb.cache, out.lg.grad.view());
        Ok(())
    }
}

fn step_estimator(core: &mut Core) -> Result<(), SessionError> {
    let scale = core.cfg.theta_scale();
    let diagnosed = diagnosed_steps(&core.cfg);
    let est = estimator(&core.cfg, core.steps, &scale, diagnosed.as_ref());
    let b = core.affordable(est.evals_per_sample(core.cfg.theta_dim));
    if b == 0 {
        return Ok(());
    }
    let mb = core.minibatch(b)?;
    let lg = estimate::loss_and_grad(
        est,
        &mut core.bb,
        Purpose::Learning,
        Batch::new(mb.x.view(), mb.theta.view(), mb.y.view()),
        &mut core.rng_est,
        false,
    );
    let grad = match lg {
        Ok(lg) => lg.grad,
        Err(e) if core.cfg.skip_failures && !e.is_pending() => {
            skip_failed_samples(core, est, &mb, e)?
        }
        Err(e) => return Err(e.into()),
    };
    core.apply_policy_gradient(&mb.cache, grad.view());
    Ok(())
}

/// When F failed somewhere in a step's batch and failures are skipped: the step again,
/// sample by sample (each charged to the budget), without the samples where F fails. Their
/// rows of the gradient are zero and the others are scaled as a batch of the samples kept.
/// Fails as before when F fails for every sample or the budget runs out first.
fn skip_failed_samples(
    core: &mut Core,
    est: Estimator,
    mb: &super::Minibatch,
    first: EvalError,
) -> Result<Array2<f64>, SessionError> {
    let n = mb.x.nrows();
    let per_sample = est.evals_per_sample(core.cfg.theta_dim);
    let mut grad = Array2::zeros(mb.theta.dim());
    let (mut kept, mut message) = (0usize, first.0.clone());
    for i in 0..n {
        if core.remaining_budget() < per_sample {
            break;
        }
        let r = i..i + 1;
        let one = estimate::loss_and_grad(
            est,
            &mut core.bb,
            Purpose::Learning,
            Batch::new(
                mb.x.slice(s![r.clone(), ..]),
                mb.theta.slice(s![r.clone(), ..]),
                mb.y.slice(s![r, ..]),
            ),
            &mut core.rng_est,
            false,
        );
        match one {
            Ok(lg) => {
                grad.row_mut(i).assign(&lg.grad.row(0));
                kept += 1;
            }
            Err(e) if e.is_pending() => return Err(e.into()),
            Err(e) => message = e.0,
        }
    }
    if kept == 0 {
        return Err(first.into());
    }
    let skipped = n - kept;
    if skipped > 0 && core.skipped == 0 {
        core.notes.push(format!(
            "step {} skipped {skipped} of {n} samples where F failed ({message}); skipped samples are counted in the status. Set thetaBounds in the script's problem to keep theta where F works",
            core.steps + 1
        ));
    }
    core.skipped += skipped as u64;
    // Each sample's gradient was that of a batch of one: average over the samples kept.
    grad /= kept as f64;
    Ok(grad)
}

impl Joint {
    /// The gradient pi gets: F~'s Jacobian at the policy's own theta, applied to the true
    /// residual. F was evaluated at the explored `explored` = theta + noise; its value is
    /// carried back to theta by F~'s predicted change, `F(explored) + F~(theta) -
    /// F~(explored)`. With the literal seed loss instead, both terms of L* train pi through
    /// F~ at the explored theta (and the page explains why that stalls).
    fn d_theta(
        &self,
        cfg: &RunConfig,
        x: ArrayView2<f64>,
        theta: ArrayView2<f64>,
        explored: ArrayView2<f64>,
        f: ArrayView2<f64>,
        y: ArrayView2<f64>,
    ) -> Array2<f64> {
        let st = &cfg.settings;
        let net = &self.s.net;
        if st.literal_loss {
            return literal_gradients(net, x, explored, f, y, st.lambda, st.fit_only_rho).1;
        }
        if !self.training_pi {
            return Array2::zeros(theta.raw_dim());
        }
        let at_theta = net.predict(x, theta);
        let at_explored = net.predict(x, explored);
        let carried = &f.to_owned() + &at_theta - &at_explored;
        let (w, _) = estimate::residual_weights(&carried, y);
        self.s.chain(x, theta, w.view())
    }

    fn step(&mut self, core: &mut Core) -> Result<(), SessionError> {
        let b = core.affordable(1);
        if b == 0 {
            return Ok(());
        }
        let mb = core.minibatch(b)?;
        let mut rng = core.rng_est.clone();
        let explored = core.explore(&mb.theta, &mut rng);
        core.rng_est = rng;
        let f = core
            .bb
            .eval(Purpose::Learning, mb.x.view(), explored.view())?;
        let st = core.cfg.settings.clone();
        if st.literal_loss {
            let net = &mut self.s.net;
            net.remember(mb.x.view(), explored.view(), f.view());
            let (g_rho, d_theta) = literal_gradients(
                net,
                mb.x.view(),
                explored.view(),
                f.view(),
                mb.y.view(),
                st.lambda,
                st.fit_only_rho,
            );
            net.apply_gradient(&g_rho);
            self.s.last_mse = net.fit(1, FIT_BATCH, &mut core.rng_surrogate);
            core.apply_policy_gradient(&mb.cache, d_theta.view());
            return Ok(());
        }
        // F~ is judged on this fresh batch before it learns from it.
        self.s.observe(mb.x.view(), explored.view(), f.view());
        let net = &mut self.s.net;
        net.follow_output_range();
        net.fit_batch(mb.x.view(), explored.view(), f.view());
        self.s.last_mse = net.fit(JOINT_REPLAY, FIT_BATCH, &mut core.rng_surrogate);
        if !self.training_pi {
            let warmup = (WARMUP_BUDGET_SHARE * core.cfg.budget as f64) as u64;
            let gate = core.cfg.settings.joint_gate;
            if gate == 0.0 || self.s.err.is_some_and(|e| e < gate) {
                self.training_pi = true;
            } else if core.bb.learning_evals >= warmup {
                self.training_pi = true;
                core.notes.push(format!(
                    "F~ was not yet validated after {} F-evaluations (out-of-sample error {:.3} of F's variance, wanted below {gate}); pi trains through it anyway",
                    core.bb.learning_evals,
                    self.s.err.unwrap_or(f64::NAN)
                ));
            }
        }
        if self.training_pi {
            let d = self.d_theta(
                &core.cfg,
                mb.x.view(),
                mb.theta.view(),
                explored.view(),
                f.view(),
                mb.y.view(),
            );
            core.apply_policy_gradient(&mb.cache, d.view());
        }
        Ok(())
    }
}

/// The seed's L* taken literally: `‖Y - F~‖² + λ‖F~ - F‖²` at the explored theta with F
/// held constant, both terms training rho and pi (or, with `fit_only_rho`, the fit term
/// only rho and the data term only pi). Returns `(dL*/drho, dL*/dtheta)`.
fn literal_gradients(
    net: &Surrogate,
    x: ArrayView2<f64>,
    explored: ArrayView2<f64>,
    f: ArrayView2<f64>,
    y: ArrayView2<f64>,
    lambda: f64,
    fit_only_rho: bool,
) -> (Vec<f64>, Array2<f64>) {
    let (pred, sc) = net.forward(x, explored);
    let (d_data, d_fit) = literal_residuals(&pred, f, y, lambda);
    if fit_only_rho {
        let (g_rho, _) = net.backward(&sc, d_fit.view());
        let (_, d_theta) = net.backward(&sc, d_data.view());
        (g_rho, d_theta)
    } else {
        net.backward(&sc, (&d_data + &d_fit).view())
    }
}

/// `dL*/dF~` of the literal seed loss, split into its data term `2(F~ - Y)/(nm)` and its fit
/// term `2 lambda (F~ - F)/(nm)`. Their sum is `2 (1 + lambda) (F~ - F_bar)/(nm)` with
/// `F_bar = (Y + lambda F)/(1 + lambda)`: zero once F~ fits F_bar, whatever F - Y is.
fn literal_residuals(
    pred: &Array2<f64>,
    f: ArrayView2<f64>,
    y: ArrayView2<f64>,
    lambda: f64,
) -> (Array2<f64>, Array2<f64>) {
    let (d_data, _) = estimate::residual_weights(pred, y);
    let (d_fit, _) = estimate::residual_weights(pred, f);
    (d_data, d_fit * lambda)
}

impl GuidedEs {
    /// Guided ES at `(x, theta)` with `F(x, theta) = f` known: the guide is F~'s Jacobian
    /// applied to the TRUE residual; plain ES (alpha = 1) until F~ is validated.
    #[allow(clippy::too_many_arguments)]
    fn estimate(
        &mut self,
        core: &mut Core,
        purpose: Purpose,
        x: ArrayView2<f64>,
        theta: ArrayView2<f64>,
        y: ArrayView2<f64>,
        f: ArrayView2<f64>,
        scale: &[f64],
        keep_probes: bool,
    ) -> Result<estimate::LossGrad, SessionError> {
        let st = &core.cfg.settings;
        let validated = self.s.validated();
        let guide = if validated {
            let (w, _) = estimate::residual_weights(&f.to_owned(), y);
            self.s.chain(x, theta, w.view())
        } else {
            Array2::zeros(theta.raw_dim())
        };
        let est = Estimator::GuidedEs {
            k: st.k,
            sigma: st.sigma,
            alpha: if validated { st.alpha } else { 1.0 },
            guide: guide.view(),
            scale,
        };
        let batch = Batch {
            centre: Some(f),
            ..Batch::new(x, theta, y)
        };
        let (bb, rng) = core.box_and_rng(purpose);
        Ok(estimate::loss_and_grad(
            est,
            bb,
            purpose,
            batch,
            rng,
            keep_probes,
        )?)
    }

    fn step(&mut self, core: &mut Core) -> Result<(), SessionError> {
        let b = core.affordable(2 * core.cfg.settings.k as u64 + 1);
        if b == 0 {
            return Ok(());
        }
        let mb = core.minibatch(b)?;
        let f = core
            .bb
            .eval(Purpose::Learning, mb.x.view(), mb.theta.view())?;
        let scale = core.cfg.theta_scale();
        let lg = self.estimate(
            core,
            Purpose::Learning,
            mb.x.view(),
            mb.theta.view(),
            mb.y.view(),
            f.view(),
            &scale,
            true,
        )?;
        let probes = lg.probes.as_ref().expect("probes kept");
        self.s
            .learn_from_probes(probes, GUIDED_FIT, &mut core.rng_surrogate);
        core.apply_policy_gradient(&mb.cache, lg.grad.view());
        Ok(())
    }
}

impl TwoStage {
    fn step(&mut self, core: &mut Core) -> Result<(), SessionError> {
        let rounds = self.quotas.len();
        let train_steps = if core.cfg.max_steps > 0 {
            (core.cfg.max_steps / rounds as u64).max(1)
        } else {
            TRAIN_STEPS_PER_ROUND
        };
        match self.phase {
            Phase::Collect { round, left } => {
                if self.anchor.is_none() {
                    self.anchor = Some(core.policy.clone());
                }
                let n_rows = (left.min(COLLECT_ROWS_PER_CALL as u64) as usize)
                    .min(core.remaining_budget() as usize);
                if n_rows > 0 {
                    let n = core.data.x_train.nrows();
                    let idx: Vec<usize> = (0..n_rows)
                        .map(|_| core.rng_batches.random_range(0..n))
                        .collect();
                    let x = rows(&core.data.x_train, &idx);
                    let theta = policy_forward(&core.policy, x.view())?.0;
                    let mut rng = core.rng_est.clone();
                    let explored = core.explore(&theta, &mut rng);
                    core.rng_est = rng;
                    let f = core.bb.eval(Purpose::Learning, x.view(), explored.view())?;
                    self.keep(x.view(), explored.view(), f.view());
                }
                let left = left - n_rows as u64;
                self.phase = if left == 0 || n_rows == 0 {
                    self.s.net.follow_output_range();
                    let rows_seen = self.s.net.remembered();
                    let updates = (FIT_EPOCHS * rows_seen / FIT_BATCH)
                        .clamp(FIT_UPDATES_MIN, FIT_UPDATES_MAX);
                    self.best_params = self.s.net.params();
                    Phase::Fit {
                        round,
                        left: updates,
                        best: f64::INFINITY,
                        stale: 0,
                    }
                } else {
                    Phase::Collect { round, left }
                };
            }
            Phase::Fit {
                round,
                left,
                mut best,
                mut stale,
            } => {
                let now = left.min(FIT_UPDATES_PER_CALL);
                self.s.last_mse = self.s.net.fit(now, FIT_BATCH, &mut core.rng_surrogate);
                // Early stopping on the held-out rows; the best fit is kept.
                let held = self.holdout_error(core.cfg.x_dim, core.cfg.theta_dim, core.cfg.y_dim);
                match held {
                    Some(e) if e < best => {
                        best = e;
                        stale = 0;
                        self.best_params = self.s.net.params();
                    }
                    Some(_) => stale += 1,
                    None => {}
                }
                self.phase = if left == now || stale >= FIT_PATIENCE {
                    if held.is_some() {
                        let p = std::mem::take(&mut self.best_params);
                        self.s.net.set_params(&p);
                        self.s.err = Some(best);
                    }
                    Phase::Train {
                        round,
                        left: train_steps,
                    }
                } else {
                    Phase::Fit {
                        round,
                        left: left - now,
                        best,
                        stale,
                    }
                };
            }
            Phase::Train { round, left } => {
                let mb = core.minibatch(core.cfg.batch_size)?;
                let d_theta = self
                    .s
                    .surrogate_grad(mb.x.view(), mb.theta.view(), mb.y.view());
                core.apply_policy_gradient(&mb.cache, d_theta.view());
                let left_trust = self.within_trust_region(core, mb.x.view())?;
                self.phase = if left > 1 && left_trust {
                    Phase::Train {
                        round,
                        left: left - 1,
                    }
                } else if round + 1 < rounds {
                    self.new_round(core.cfg.x_dim, core.cfg.theta_dim, core.cfg.y_dim);
                    Phase::Collect {
                        round: round + 1,
                        left: self.quotas[round + 1],
                    }
                } else if left > 1 {
                    // The last round keeps training after leaving the trust region: there is no
                    // budget left to collect nearer the policy.
                    Phase::Train {
                        round,
                        left: left - 1,
                    }
                } else {
                    core.finish(
                        super::StopReason::Budget,
                        format!(
                            "all {rounds} rounds done: {} F-evaluations collected",
                            core.bb.learning_evals
                        ),
                    );
                    Phase::Train { round, left: 0 }
                };
            }
        }
        Ok(())
    }

    /// Every `HOLDOUT_EVERY`-th collected row goes to the held-out set of this round.
    fn keep(&mut self, x: ArrayView2<f64>, theta: ArrayView2<f64>, f: ArrayView2<f64>) {
        for i in 0..x.nrows() {
            self.collected += 1;
            let (xr, tr, fr) = (x.row(i), theta.row(i), f.row(i));
            if self.collected.is_multiple_of(HOLDOUT_EVERY) {
                self.holdout.0.extend(xr.iter());
                self.holdout.1.extend(tr.iter());
                self.holdout.2.extend(fr.iter());
            } else {
                self.s.net.remember(
                    xr.insert_axis(ndarray::Axis(0)),
                    tr.insert_axis(ndarray::Axis(0)),
                    fr.insert_axis(ndarray::Axis(0)),
                );
            }
        }
    }

    fn holdout_error(&self, xd: usize, td: usize, yd: usize) -> Option<f64> {
        let n = self.holdout.0.len() / xd.max(1);
        if n == 0 {
            return None;
        }
        let (x, t, f) = &self.holdout;
        let view =
            |v: &[f64], w: usize| ArrayView2::from_shape((n, w), v).expect("rows").to_owned();
        Some(
            self.s
                .net
                .error(view(x, xd).view(), view(t, td).view(), view(f, yd).view()),
        )
    }

    fn new_round(&mut self, xd: usize, td: usize, yd: usize) {
        // The held-out rows of the round that ended are ordinary data for the next fits.
        let (x, t, f) = std::mem::take(&mut self.holdout);
        let n = x.len() / xd.max(1);
        if n > 0 {
            let view = |v: &Vec<f64>, w: usize| {
                ArrayView2::from_shape((n, w), v).expect("rows").to_owned()
            };
            self.s.net.remember(
                view(&x, xd).view(),
                view(&t, td).view(),
                view(&f, yd).view(),
            );
        }
        self.collected = 0;
        self.anchor = None;
    }

    /// Whether the policy's theta on this batch is still near where the round collected.
    fn within_trust_region(&self, core: &Core, x: ArrayView2<f64>) -> Result<bool, SessionError> {
        let Some(anchor) = &self.anchor else {
            return Ok(true);
        };
        let now = policy_forward(&core.policy, x)?.0;
        let then = policy_forward(anchor, x)?.0;
        let scale = core.cfg.theta_scale();
        let mut sum = 0.0;
        for (a, b) in now.rows().into_iter().zip(then.rows()) {
            for ((u, v), s) in a.iter().zip(b).zip(&scale) {
                sum += ((u - v) / s).powi(2);
            }
        }
        let rms = (sum / now.len().max(1) as f64).sqrt();
        let width = core.cfg.settings.exploration.max(0.01);
        Ok(rms <= TRUST_WIDTHS * width)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn the_literal_loss_gives_pi_nothing_once_the_surrogate_fits_the_blend() {
        // F misses Y by a lot; F~ sits at (Y + lambda F)/(1 + lambda).
        let (y, f, lambda) = (array![[1.0, -2.0]], array![[3.0, 0.5]], 0.7);
        let blend = (&y + &(&f * lambda)) / (1.0 + lambda);
        let (d_data, d_fit) = literal_residuals(&blend, f.view(), y.view(), lambda);
        let total = &d_data + &d_fit;
        assert!(total.iter().all(|v| v.abs() < 1e-15), "{total}");
        // The default instead chains F's true residual F - Y, which is far from zero there.
        let (true_residual, _) = estimate::residual_weights(&f, y.view());
        assert!(true_residual.iter().all(|v| v.abs() > 0.5));
        // And at F~ = F the literal loss still pulls (only its data term is left).
        let (d_data, d_fit) = literal_residuals(&f, f.view(), y.view(), lambda);
        assert!(d_fit.iter().all(|v| *v == 0.0) && d_data.iter().all(|v| v.abs() > 0.5));
    }

    #[test]
    fn geometric_rounds_start_at_the_first_share_and_sum_to_the_budget() {
        let q = round_quotas(200_000, 8, 0.1);
        assert_eq!(q.len(), 8);
        assert_eq!(q[0], 20_000);
        assert_eq!(q.iter().sum::<u64>(), 200_000);
        assert!(q.windows(2).all(|w| w[1] >= w[0]), "{q:?}");
        assert_eq!(round_quotas(1000, 1, 0.1), vec![1000]);
    }
}
