//! One run of one method: data, policy network, optimiser, the method's machinery,
//! stepped in chunks so a worker can yield between them, with the logged history.
//!
//! Budget rule: only `Purpose::Learning` evaluations are charged. A step that would
//! overshoot the budget is shrunk to the samples it can afford, and the run ends when
//! not even one sample is affordable. Monitoring (losses, the reference gradient and each
//! method's estimate on the monitoring batch) is counted separately.

use crate::config::{DataSource, Method, RunConfig};
use crate::data::Dataset;
use crate::estimate::{self, Batch, Estimator, CENTRAL_H_REL, FORWARD_H_REL, RICHARDSON_H_REL};
use crate::nn::Mlp;
use crate::optim::Optimizer;
use crate::problem::{BlackBox, CountedBox, EvalError, Purpose};
use crate::surrogate::Surrogate;
use ndarray::{Array2, ArrayView2, Axis};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

/// Field names of a history row, in `HistoryRow::to_array` order (also `results.json`).
pub const HISTORY_FIELDS: [&str; 8] = [
    "step",
    "evals",
    "monitorEvals",
    "wallMs",
    "trainLoss",
    "testLoss",
    "gradRelErr",
    "gradCos",
];

/// Samples in the fixed monitoring batch for gradient errors.
pub const MONITOR_BATCH: usize = 64;
/// A run whose training loss exceeds this multiple of its first logged loss has diverged.
pub const DIVERGENCE_FACTOR: f64 = 1e4;
/// Surrogate fitting: updates per round (two-stage), minibatch rows.
const FIT_UPDATES_PER_ROUND: usize = 1500;
const FIT_BATCH: usize = 64;
/// Work per `step()` call while collecting or fitting, to keep chunks short.
const COLLECT_ROWS_PER_CALL: usize = 512;
const FIT_UPDATES_PER_CALL: usize = 50;
/// Spall's recommended decay exponent for the SPSA perturbation, `c_k = c / (k + 1)^0.101`.
const SPSA_GAMMA: f64 = 0.101;

/// RNG streams, one per purpose, so that e.g. monitoring never changes training.
#[derive(Clone, Copy)]
enum Stream {
    Init = 0,
    Data = 1,
    Batches = 2,
    Estimator = 3,
    Monitor = 4,
    Surrogate = 5,
}

fn rng_for(seed: u64, stream: Stream) -> ChaCha8Rng {
    let mut r = ChaCha8Rng::seed_from_u64(seed);
    r.set_stream(stream as u64);
    r
}

#[derive(Clone, Debug, PartialEq)]
pub struct HistoryRow {
    pub step: u64,
    pub evals: u64,
    pub monitor_evals: u64,
    pub wall_ms: f64,
    pub train_loss: f64,
    pub test_loss: Option<f64>,
    pub grad_rel_err: Option<f64>,
    pub grad_cos: Option<f64>,
}

