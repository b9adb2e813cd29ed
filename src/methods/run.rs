//! What every method steps with: the run's `Core` (settings, the counted black box, data,
//! policy network, optimiser, one random stream per purpose, the minibatch order, why it
//! ended) and the errors a step can raise. A clone of `Core` is a snapshot of the run
//! without its method's machinery.

use crate::config::RunConfig;
use crate::data::Dataset;
use crate::estimate::{loss_and_grad, Batch, Estimator, LossGrad};
use crate::nn::{ForwardCache, Mlp};
use crate::optim::Optimizer;
use crate::problem::{CountedBox, EvalError, Purpose};
use ndarray::{Array2, ArrayView2, Axis};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use serde::Serialize;
use std::rc::Rc;

/// Why a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum StopReason {
    Budget,
    MaxSteps,
    Diverged,
    Error,
    Stopped,
}

impl StopReason {
    pub fn name(self) -> &'static str {
        match self {
            StopReason::Budget => "budget",
            StopReason::MaxSteps => "maxSteps",
            StopReason::Diverged => "diverged",
            StopReason::Error => "error",
            StopReason::Stopped => "stopped",
        }
    }
}

/// RNG streams, one per purpose, so that e.g. monitoring never changes training.
#[derive(Clone, Copy)]
pub(crate) enum Stream {
    Init = 0,
    Data = 1,
    Batches = 2,
    Estimator = 3,
    Monitor = 4,
    Surrogate = 5,
}

