//! The gradient methods, one file each, behind one small interface (after argmin's `Solver`
//! and evosax's strategies): a method takes a training step on the run's `Core` and says which
//! `dL/dtheta` it would apply at given points, which the monitor compares with the reference
//! (the same code, so the gradient-error chart shows the gradient that was applied).
//!
//! `registry` holds every method's facts; `build` makes a method's machinery. Adding a
//! method: a new file here implementing [`GradientMethod`], its entry in `registry.rs` and
//! its arm in [`build`].

pub mod registry;
pub(crate) mod run;

mod cv_es;
mod es;
mod exact;
mod finite_diff;
mod fitted;
mod guided_es;
mod joint;
mod spsa;
mod two_stage;

pub use registry::{Method, MethodInfo};
pub use two_stage::round_quotas;

use crate::config::{DiagnosedSteps, RunConfig};
use crate::data::Dataset;
use crate::estimate::{self, Batch, Estimator};
use crate::problem::{EvalError, Purpose};
use fitted::Fitted;
use ndarray::{s, Array2, ArrayView2};
use rand_chacha::ChaCha8Rng;
use run::{monitored, Core, Minibatch, SessionError};

/// What the monitor gets from a method at a point: the `dL/dtheta` it would apply and, for a
/// stochastic method, the estimate from each direction alone (for its standard error), else
/// an empty list.
pub(crate) type MonitoredGrad = (Array2<f64>, Vec<Array2<f64>>);

/// One method's machinery: its own state, stepped on the run's shared `Core`.
pub(crate) trait GradientMethod {
    /// One unit of work: a training step, or part of a collection or fitting phase.
    fn step(&mut self, core: &mut Core) -> Result<(), SessionError>;

    /// The `dL/dtheta` this method would apply at `(x, theta)`, with monitoring evaluations
    /// and the monitoring random stream.
    fn monitor_d_theta(
        &mut self,
        core: &mut Core,
        x: ArrayView2<f64>,
        theta: ArrayView2<f64>,
        y: ArrayView2<f64>,
    ) -> Result<MonitoredGrad, SessionError>;

    /// Its learned surrogate `F~`, if it has one.
    fn surrogate(&self) -> Option<&Fitted> {
        None
    }

    /// Its surrogate's smoothed error on slopes (differences between rows it had not been
    /// fitted on), if it measures one.
    fn surrogate_slope_error(&self) -> Option<f64> {
        None
    }

    /// Whether the next step calls F, for a method that alternates between calling F and
    /// moving the policy on F~ alone (the two-stage surrogate's rounds). The session logs at
    /// each switch, so that a loss reached on F~ is credited to exactly the evaluations spent
    /// before it.
    fn next_step_calls_f(&self) -> bool {
        false
    }

    /// A snapshot (a step whose batch of F is out is undone from one).
    fn clone_box(&self) -> Box<dyn GradientMethod>;
}

impl Clone for Box<dyn GradientMethod> {
    fn clone(&self) -> Self {
        self.clone_box()
    }
}

/// The run's method's machinery.
pub(crate) fn build(
    cfg: &RunConfig,
    data: &Dataset,
    rng_init: &mut ChaCha8Rng,
) -> Box<dyn GradientMethod> {
    match cfg.method {
        Method::Central => Box::new(Plain(finite_diff::Central)),
        Method::Forward => Box::new(Plain(finite_diff::Forward)),
        Method::Spsa => Box::new(Plain(spsa::Spsa)),
        Method::Es => Box::new(Plain(es::Es)),
        Method::Exact => Box::new(Plain(exact::Exact)),
        Method::Surrogate => Box::new(two_stage::TwoStage::new(cfg, data, rng_init)),
        Method::Joint => Box::new(joint::Joint::new(cfg, data, rng_init)),
        Method::GuidedEs => Box::new(guided_es::GuidedEs::new(cfg, data, rng_init)),
        Method::CvEs => Box::new(cv_es::CvEs::new(cfg, data, rng_init)),
    }
}