impl HistoryRow {
    /// The row as numbers (`None` as NaN), in `HISTORY_FIELDS` order.
    pub fn to_array(&self) -> [f64; 8] {
        let o = |v: Option<f64>| v.unwrap_or(f64::NAN);
        [
            self.step as f64,
            self.evals as f64,
            self.monitor_evals as f64,
            self.wall_ms,
            self.train_loss,
            o(self.test_loss),
            o(self.grad_rel_err),
            o(self.grad_cos),
        ]
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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

/// Where the two-stage surrogate method is.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Phase {
    Collect { round: usize, left: u64 },
    Fit { round: usize, left: usize },
    Train { round: usize, left: u64 },
}

pub struct Session {
    cfg: RunConfig,
    bb: CountedBox,
    data: Dataset,
    policy: Mlp,
    opt: Optimizer,
    rng_batches: ChaCha8Rng,
    rng_est: ChaCha8Rng,
    rng_monitor: ChaCha8Rng,
    rng_surrogate: ChaCha8Rng,
    order: Vec<usize>,
    cursor: usize,
    surrogate: Option<Surrogate>,
    phase: Option<Phase>,
    round_quota: Vec<u64>,
    steps: u64,
    history: Vec<HistoryRow>,
    elapsed_ms: f64,
    next_eval_mark: u64,
    next_step_mark: u64,
    done: Option<StopReason>,
    message: Option<String>,
    notes: Vec<String>,
    last_surrogate_mse: f64,
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
fn policy_forward(
    policy: &Mlp,
    x: ArrayView2<f64>,
) -> Result<(Array2<f64>, crate::nn::ForwardCache), SessionError> {
    let (theta, cache) = policy.forward(x);
    if theta.iter().all(|v| v.is_finite()) {
        Ok((theta, cache))
    } else {
        Err(SessionError::Diverged(NON_FINITE_POLICY.into()))
    }
}

impl Session {
    /// Makes the data and the networks. Fails with a message for the user when the
    /// problem and the settings do not fit together or the user's code fails.
    pub fn new(cfg: RunConfig, black_box: Box<dyn BlackBox>) -> Result<Session, SessionError> {
        let bb = CountedBox::new(black_box);
        let d = bb.dims();
        if (d.x, d.theta, d.y) != (cfg.x_dim, cfg.theta_dim, cfg.y_dim) {
            return Err(SessionError::Config(format!(
                "the settings say xDim={}, thetaDim={}, yDim={} but F has xDim={}, thetaDim={}, yDim={}",
                cfg.x_dim, cfg.theta_dim, cfg.y_dim, d.x, d.theta, d.y
            )));
        }
        if cfg.method == Method::Exact && !bb.has_jacobian() {
            return Err(SessionError::Config(
                "Analytic gradient needs dF(x, theta) in the script (the Jacobian, yDim rows of thetaDim numbers)".into(),
            ));
        }
        let mut bb = bb;
        let mut rng_data = rng_for(cfg.seed, Stream::Data);
        let data = match &cfg.source {
            DataSource::Generated => Dataset::generate(
                &mut bb,
                cfg.samples,
                cfg.x_range,
                cfg.noise,
                cfg.test_fraction,
                &mut rng_data,
            )?,
            DataSource::Csv(text) => Dataset::from_csv(text, d, cfg.test_fraction, &mut rng_data)
                .map_err(SessionError::Config)?,
        };
        let mut rng_init = rng_for(cfg.seed, Stream::Init);
        let mut sizes = vec![cfg.x_dim];
        sizes.extend_from_slice(&cfg.hidden);
        sizes.push(cfg.theta_dim);
        let policy = Mlp::new(
            &sizes,
            cfg.activation,
            cfg.theta_bounds.clone(),
            &mut rng_init,
        );
        let opt = Optimizer::new(
            cfg.optimizer,
            cfg.learning_rate,
            cfg.clip,
            policy.params().len(),
        );
        let uses_surrogate = matches!(
            cfg.method,
            Method::Surrogate | Method::Joint | Method::GuidedEs
        );
        let surrogate = uses_surrogate.then(|| {
            Surrogate::new(
                cfg.x_dim,
                &cfg.theta_scale(),
                cfg.x_range,
                data.y_train.view(),
                &cfg.settings.surrogate_hidden,
                &mut rng_init,
            )
        });
        let round_quota = if cfg.method == Method::Surrogate {
            round_quotas(&cfg)
        } else {
            vec![]
        };
        let phase = (cfg.method == Method::Surrogate).then(|| Phase::Collect {
            round: 0,
            left: round_quota[0],
        });
        let n_train = data.x_train.nrows();
        Ok(Session {
            bb,
            data,
            policy,
            opt,
            rng_batches: rng_for(cfg.seed, Stream::Batches),
            rng_est: rng_for(cfg.seed, Stream::Estimator),
            rng_monitor: rng_for(cfg.seed, Stream::Monitor),
            rng_surrogate: rng_for(cfg.seed, Stream::Surrogate),
            order: (0..n_train).collect(),
            cursor: n_train, // forces a shuffle before the first batch
            surrogate,
            phase,
            round_quota,
            steps: 0,
            history: Vec::new(),
            elapsed_ms: 0.0,
            next_eval_mark: 0,
            next_step_mark: 0,
            done: None,
            message: None,
            notes: Vec::new(),
            last_surrogate_mse: f64::NAN,
            cfg,
        })
    }