pub(crate) fn rng_for(seed: u64, stream: Stream) -> ChaCha8Rng {
    let mut r = ChaCha8Rng::seed_from_u64(seed);
    r.set_stream(stream as u64);
    r
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum SessionError {
    #[error("{0}")]
    Config(String),
    #[error("{0}")]
    Eval(#[from] EvalError),
    /// The network produced non-finite outputs: ends the run as diverged, not failed.
    #[error("{0}")]
    Diverged(String),
}

const NON_FINITE_POLICY: &str =
    "diverged: the network's outputs became NaN or infinite; lower the learning rate or set a gradient clip";

/// The policy's outputs, refusing non-finite ones (they would reach the user's F).
pub(crate) fn policy_forward(
    policy: &Mlp,
    x: ArrayView2<f64>,
) -> Result<(Array2<f64>, ForwardCache), SessionError> {
    let (theta, cache) = policy.forward(x);
    Ok((finite_theta(theta)?, cache))
}

/// The policy's theta alone (no cache, as `predict`), with `policy_forward`'s check.
pub(crate) fn policy_predict(
    policy: &Mlp,
    x: ArrayView2<f64>,
) -> Result<Array2<f64>, SessionError> {
    finite_theta(policy.predict(x))
}

fn finite_theta(theta: Array2<f64>) -> Result<Array2<f64>, SessionError> {
    if theta.iter().all(|v| v.is_finite()) {
        Ok(theta)
    } else {
        Err(SessionError::Diverged(NON_FINITE_POLICY.into()))
    }
}

pub(crate) fn rows(a: &Array2<f64>, idx: &[usize]) -> Array2<f64> {
    a.select(Axis(0), idx)
}

/// Everything of a run but the method's own machinery: what every method steps with. A clone
/// is a snapshot (the settings and the data, which no step changes, are shared).
#[derive(Clone)]
pub(crate) struct Core {
    pub(crate) cfg: Rc<RunConfig>,
    pub(crate) bb: CountedBox,
    pub(crate) data: Rc<Dataset>,
    pub(crate) policy: Mlp,
    pub(crate) opt: Optimizer,
    pub(crate) rng_batches: ChaCha8Rng,
    pub(crate) rng_est: ChaCha8Rng,
    pub(crate) rng_monitor: ChaCha8Rng,
    pub(crate) rng_surrogate: ChaCha8Rng,
    pub(crate) order: Vec<usize>,
    pub(crate) cursor: usize,
    pub(crate) steps: u64,
    pub(crate) done: Option<StopReason>,
    pub(crate) message: Option<String>,
    pub(crate) notes: Vec<String>,
    /// Samples dropped from steps because F failed there (When F fails: skip the sample).
    pub(crate) skipped: u64,
    /// Learning evaluations spent on samples that were skipped because F failed.
    pub(crate) failed_evals: u64,
}

/// A minibatch: inputs, targets, the policy's outputs and the cache to backpropagate.
pub(crate) struct Minibatch {
    pub(crate) x: Array2<f64>,
    pub(crate) y: Array2<f64>,
    pub(crate) theta: Array2<f64>,
    pub(crate) cache: ForwardCache,
}

impl Core {
    pub(crate) fn finish(&mut self, reason: StopReason, message: String) {
        self.done = Some(reason);
        self.message = Some(message);
    }

    pub(crate) fn remaining_budget(&self) -> u64 {
        self.cfg.budget.saturating_sub(self.bb.learning_evals)
    }

    /// The next minibatch of training rows (reshuffled every epoch).
    pub(crate) fn next_indices(&mut self, size: usize) -> Vec<usize> {
        let n = self.order.len();
        // Calibration's copies of its one observation (`affordable_replicated`).
        let size = if self.cfg.calibration() {
            size
        } else {
            size.min(n)
        };
        let mut out = Vec::with_capacity(size);
        while out.len() < size {
            if self.cursor >= n {
                for i in (1..n).rev() {
                    self.order.swap(i, self.rng_batches.random_range(0..=i));
                }
                self.cursor = 0;
            }
            out.push(self.order[self.cursor]);
            self.cursor += 1;
        }
        out
    }

    /// The next minibatch of `size` samples with the policy's outputs.
    pub(crate) fn minibatch(&mut self, size: usize) -> Result<Minibatch, SessionError> {
        let idx = self.next_indices(size);
        let x = rows(&self.data.x_train, &idx);
        let y = rows(&self.data.y_train, &idx);
        let (theta, cache) = policy_forward(&self.policy, x.view())?;
        Ok(Minibatch { x, y, theta, cache })
    }

    /// How many samples of a step at `per_sample` evaluations each the budget affords.
    /// Ends the run when none.
    pub(crate) fn affordable(&mut self, per_sample: u64) -> usize {
        self.affordable_of(per_sample, false)
    }

    /// [`Self::affordable`] for a method that draws its own randomness per sample (an
    /// exploration, a probe, a surrogate fit): in calibration, where there is one observation,
    /// a step takes a batch of copies of it, each explored apart, rather than one sample
    /// (which would pay the surrogate's fitting for a single F-evaluation).
    pub(crate) fn affordable_replicated(&mut self, per_sample: u64) -> usize {
        self.affordable_of(per_sample, self.cfg.calibration())
    }

    fn affordable_of(&mut self, per_sample: u64, replicate: bool) -> usize {
        let want = if replicate {
            self.cfg.batch_size
        } else {
            self.cfg.batch_size.min(self.order.len())
        };
        let can = (self.remaining_budget() / per_sample.max(1)) as usize;
        if can == 0 {
            let used = self.bb.learning_evals;
            self.finish(
                StopReason::Budget,
                format!("F-evaluation budget used: {used} of {}", self.cfg.budget),
            );
            return 0;
        }
        if can < want {
            self.notes.push(format!(
                "step {} used {can} samples instead of {want} to stay within the F-evaluation budget",
                self.steps + 1
            ));
        }
        can.min(want)
    }

    /// The black box and the random stream of an estimate: training's stream, or
    /// monitoring's (so that watching never changes training).
    pub(crate) fn box_and_rng(&mut self, purpose: Purpose) -> (&mut CountedBox, &mut ChaCha8Rng) {
        let rng = match purpose {
            Purpose::Learning => &mut self.rng_est,
            _ => &mut self.rng_monitor,
        };
        (&mut self.bb, rng)
    }

    pub(crate) fn apply_policy_gradient(&mut self, cache: &ForwardCache, d_theta: ArrayView2<f64>) {
        let g = self.policy.param_gradient(cache, d_theta);
        self.opt.step(self.policy.params_mut(), &g);
        self.steps += 1;
    }

    /// `theta + exploration * scale * N(0, 1)`, kept inside the bounds.
    pub(crate) fn explore(&self, theta: &Array2<f64>, rng: &mut ChaCha8Rng) -> Array2<f64> {
        let scale = self.cfg.theta_scale();
        let e = self.cfg.settings.exploration;
        let mut out = theta.clone();
        for mut row in out.rows_mut() {
            for (j, v) in row.iter_mut().enumerate() {
                let z: f64 = StandardNormal.sample(rng);
                *v += e * scale[j] * z;
                if let Some(b) = &self.cfg.theta_bounds {
                    *v = v.clamp(b[j].0, b[j].1);
                }
            }
        }
        out
    }
}

/// `dL/dtheta` by `est` on `batch`, with monitoring evaluations and the monitoring stream.
pub(crate) fn monitored(
    c: &mut Core,
    est: Estimator,
    batch: Batch,
) -> Result<LossGrad, SessionError> {
    Ok(loss_and_grad(
        est,
        &mut c.bb,
        Purpose::Monitoring,
        batch,
        &mut c.rng_monitor,
        false,
    )?)
}
