//! One run of one method: data, policy network, optimiser, the method's machinery
//! (`methods`), stepped in chunks so a worker can yield between them, with the logged
//! history (`monitor`) and the reports the page reads (`report`).
//!
//! Budget rule: only `Purpose::Learning` evaluations are charged. A step that would
//! overshoot the budget is shrunk to the samples it can afford, and the run ends when
//! not even one sample is affordable. Monitoring (losses, the reference gradient and each
//! method's estimate on the monitoring batch) is counted separately.

mod monitor;
mod report;
mod tune;

pub use tune::{MakeBox, TunedRun, TuningRecord, GRID_FACTORS};

pub use monitor::{DIVERGENCE_FACTOR, MONITOR_BATCH};
pub use report::{
    FitReport, HistoryRow, Outcome, Status, SweepReport, FIT_MAX_POINTS, HISTORY_FIELDS,
};

pub use crate::methods::run::{SessionError, StopReason};

use crate::config::{DataSource, RunConfig};
use crate::data::Dataset;
use crate::methods::run::{policy_predict, rng_for, Core, Stream};
use crate::methods::{self, GradientMethod};
use crate::nn::Mlp;
use crate::optim::Optimizer;
use crate::problem::{BlackBox, CountedBox};
use ndarray::Array2;
use std::rc::Rc;

/// Where `Session::run_chunk_resumable` left off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChunkEnd {
    /// The run has ended.
    Ended,
    /// Time or steps ran out; call again.
    More,
    /// A deferred batch awaits its values; the step was undone, to be taken again.
    Pending,
}

/// Rows of numbers (samples, thetas) as plain vectors.
pub type Rows = Vec<Vec<f64>>;

pub struct Session {
    core: Core,
    method: Box<dyn GradientMethod>,
    history: Vec<HistoryRow>,
    elapsed_ms: f64,
    marks: LogMarks,
}

/// When the next log point comes: after the step that reaches `next_eval` learning
/// evaluations or `next_step` steps (the "Log points" setting, evenly spread), or before the
/// next step would take the evaluations past `LOG_RATIO` times those of the last log point
/// (dense early, where the loss falls fastest), so that consecutive log points are at most
/// 20% apart once a step is under a fifth of the evaluations so far (before that every step
/// is logged, which makes a crossing between two of them exact). A method that alternates
/// between calling F and training on F~ without it is logged at each switch.
#[derive(Clone, Copy, Debug, Default)]
struct LogMarks {
    next_eval: u64,
    next_step: u64,
    last_logged_evals: u64,
    last_logged_step: u64,
    last_step_evals: u64,
    /// Whether the method's next step calls F, and whether the last step changed that.
    next_calls_f: bool,
    phase_changed: bool,
}

/// Consecutive log points are at most this factor apart in learning evaluations.
pub const LOG_RATIO: f64 = 1.2;