    pub fn config(&self) -> &RunConfig {
        &self.cfg
    }
    pub fn history(&self) -> &[HistoryRow] {
        &self.history
    }
    pub fn steps(&self) -> u64 {
        self.steps
    }
    pub fn learning_evals(&self) -> u64 {
        self.bb.learning_evals
    }
    pub fn monitoring_evals(&self) -> u64 {
        self.bb.monitoring_evals
    }
    pub fn jacobian_evals(&self) -> u64 {
        self.bb.jacobian_evals
    }
    pub fn is_done(&self) -> bool {
        self.done.is_some()
    }
    pub fn stop_reason(&self) -> Option<StopReason> {
        self.done
    }
    /// Why the run ended, or the error, in words.
    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }
    /// Things the user should know (a shrunk last step, ...).
    pub fn notes(&self) -> &[String] {
        &self.notes
    }
    pub fn wall_ms(&self) -> f64 {
        self.elapsed_ms
    }
    pub fn policy(&self) -> &Mlp {
        &self.policy
    }
    pub fn data(&self) -> &Dataset {
        &self.data
    }

    /// Runs until `max_ms` have passed on `now` (milliseconds), `max_steps` steps were
    /// taken, or the run ended. Returns whether the run has ended. An error of the user's
    /// code ends the run; the history so far is kept.
    pub fn run_chunk(
        &mut self,
        max_ms: f64,
        max_steps: u64,
        now: &dyn Fn() -> f64,
    ) -> Result<bool, SessionError> {
        if self.done.is_some() {
            return Ok(true);
        }
        let start = now();
        let clock = |s: &Session| s.elapsed_ms + (now() - start);
        let result = (|| -> Result<(), SessionError> {
            if self.history.is_empty() {
                self.log(clock(self))?;
            }
            let mut taken = 0;
            while self.done.is_none() && taken < max_steps {
                let before = self.steps;
                self.step()?;
                taken += self.steps - before;
                if self.done.is_none() && self.should_log() {
                    self.log(clock(self))?;
                }
                if self.done.is_some() && self.history.last().map(|h| h.step) != Some(self.steps) {
                    self.log(clock(self))?;
                }
                if now() - start >= max_ms {
                    break;
                }
            }
            Ok(())
        })();
        self.elapsed_ms += now() - start;
        if let Err(SessionError::Diverged(why)) = &result {
            self.finish(StopReason::Diverged, why.clone());
            return Ok(true);
        }
        if let Err(e) = result {
            self.done = Some(StopReason::Error);
            self.message = Some(e.to_string());
            return Err(e);
        }
        Ok(self.done.is_some())
    }

    /// Ends the run on the user's request (the history stays).
    pub fn stop(&mut self) {
        if self.done.is_none() {
            self.done = Some(StopReason::Stopped);
            self.message = Some("stopped by the user".into());
        }
    }

    fn finish(&mut self, reason: StopReason, message: String) {
        self.done = Some(reason);
        self.message = Some(message);
    }

    fn should_log(&self) -> bool {
        self.bb.learning_evals >= self.next_eval_mark || self.steps >= self.next_step_mark
    }

    fn remaining_budget(&self) -> u64 {
        self.cfg.budget.saturating_sub(self.bb.learning_evals)
    }