/// The surrogate's last fitting error (normalised), for the status.
pub(crate) fn surrogate_mse(m: &dyn GradientMethod) -> Option<f64> {
    m.surrogate().map(|s| s.last_mse).filter(|v| v.is_finite())
}

/// The surrogate's smoothed out-of-sample error, for the history.
pub(crate) fn surrogate_error(m: &dyn GradientMethod) -> Option<f64> {
    m.surrogate().and_then(|s| s.err)
}

/// A method that is one `Estimator` per step (finite differences, SPSA, ES, the analytic
/// gradient): its step and its monitoring are [`Plain`]'s.
pub(crate) trait PlainEstimator: Clone + 'static {
    /// The estimator at this step (`scale`: theta's scale per component; `diagnosed`: the
    /// diagnosis's steps when the run uses them).
    fn estimator<'a>(
        &self,
        cfg: &RunConfig,
        steps: u64,
        scale: &'a [f64],
        diagnosed: Option<&'a DiagnosedSteps>,
    ) -> Estimator<'a>;
}

/// A [`PlainEstimator`] as a [`GradientMethod`].
#[derive(Clone)]
pub(crate) struct Plain<E>(E);

/// The diagnosis's steps when the run uses them (a copy: the estimator outlives a borrow
/// of the run's settings).
fn diagnosed_steps(cfg: &RunConfig) -> Option<DiagnosedSteps> {
    let s = &cfg.settings;
    s.diagnosed_steps.clone().filter(|_| s.auto_step)
}

/// The finite-difference step: the method's default unless the settings give one.
fn h_rel(cfg: &RunConfig, default: f64) -> f64 {
    if cfg.settings.h_rel > 0.0 {
        cfg.settings.h_rel
    } else {
        default
    }
}

impl<E: PlainEstimator> GradientMethod for Plain<E> {
    fn step(&mut self, core: &mut Core) -> Result<(), SessionError> {
        let scale = core.cfg.theta_scale();
        let diagnosed = diagnosed_steps(&core.cfg);
        let est = self
            .0
            .estimator(&core.cfg, core.steps, &scale, diagnosed.as_ref());
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
                match skip_failed_samples(core, est, &mb, e)? {
                    Some(g) => g,
                    // Every sample failed: no step; the next call draws a new minibatch.
                    None => return Ok(()),
                }
            }
            Err(e) => return Err(e.into()),
        };
        core.apply_policy_gradient(&mb.cache, grad.view());
        Ok(())
    }

    fn monitor_d_theta(
        &mut self,
        core: &mut Core,
        x: ArrayView2<f64>,
        theta: ArrayView2<f64>,
        y: ArrayView2<f64>,
    ) -> Result<MonitoredGrad, SessionError> {
        let scale = core.cfg.theta_scale();
        let diagnosed = diagnosed_steps(&core.cfg);
        let est = self
            .0
            .estimator(&core.cfg, core.steps, &scale, diagnosed.as_ref());
        let lg = monitored(core, est, Batch::new(x, theta, y))?;
        Ok((lg.grad, lg.directions))
    }

    fn clone_box(&self) -> Box<dyn GradientMethod> {
        Box::new(self.clone())
    }
}

/// With "When F fails: skip the sample", a method ends only once the evaluations spent on
/// failed samples pass this share of the budget (docs/methods.md): until then training goes
/// on where F works.
pub const MAX_FAILED_SHARE: f64 = 0.5;