impl Session {
    /// Makes the data and the networks. Fails with a message for the user when the
    /// problem and the settings do not fit together or the user's code fails.
    pub fn new(cfg: RunConfig, black_box: Box<dyn BlackBox>) -> Result<Session, SessionError> {
        let mut bb = CountedBox::new(black_box);
        let d = bb.dims();
        if (d.x, d.theta, d.y) != (cfg.x_dim, cfg.theta_dim, cfg.y_dim) {
            return Err(SessionError::Config(format!(
                "the settings say xDim={}, thetaDim={}, yDim={} but F has xDim={}, thetaDim={}, yDim={}",
                cfg.x_dim, cfg.theta_dim, cfg.y_dim, d.x, d.theta, d.y
            )));
        }
        if cfg.method == crate::config::Method::Exact && !bb.has_jacobian() {
            return Err(SessionError::Config(
                "Analytic gradient needs dF(x, theta) in the script (the Jacobian, yDim rows of thetaDim numbers)".into(),
            ));
        }
        let mut rng_data = rng_for(cfg.data_seed, Stream::Data);
        let data = match &cfg.source {
            DataSource::Generated if cfg.calibration() && !bb.has_theta_true() => {
                Dataset::residuals(cfg.x_dim, cfg.y_dim)
            }
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
        let mut policy = Mlp::new(
            &sizes,
            cfg.activation,
            cfg.theta_bounds.clone(),
            &mut rng_init,
        );
        if cfg.calibration() {
            policy.set_constant_output(&cfg.theta_start());
        }
        // Loaded weights replace the drawn ones (drawn all the same, so every other stream
        // of the seed stays as it was).
        if let Some(w) = &cfg.initial_weights {
            policy
                .load_json(w)
                .map_err(|e| SessionError::Config(format!("Load weights: {e}.")))?;
        }
        let opt = Optimizer::new(
            cfg.optimizer,
            cfg.learning_rate,
            cfg.clip,
            policy.params().len(),
        );
        let method = methods::build(&cfg, &data, &mut rng_init);
        let n_train = data.x_train.nrows();
        let core = Core {
            bb,
            data: Rc::new(data),
            policy,
            opt,
            rng_batches: rng_for(cfg.seed, Stream::Batches),
            rng_est: rng_for(cfg.seed, Stream::Estimator),
            rng_monitor: rng_for(cfg.seed, Stream::Monitor),
            rng_surrogate: rng_for(cfg.seed, Stream::Surrogate),
            order: (0..n_train).collect(),
            cursor: n_train, // forces a shuffle before the first batch
            steps: 0,
            done: None,
            message: None,
            notes: Vec::new(),
            skipped: 0,
            failed_evals: 0,
            cfg: Rc::new(cfg),
        };
        let marks = LogMarks {
            next_calls_f: method.next_step_calls_f(),
            ..LogMarks::default()
        };
        Ok(Session {
            core,
            method,
            history: Vec::new(),
            elapsed_ms: 0.0,
            marks,
        })
    }

    pub fn config(&self) -> &RunConfig {
        &self.core.cfg
    }
    pub fn history(&self) -> &[HistoryRow] {
        &self.history
    }
    pub fn steps(&self) -> u64 {
        self.core.steps
    }
    /// F-evaluations spent making the data (generated Y).
    pub fn data_evals(&self) -> u64 {
        self.core.bb.data_evals
    }
    pub fn learning_evals(&self) -> u64 {
        self.core.bb.learning_evals
    }
    pub fn monitoring_evals(&self) -> u64 {
        self.core.bb.monitoring_evals
    }
    pub fn jacobian_evals(&self) -> u64 {
        self.core.bb.jacobian_evals
    }
    pub fn is_done(&self) -> bool {
        self.core.done.is_some()
    }
    pub fn stop_reason(&self) -> Option<StopReason> {
        self.core.done
    }
    /// Why the run ended, or the error, in words.
    pub fn message(&self) -> Option<&str> {
        self.core.message.as_deref()
    }
    /// Things the user should know (a shrunk last step, ...).
    pub fn notes(&self) -> &[String] {
        &self.core.notes
    }
    pub fn wall_ms(&self) -> f64 {
        self.elapsed_ms
    }
    pub fn policy(&self) -> &Mlp {
        &self.core.policy
    }
    /// The first `n` training samples and the network's outputs there: where Diagnose F
    /// looks at F (the thetas a race starts from).
    pub fn diagnosis_points(&self, n: usize) -> Result<(Rows, Rows), SessionError> {
        let n = n.min(self.core.data.x_train.nrows());
        let x = self
            .core
            .data
            .x_train
            .slice(ndarray::s![..n, ..])
            .to_owned();
        let theta = policy_predict(&self.core.policy, x.view())?;
        let rows = |a: &Array2<f64>| a.rows().into_iter().map(|r| r.to_vec()).collect();
        Ok((rows(&x), rows(&theta)))
    }

    pub fn data(&self) -> &Dataset {
        &self.core.data
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
        if self.core.done.is_some() {
            return Ok(true);
        }
        let start = now();
        let clock = |s: &Session| s.elapsed_ms + (now() - start);
        let result = (|| -> Result<(), SessionError> {
            if self.history.is_empty() {
                self.log(clock(self))?;
            }
            let mut taken = 0;
            while self.core.done.is_none() && taken < max_steps {
                let before = self.core.steps;
                self.step()?;
                taken += self.core.steps - before;
                if self.core.done.is_none() && self.should_log() {
                    self.log(clock(self))?;
                }
                if self.core.done.is_some()
                    && self.history.last().map(|h| h.step) != Some(self.core.steps)
                {
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
            self.core.finish(StopReason::Diverged, why.clone());
            return Ok(true);
        }
        if let Err(e) = result {
            self.core.finish(StopReason::Error, e.to_string());
            return Err(e);
        }
        Ok(self.core.done.is_some())
    }

    /// `run_chunk` for a black box that evaluates F elsewhere (other workers): its learning
    /// and monitoring batches may answer "pending". Each step is then undone to where it
    /// began, and this returns `Pending`; the caller gets the rows evaluated and calls again,
    /// and the step, taken again from the same state, finds their values. Whatever evaluates
    /// the rows, the run is the one `run_chunk` gives, bit for bit (tests/parallel.rs).
    pub fn run_chunk_resumable(
        &mut self,
        max_ms: f64,
        max_steps: u64,
        now: &dyn Fn() -> f64,
    ) -> Result<ChunkEnd, SessionError> {
        let start = now();
        let mut taken = 0;
        loop {
            let snapshot = (
                self.core.clone(),
                self.method.clone(),
                self.history.len(),
                self.marks,
            );
            let deferred = self.core.bb.deferred().clone();
            deferred.borrow_mut().restart();
            deferred.borrow_mut().active = true;
            let left = (max_ms - (now() - start)).max(0.0);
            let result = self.run_chunk(left, 1, now);
            deferred.borrow_mut().active = false;
            // Rows went out (the step waited on them, or went on with zeros for monitoring
            // batches): whatever the step did after that is undone, errors included.
            if deferred.borrow().pending.is_some() {
                let (core, method, len, marks) = snapshot;
                self.core = core;
                self.method = method;
                self.history.truncate(len);
                self.marks = marks;
                return Ok(ChunkEnd::Pending);
            }
            match result {
                Err(e) => return Err(e),
                Ok(true) => return Ok(ChunkEnd::Ended),
                Ok(false) => deferred.borrow_mut().forget(),
            }
            taken += 1;
            if taken >= max_steps || now() - start >= max_ms {
                return Ok(ChunkEnd::More);
            }
        }
    }

    /// Time spent outside `run_chunk*` on the run's behalf (waiting for other workers'
    /// values), counted in its clock (`wall_ms`).
    pub fn add_wait_ms(&mut self, ms: f64) {
        if ms.is_finite() && ms > 0.0 {
            self.elapsed_ms += ms;
        }
    }

    /// The rows of the batch `run_chunk_resumable` left pending: xs and thetas, row-major.
    pub fn pending_rows(&self) -> Option<(Vec<f64>, Vec<f64>)> {
        self.core.bb.deferred().borrow().pending.clone()
    }

    /// `f(xs, thetas)` on the rows `run_chunk_resumable` left pending, read in place (empty
    /// slices when none).
    pub fn with_pending_rows<R>(&self, f: impl FnOnce(&[f64], &[f64]) -> R) -> R {
        let deferred = self.core.bb.deferred().borrow();
        match deferred.pending.as_ref() {
            Some((xs, ts)) => f(xs, ts),
            None => f(&[], &[]),
        }
    }

    /// How many rows the pending batch has (0 when none), without copying them.
    pub fn pending_row_count(&self) -> usize {
        let deferred = self.core.bb.deferred().borrow();
        deferred
            .pending
            .as_ref()
            .map_or(0, |(_, thetas)| thetas.len() / self.core.cfg.theta_dim)
    }

    /// The values of the pending batch, evaluated elsewhere (`n x yDim`, row-major).
    pub fn supply(&mut self, values: Vec<f64>) -> Result<(), SessionError> {
        let want = self.pending_row_count();
        if values.len() != want * self.core.cfg.y_dim {
            return Err(SessionError::Config(format!(
                "{} values came for a batch of {want} rows of {} outputs",
                values.len(),
                self.core.cfg.y_dim
            )));
        }
        self.core
            .bb
            .deferred()
            .borrow_mut()
            .supply(values)
            .map_err(SessionError::Config)
    }

    /// Ends the run on the user's request (the history stays). A run that took steps since
    /// its last log point logs one more first, so that it is judged where it stopped.
    pub fn stop(&mut self) {
        if self.core.done.is_some() {
            return;
        }
        let logged = self.history.last().map(|h| h.step);
        if logged.is_some() && logged != Some(self.core.steps) {
            // A failing F here leaves the run judged on its last logged point.
            let _ = self.log(self.elapsed_ms);
        }
        if self.core.done.is_none() {
            self.core
                .finish(StopReason::Stopped, "stopped by the user".into());
        }
    }

    fn should_log(&self) -> bool {
        let m = &self.marks;
        let evals = self.core.bb.learning_evals;
        let geometric = (evals + m.last_step_evals) as f64 > LOG_RATIO * m.last_logged_evals as f64;
        // Between calling F and training on F~ (twice a round of the two-stage surrogate: at
        // most 200 points with its largest Rounds), so that the loss is known where the
        // evaluations stop growing and where the policy starts moving.
        let boundary = m.phase_changed
            && (evals > m.last_logged_evals || self.core.steps > m.last_logged_step);
        evals >= m.next_eval
            || self.core.steps >= m.next_step
            || boundary
            || (geometric && evals > m.last_logged_evals)
    }

    /// One unit of work: a training step, or part of a collection or fitting phase.
    fn step(&mut self) -> Result<(), SessionError> {
        let core = &mut self.core;
        if core.cfg.max_steps > 0 && core.steps >= core.cfg.max_steps {
            core.finish(
                StopReason::MaxSteps,
                format!("reached the step limit ({})", core.cfg.max_steps),
            );
            return Ok(());
        }
        let before = core.bb.learning_evals;
        self.method.step(core)?;
        if core.bb.learning_evals > before {
            self.marks.last_step_evals = core.bb.learning_evals - before;
        }
        let calls_f = self.method.next_step_calls_f();
        self.marks.phase_changed = calls_f != self.marks.next_calls_f;
        self.marks.next_calls_f = calls_f;
        if core.done.is_none() && !core.policy.params().iter().all(|v| v.is_finite()) {
            core.finish(
                StopReason::Diverged,
                "diverged: the network's weights became NaN or infinite; lower the learning rate"
                    .into(),
            );
        }
        Ok(())
    }

    /// How the run came out so far (`None` before the first log).
    pub fn outcome(&self) -> Option<(Outcome, String)> {
        let first = self.history.first()?.train_loss;
        let last = self.history.last()?.train_loss;
        let best = self
            .history
            .iter()
            .map(|h| h.train_loss)
            .fold(f64::INFINITY, f64::min);
        let target = self.core.cfg.target;
        let o = Outcome::judge(self.core.done, first, best, last, target);
        Some((o, o.why(first, best, last, target)))
    }

    /// Status for the page.
    pub fn status(&self) -> Status {
        let c = &self.core;
        let outcome = c.done.and(self.outcome());
        Status {
            method: c.cfg.method.name(),
            steps: c.steps,
            evals: c.bb.learning_evals,
            monitor_evals: c.bb.monitoring_evals,
            jacobian_evals: c.bb.jacobian_evals,
            budget: c.cfg.budget,
            max_steps: c.cfg.max_steps,
            learning_rate: c.cfg.learning_rate,
            skipped: c.skipped,
            done: c.done.is_some(),
            stop_reason: c.done.map(StopReason::name),
            message: c.message.clone(),
            error: (c.done == Some(StopReason::Error))
                .then(|| c.message.clone())
                .flatten(),
            notes: c.notes.clone(),
            wall_ms: self.elapsed_ms,
            surrogate_mse: methods::surrogate_mse(self.method.as_ref()),
            outcome: outcome.as_ref().map(|(o, _)| o.name()),
            outcome_why: outcome.map(|(_, why)| why),
        }
    }
}