    /// The next minibatch of training rows (reshuffled every epoch).
    fn next_batch(&mut self, size: usize) -> Vec<usize> {
        let n = self.order.len();
        let size = size.min(n);
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

    /// How many samples of a step at `per_sample` evaluations each the budget affords.
    /// Ends the run when none.
    fn affordable(&mut self, per_sample: u64) -> usize {
        let want = self.cfg.batch_size.min(self.order.len());
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

    fn estimator<'a>(&self) -> Option<Estimator<'a>> {
        let s = &self.cfg.settings;
        let h = |default: f64| if s.h_rel > 0.0 { s.h_rel } else { default };
        Some(match self.cfg.method {
            Method::Central => Estimator::Central {
                h_rel: h(CENTRAL_H_REL),
            },
            Method::Forward => Estimator::Forward {
                h_rel: h(FORWARD_H_REL),
            },
            Method::Spsa => Estimator::Spsa {
                k: s.k,
                c: s.sigma / ((self.steps + 1) as f64).powf(SPSA_GAMMA),
            },
            Method::Es => Estimator::Es {
                k: s.k,
                sigma: s.sigma,
            },
            Method::Exact => Estimator::Exact,
            Method::GuidedEs | Method::Surrogate | Method::Joint => return None,
        })
    }

    fn rows(a: &Array2<f64>, idx: &[usize]) -> Array2<f64> {
        a.select(Axis(0), idx)
    }

    /// One unit of work: a training step, or part of a collection or fitting phase.
    fn step(&mut self) -> Result<(), SessionError> {
        if self.steps >= self.cfg.max_steps {
            self.finish(
                StopReason::MaxSteps,
                format!("reached the step limit ({})", self.cfg.max_steps),
            );
            return Ok(());
        }
        match self.cfg.method {
            Method::Surrogate => self.step_two_stage()?,
            Method::Joint => self.step_joint()?,
            Method::GuidedEs => self.step_guided_es()?,
            _ => self.step_estimator()?,
        }
        if self.done.is_none() && !self.policy.params().iter().all(|v| v.is_finite()) {
            self.finish(
                StopReason::Diverged,
                "diverged: the network's weights became NaN or infinite; lower the learning rate"
                    .into(),
            );
        }
        Ok(())
    }

    fn apply_policy_gradient(&mut self, cache: &crate::nn::ForwardCache, d_theta: ArrayView2<f64>) {
        let (g, _) = self.policy.backward(cache, d_theta);
        self.opt.step(self.policy.params_mut(), &g);
        self.steps += 1;
    }

    fn step_estimator(&mut self) -> Result<(), SessionError> {
        let est = self.estimator().expect("estimator method");
        let b = self.affordable(est.evals_per_sample(self.cfg.theta_dim));
        if b == 0 {
            return Ok(());
        }
        let idx = self.next_batch(b);
        let x = Self::rows(&self.data.x_train, &idx);
        let y = Self::rows(&self.data.y_train, &idx);
        let (theta, cache) = policy_forward(&self.policy, x.view())?;
        let lg = estimate::loss_and_grad(
            est,
            &mut self.bb,
            Purpose::Learning,
            Batch {
                x: x.view(),
                theta: theta.view(),
                y: y.view(),
            },
            &mut self.rng_est,
            false,
        )?;
        self.apply_policy_gradient(&cache, lg.grad.view());
        Ok(())
    }

    /// Surrogate's estimate of `dL/dtheta` at `(x, theta)` (no F-evaluations).
    fn surrogate_grad(
        &self,
        x: ArrayView2<f64>,
        theta: ArrayView2<f64>,
        y: ArrayView2<f64>,
    ) -> Array2<f64> {
        let s = self.surrogate.as_ref().expect("surrogate method");
        let (pred, cache) = s.forward(x, theta);
        let (w, _) = estimate::residual_weights(&pred, y);
        s.backward(&cache, w.view()).1
    }

    /// Guided ES along `guide` (the surrogate's gradient). Until the surrogate has seen data
    /// its gradient is noise: plain ES (alpha = 1).
    fn guided_estimator<'a>(&self, guide: ArrayView2<'a, f64>) -> Estimator<'a> {
        let st = &self.cfg.settings;
        let trained = self.surrogate.as_ref().is_some_and(|s| s.remembered() > 0);
        Estimator::GuidedEs {
            k: st.k,
            sigma: st.sigma,
            alpha: if trained { st.alpha } else { 1.0 },
            guide,
        }
    }