/// Counts `skipped` samples of a step's `n` dropped because F failed there, each of which
/// spent `per_sample` evaluations (a note at the first); fails once the failed samples'
/// evaluations pass [`MAX_FAILED_SHARE`] of the budget.
fn count_skipped(
    core: &mut Core,
    skipped: usize,
    n: usize,
    per_sample: u64,
    message: &str,
) -> Result<(), SessionError> {
    if skipped > 0 && core.skipped == 0 {
        core.notes.push(format!(
            "step {} skipped {skipped} of {n} samples where F failed ({message}); skipped samples are counted in the status. Set thetaBounds in the script's problem to keep theta where F works",
            core.steps + 1
        ));
    }
    core.skipped += skipped as u64;
    core.failed_evals += skipped as u64 * per_sample;
    let limit = MAX_FAILED_SHARE * core.cfg.budget as f64;
    if core.failed_evals as f64 > limit {
        return Err(SessionError::Eval(EvalError(format!(
            "F failed on {} samples, {} F-evaluations, more than {}% of the budget ({message}). Set thetaBounds in the script's problem to keep theta where F works",
            core.skipped,
            core.failed_evals,
            100.0 * MAX_FAILED_SHARE
        ))));
    }
    Ok(())
}

/// F on `(x, theta)` for a method that learns from F's values row by row (the two-stage and
/// the joint surrogate): with "When F fails: skip the sample", a batch where F failed is
/// evaluated again row by row (each charged to the budget) and the rows where F works are
/// kept. Returns the rows kept and their values (every row when nothing failed).
pub(crate) fn eval_keeping_what_works(
    core: &mut Core,
    x: ArrayView2<f64>,
    theta: ArrayView2<f64>,
) -> Result<(Vec<usize>, Array2<f64>), SessionError> {
    let first = match core.bb.eval(Purpose::Learning, x, theta) {
        Ok(f) => return Ok(((0..x.nrows()).collect(), f)),
        Err(e) if core.cfg.skip_failures && !e.is_pending() => e,
        Err(e) => return Err(e.into()),
    };
    let n = x.nrows();
    let (mut kept, mut values, mut tried, mut message) = (Vec::new(), Vec::new(), 0, first.0);
    for i in 0..n {
        if core.remaining_budget() == 0 {
            break;
        }
        tried += 1;
        let r = i..i + 1;
        match core.bb.eval(
            Purpose::Learning,
            x.slice(s![r.clone(), ..]),
            theta.slice(s![r, ..]),
        ) {
            Ok(f) => {
                kept.push(i);
                values.extend(f.iter().copied());
            }
            Err(e) if e.is_pending() => return Err(e.into()),
            Err(e) => message = e.0,
        }
    }
    count_skipped(core, tried - kept.len(), n, 1, &message)?;
    let y_dim = core.cfg.y_dim;
    let f = Array2::from_shape_vec((kept.len(), y_dim), values).expect("kept rows");
    Ok((kept, f))
}

/// When F failed somewhere in a step's batch and failures are skipped: the step again,
/// sample by sample (each charged to the budget), without the samples where F fails. Their
/// rows of the gradient are zero and the others are scaled as a batch of the samples kept.
/// `None` when F failed for every sample (the step is skipped and the next one draws a new
/// minibatch); fails once the failed samples' evaluations pass [`MAX_FAILED_SHARE`] of the
/// budget.
fn skip_failed_samples(
    core: &mut Core,
    est: Estimator,
    mb: &Minibatch,
    first: EvalError,
) -> Result<Option<Array2<f64>>, SessionError> {
    let n = mb.x.nrows();
    let per_sample = est.evals_per_sample(core.cfg.theta_dim);
    let mut grad = Array2::zeros(mb.theta.dim());
    let (mut kept, mut tried, mut message) = (0usize, 0usize, first.0.clone());
    for i in 0..n {
        if core.remaining_budget() < per_sample {
            break;
        }
        tried += 1;
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
    count_skipped(core, tried - kept, n, per_sample, &message)?;
    if kept == 0 {
        return Ok(None);
    }
    // Each sample's gradient was that of a batch of one: average over the samples kept.
    grad /= kept as f64;
    Ok(Some(grad))
}