    fn step_guided_es(&mut self) -> Result<(), SessionError> {
        let b = self.affordable(2 * self.cfg.settings.k as u64 + 1);
        if b == 0 {
            return Ok(());
        }
        let idx = self.next_batch(b);
        let x = Self::rows(&self.data.x_train, &idx);
        let y = Self::rows(&self.data.y_train, &idx);
        let (theta, cache) = policy_forward(&self.policy, x.view())?;
        let guide = self.surrogate_grad(x.view(), theta.view(), y.view());
        let est = self.guided_estimator(guide.view());
        let batch = Batch {
            x: x.view(),
            theta: theta.view(),
            y: y.view(),
        };
        let lg = estimate::loss_and_grad(
            est,
            &mut self.bb,
            Purpose::Learning,
            batch,
            &mut self.rng_est,
            true,
        )?;
        let (px, pt, pf) = lg.probes.as_ref().expect("probes kept");
        let s = self.surrogate.as_mut().unwrap();
        s.remember(px.view(), pt.view(), pf.view());
        self.last_surrogate_mse = s.fit(2, FIT_BATCH, &mut self.rng_surrogate);
        self.apply_policy_gradient(&cache, lg.grad.view());
        Ok(())
    }

    /// `theta + exploration * scale * N(0, 1)`, kept inside the bounds.
    fn explore(&mut self, theta: &Array2<f64>) -> Array2<f64> {
        let scale = self.cfg.theta_scale();
        let e = self.cfg.settings.exploration;
        let mut out = theta.clone();
        for mut row in out.rows_mut() {
            for (j, v) in row.iter_mut().enumerate() {
                let z: f64 = StandardNormal.sample(&mut self.rng_est);
                *v += e * scale[j] * z;
                if let Some(b) = &self.cfg.theta_bounds {
                    *v = v.clamp(b[j].0, b[j].1);
                }
            }
        }
        out
    }

    /// Joint surrogate: `L* = |Y - F~(X, th)|^2 + lambda |F~(X, th) - F(X, th)|^2` with
    /// `th` the explored policy output and `F(...)` a constant; one F-evaluation per sample.
    fn step_joint(&mut self) -> Result<(), SessionError> {
        let b = self.affordable(1);
        if b == 0 {
            return Ok(());
        }
        let idx = self.next_batch(b);
        let x = Self::rows(&self.data.x_train, &idx);
        let y = Self::rows(&self.data.y_train, &idx);
        let (theta, cache) = policy_forward(&self.policy, x.view())?;
        let th = self.explore(&theta);
        let f = self.bb.eval(Purpose::Learning, x.view(), th.view())?;
        let lambda = self.cfg.settings.lambda;
        let fit_only_rho = self.cfg.settings.fit_only_rho;
        let s = self.surrogate.as_mut().unwrap();
        s.remember(x.view(), th.view(), f.view());
        let (pred, sc) = s.forward(x.view(), th.view());
        let (d_data, _) = estimate::residual_weights(&pred, y.view());
        let (d_fit, _) = estimate::residual_weights(&pred, f.view());
        let d_fit = d_fit * lambda;
        let both = &d_data + &d_fit;
        let (g_rho, d_theta) = if fit_only_rho {
            let (g_rho, _) = s.backward(&sc, d_fit.view());
            let (_, d_theta) = s.backward(&sc, d_data.view());
            (g_rho, d_theta)
        } else {
            s.backward(&sc, both.view())
        };
        s.apply_gradient(&g_rho);
        // Replay: one more fit on earlier evaluations, free of F-evaluations.
        self.last_surrogate_mse = s.fit(1, FIT_BATCH, &mut self.rng_surrogate);
        self.apply_policy_gradient(&cache, d_theta.view());
        Ok(())
    }

    /// Two-stage surrogate: per round, collect around the policy, fit `F~`, then train the
    /// policy through the frozen `F~`.
    fn step_two_stage(&mut self) -> Result<(), SessionError> {
        let rounds = self.round_quota.len();
        let train_steps = (self.cfg.max_steps / rounds as u64).max(1);
        match self.phase.expect("two-stage phase") {
            Phase::Collect { round, left } => {
                let rows = (left.min(COLLECT_ROWS_PER_CALL as u64) as usize)
                    .min(self.remaining_budget() as usize);
                if rows > 0 {
                    let n = self.data.x_train.nrows();
                    let idx: Vec<usize> = (0..rows)
                        .map(|_| self.rng_batches.random_range(0..n))
                        .collect();
                    let x = Self::rows(&self.data.x_train, &idx);
                    let theta = policy_forward(&self.policy, x.view())?.0;
                    let th = self.explore(&theta);
                    let f = self.bb.eval(Purpose::Learning, x.view(), th.view())?;
                    self.surrogate
                        .as_mut()
                        .unwrap()
                        .remember(x.view(), th.view(), f.view());
                }
                let left = left - rows as u64;
                self.phase = Some(if left == 0 || rows == 0 {
                    Phase::Fit {
                        round,
                        left: FIT_UPDATES_PER_ROUND,
                    }
                } else {
                    Phase::Collect { round, left }
                });
            }
            Phase::Fit { round, left } => {
                let now = left.min(FIT_UPDATES_PER_CALL);
                let s = self.surrogate.as_mut().unwrap();
                self.last_surrogate_mse = s.fit(now, FIT_BATCH, &mut self.rng_surrogate);
                self.phase = Some(if left == now {
                    Phase::Train {
                        round,
                        left: train_steps,
                    }
                } else {
                    Phase::Fit {
                        round,
                        left: left - now,
                    }
                });
            }
            Phase::Train { round, left } => {
                let idx = self.next_batch(self.cfg.batch_size);
                let x = Self::rows(&self.data.x_train, &idx);
                let y = Self::rows(&self.data.y_train, &idx);
                let (theta, cache) = policy_forward(&self.policy, x.view())?;
                let d_theta = self.surrogate_grad(x.view(), theta.view(), y.view());
                self.apply_policy_gradient(&cache, d_theta.view());
                self.phase = Some(if left > 1 {
                    Phase::Train {
                        round,
                        left: left - 1,
                    }
                } else if round + 1 < rounds {
                    Phase::Collect {
                        round: round + 1,
                        left: self.round_quota[round + 1],
                    }
                } else {
                    self.finish(
                        StopReason::Budget,
                        format!(
                            "all {rounds} rounds done: {} F-evaluations collected",
                            self.bb.learning_evals
                        ),
                    );
                    Phase::Train { round, left: 0 }
                });
            }
        }
        Ok(())
    }

    /// True loss (monitoring evaluations) of the policy on the training or the test set.
    fn true_loss(&mut self, test: bool) -> Result<f64, SessionError> {
        let d = &self.data;
        let (x, y) = if test {
            (&d.x_test, &d.y_test)
        } else {
            (&d.x_train, &d.y_train)
        };
        let theta = policy_forward(&self.policy, x.view())?.0;
        let f = self.bb.eval(Purpose::Monitoring, x.view(), theta.view())?;
        Ok(estimate::residual_weights(&f, y.view()).1)
    }

    fn monitor_batch(&self) -> (Array2<f64>, Array2<f64>) {
        let n = self.data.x_train.nrows().min(MONITOR_BATCH);
        let idx: Vec<usize> = (0..n).collect();
        (
            Self::rows(&self.data.x_train, &idx),
            Self::rows(&self.data.y_train, &idx),
        )
    }

    /// The reference `dL/dpi` on the monitoring batch: from dF when given, else
    /// Richardson-extrapolated central differences.
    pub fn reference_policy_gradient(&mut self) -> Result<Vec<f64>, SessionError> {
        let (x, y) = self.monitor_batch();
        let (theta, cache) = policy_forward(&self.policy, x.view())?;
        let est = if self.bb.has_jacobian() {
            Estimator::Exact
        } else {
            Estimator::Richardson {
                h_rel: RICHARDSON_H_REL,
            }
        };
        let lg = estimate::loss_and_grad(
            est,
            &mut self.bb,
            Purpose::Monitoring,
            Batch {
                x: x.view(),
                theta: theta.view(),
                y: y.view(),
            },
            &mut self.rng_monitor,
            false,
        )?;
        Ok(self.policy.backward(&cache, lg.grad.view()).0)
    }

    /// This method's estimate of `dL/dpi` on the monitoring batch at the current policy.
    pub fn method_policy_gradient(&mut self) -> Result<Vec<f64>, SessionError> {
        let (x, y) = self.monitor_batch();
        let (theta, cache) = policy_forward(&self.policy, x.view())?;
        let d_theta = match self.cfg.method {
            Method::Surrogate | Method::Joint => {
                self.surrogate_grad(x.view(), theta.view(), y.view())
            }
            method => {
                let guide = (method == Method::GuidedEs)
                    .then(|| self.surrogate_grad(x.view(), theta.view(), y.view()));
                let est = match &guide {
                    Some(g) => self.guided_estimator(g.view()),
                    None => self.estimator().expect("an estimator method"),
                };
                let batch = Batch {
                    x: x.view(),
                    theta: theta.view(),
                    y: y.view(),
                };
                estimate::loss_and_grad(
                    est,
                    &mut self.bb,
                    Purpose::Monitoring,
                    batch,
                    &mut self.rng_monitor,
                    false,
                )?
                .grad
            }
        };
        Ok(self.policy.backward(&cache, d_theta.view()).0)
    }

    fn log(&mut self, wall_ms: f64) -> Result<(), SessionError> {
        let train_loss = self.true_loss(false)?;
        let test_loss = if self.data.x_test.nrows() > 0 {
            Some(self.true_loss(true)?)
        } else {
            None
        };
        let reference = self.reference_policy_gradient()?;
        let estimate = self.method_policy_gradient()?;
        let (rel, cos) = estimate::compare(&estimate, &reference);
        let row = HistoryRow {
            step: self.steps,
            evals: self.bb.learning_evals,
            monitor_evals: self.bb.monitoring_evals,
            wall_ms,
            train_loss,
            test_loss,
            grad_rel_err: rel.is_finite().then_some(rel),
            grad_cos: cos.is_finite().then_some(cos),
        };
        let first = self.history.first().map(|h| h.train_loss);
        self.history.push(row);
        // Next log points: whichever of evaluations or steps comes first.
        let lp = self.cfg.log_points as u64;
        let eval_gap = (self.cfg.budget / lp).max(1);
        let step_gap = (self.cfg.max_steps / lp).max(1);
        self.next_eval_mark = (self.bb.learning_evals / eval_gap + 1) * eval_gap;
        self.next_step_mark = (self.steps / step_gap + 1) * step_gap;
        if self.done.is_none() {
            if !train_loss.is_finite() {
                self.finish(
                    StopReason::Diverged,
                    "diverged: the training loss is not a finite number; lower the learning rate"
                        .into(),
                );
            } else if let Some(f0) = first {
                if train_loss > DIVERGENCE_FACTOR * f0.max(1e-300) {
                    self.finish(
                        StopReason::Diverged,
                        format!("diverged: the training loss grew from {f0:.3e} to {train_loss:.3e}; lower the learning rate or the method's step size"),
                    );
                }
            }
        }
        Ok(())
    }

    /// The finite-difference step-size sweep at the current policy, on the monitoring
    /// batch: relative error of central and forward differences of `dL/dtheta` against
    /// the reference, for each relative step in `h_values`. Shows truncation error (large
    /// h) against round-off (small h): the V of a log-log plot. Monitoring evaluations.
    pub fn step_sweep(&mut self, h_values: &[f64]) -> Result<serde_json::Value, SessionError> {
        let (x, y) = self.monitor_batch();
        let theta = policy_forward(&self.policy, x.view())?.0;
        let batch = Batch {
            x: x.view(),
            theta: theta.view(),
            y: y.view(),
        };
        let reference_est = if self.bb.has_jacobian() {
            Estimator::Exact
        } else {
            Estimator::Richardson {
                h_rel: RICHARDSON_H_REL,
            }
        };
        let mut grad = |est| -> Result<Vec<f64>, SessionError> {
            let lg = estimate::loss_and_grad(
                est,
                &mut self.bb,
                Purpose::Monitoring,
                batch,
                &mut self.rng_monitor,
                false,
            )?;
            Ok(lg.grad.into_iter().collect())
        };
        let reference = grad(reference_est)?;
        let mut rows = Vec::new();
        for &h in h_values
            .iter()
            .filter(|h| h.is_finite() && **h > 0.0 && **h <= 1.0)
        {
            let central = estimate::compare(&grad(Estimator::Central { h_rel: h })?, &reference).0;
            let forward = estimate::compare(&grad(Estimator::Forward { h_rel: h })?, &reference).0;
            rows.push(serde_json::json!([h, central, forward]));
        }
        Ok(serde_json::json!({
            "reference": if self.bb.has_jacobian() { "dF" } else { "richardson" },
            "defaults": { "central": CENTRAL_H_REL, "forward": FORWARD_H_REL },
            "rows": rows,
        }))
    }

    /// Predicted against observed outputs on the test set (the training set when there
    /// is no test set), with the learned and true theta. Uses monitoring evaluations.
    pub fn fit_report(&mut self) -> Result<serde_json::Value, SessionError> {
        let (x, y, tt) = if self.data.x_test.nrows() > 0 {
            (
                self.data.x_test.clone(),
                self.data.y_test.clone(),
                self.data.theta_test.clone(),
            )
        } else {
            (
                self.data.x_train.clone(),
                self.data.y_train.clone(),
                self.data.theta_train.clone(),
            )
        };
        let theta = policy_forward(&self.policy, x.view())?.0;
        let pred = self.bb.eval(Purpose::Monitoring, x.view(), theta.view())?;
        let flat = |a: &Array2<f64>| a.iter().copied().collect::<Vec<f64>>();
        Ok(serde_json::json!({
            "xDim": self.cfg.x_dim, "yDim": self.cfg.y_dim, "thetaDim": self.cfg.theta_dim,
            "x": flat(&x), "yTrue": flat(&y), "yPred": flat(&pred),
            "thetaLearned": flat(&theta), "thetaTrue": tt.as_ref().map(flat),
        }))
    }

    /// Status for the page.
    pub fn status(&self) -> serde_json::Value {
        serde_json::json!({
            "method": self.cfg.method.name(),
            "steps": self.steps,
            "evals": self.bb.learning_evals,
            "monitorEvals": self.bb.monitoring_evals,
            "jacobianEvals": self.bb.jacobian_evals,
            "budget": self.cfg.budget,
            "maxSteps": self.cfg.max_steps,
            "done": self.done.is_some(),
            "stopReason": self.done.map(StopReason::name),
            "message": self.message,
            "error": (self.done == Some(StopReason::Error)).then(|| self.message.clone()).flatten(),
            "notes": self.notes,
            "wallMs": self.elapsed_ms,
            "surrogateMse": self.last_surrogate_mse.is_finite().then_some(self.last_surrogate_mse),
        })
    }
}

/// F-evaluations collected in each round of the two-stage surrogate: the first round
/// takes `collect_share` of the budget, the rest split the remainder; they sum to the budget.
fn round_quotas(cfg: &RunConfig) -> Vec<u64> {
    let r = cfg.settings.rounds;
    if r == 1 {
        return vec![cfg.budget];
    }
    let first = ((cfg.budget as f64 * cfg.settings.collect_share) as u64).clamp(1, cfg.budget);
    let rest = cfg.budget - first;
    let mut q = vec![first];
    for i in 0..r - 1 {
        q.push(rest / (r as u64 - 1) + u64::from((i as u64) < rest % (r as u64 - 1)));
    }
    q
}
