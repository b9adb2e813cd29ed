//! Watching a run without changing it: log points (true train and test loss, the reference
//! gradient and the gradient the method applies, on a fixed monitoring batch), divergence,
//! the finite-difference step-size sweep and the fit report. Every F-evaluation here is
//! `Purpose::Monitoring`, counted apart from the budget, and every random draw comes from
//! the monitoring stream, so watching never changes training.

use super::report::{FitReport, HistoryRow, SweepDefaults, SweepReport, FIT_MAX_POINTS};
use super::{Session, StopReason};
use crate::error_bars;
use crate::estimate::{self, Batch, Estimator, CENTRAL_H_REL, FORWARD_H_REL, RICHARDSON_H_REL};
use crate::methods::run::{monitored, policy_forward, policy_predict, rows, Core, SessionError};
use crate::problem::Purpose;
use ndarray::{s, Array2, ArrayView2, Axis};

/// Samples in the fixed monitoring batch for gradient errors.
pub const MONITOR_BATCH: usize = 64;
/// A run whose training loss exceeds this multiple of its first logged loss has diverged.
pub const DIVERGENCE_FACTOR: f64 = 1e4;

/// At a log point: the reference `dL/dpi`, the method's, and its standard error.
type Gradients = (Vec<f64>, Vec<f64>, Option<f64>);

/// `dL/dtheta` by `est` on `batch` (as [`monitored`]).
pub(super) fn monitored_grad(
    c: &mut Core,
    est: Estimator,
    batch: Batch,
) -> Result<Array2<f64>, SessionError> {
    Ok(monitored(c, est, batch)?.grad)
}

impl Session {
    /// True loss (monitoring evaluations) of the policy on the training or the test set.
    /// When F fails there and failures are skipped: the loss over the samples where it works.
    fn true_loss(&mut self, test: bool) -> Result<f64, SessionError> {
        let c = &mut self.core;
        let (x, y) = if test {
            (c.data.x_test.clone(), c.data.y_test.clone())
        } else {
            (c.data.x_train.clone(), c.data.y_train.clone())
        };
        let theta = policy_predict(&c.policy, x.view())?;
        match c.bb.eval(Purpose::Monitoring, x.view(), theta.view()) {
            Ok(f) => Ok(estimate::residual_weights(&f, y.view()).1),
            Err(e) if c.cfg.skip_failures && !e.is_pending() => {
                let (mut sum, mut kept) = (0.0, 0usize);
                for i in 0..x.nrows() {
                    let r = i..i + 1;
                    let (xr, tr) = (x.slice(s![r.clone(), ..]), theta.slice(s![r.clone(), ..]));
                    match c.bb.eval(Purpose::Monitoring, xr, tr) {
                        Ok(f) => {
                            sum += estimate::residual_weights(&f, y.slice(s![r, ..])).1;
                            kept += 1;
                        }
                        Err(e) if e.is_pending() => return Err(e.into()),
                        Err(_) => {}
                    }
                }
                if kept == 0 {
                    return Err(e.into());
                }
                self.note_monitoring_failures(x.nrows() - kept, x.nrows(), &e.0);
                Ok(sum / kept as f64)
            }
            Err(e) => Err(e.into()),
        }
    }

    fn note_monitoring_failures(&mut self, failed: usize, of: usize, message: &str) {
        if failed > 0 && !self.core.notes.iter().any(|n| n.starts_with("monitoring:")) {
            self.core.notes.push(format!(
                "monitoring: F failed on {failed} of {of} samples at step {} ({message}); losses and gradient errors are over the samples where it works",
                self.core.steps
            ));
        }
    }

    fn monitor_batch(&self) -> (Array2<f64>, Array2<f64>) {
        let d = &self.core.data;
        let idx: Vec<usize> = (0..d.x_train.nrows().min(MONITOR_BATCH)).collect();
        (rows(&d.x_train, &idx), rows(&d.y_train, &idx))
    }

    fn reference_estimator(&self) -> Estimator<'static> {
        if self.core.bb.has_jacobian() {
            Estimator::Exact
        } else {
            Estimator::Richardson {
                h_rel: RICHARDSON_H_REL,
            }
        }
    }

    /// The reference `dL/dpi`, the method's and its standard error on `(x, y)`.
    fn gradients_on(
        &mut self,
        x: ArrayView2<f64>,
        y: ArrayView2<f64>,
    ) -> Result<Gradients, SessionError> {
        let reference = self.reference_on(x, y)?;
        let reference_norm = reference.iter().map(|v| v * v).sum::<f64>().sqrt();
        let (estimate, se) = self.method_gradient_on(x, y, reference_norm)?;
        Ok((reference, estimate, se))
    }

    /// [`Self::gradients_on`] over the samples where F works, each taken alone (when
    /// failures are skipped): the mean of their gradients; no standard error. Fails with
    /// `first` when F fails for every sample.
    fn gradients_where_f_works(
        &mut self,
        x: ArrayView2<f64>,
        y: ArrayView2<f64>,
        first: crate::problem::EvalError,
    ) -> Result<Gradients, SessionError> {
        let (mut reference, mut estimate) = (Vec::<f64>::new(), Vec::<f64>::new());
        let mut kept = 0usize;
        for i in 0..x.nrows() {
            let r = i..i + 1;
            match self.gradients_on(x.slice(s![r.clone(), ..]), y.slice(s![r, ..])) {
                Ok((g_ref, g_est, _)) => {
                    if kept == 0 {
                        (reference, estimate) = (g_ref, g_est);
                    } else {
                        reference.iter_mut().zip(&g_ref).for_each(|(a, b)| *a += b);
                        estimate.iter_mut().zip(&g_est).for_each(|(a, b)| *a += b);
                    }
                    kept += 1;
                }
                Err(SessionError::Eval(e)) if !e.is_pending() => {}
                Err(e) => return Err(e),
            }
        }
        if kept == 0 {
            return Err(first.into());
        }
        self.note_monitoring_failures(x.nrows() - kept, x.nrows(), &first.0);
        let mean = |v: Vec<f64>| v.into_iter().map(|a| a / kept as f64).collect::<Vec<f64>>();
        Ok((mean(reference), mean(estimate), None))
    }

    /// The reference `dL/dpi` on the monitoring batch: from dF when given, else
    /// Richardson-extrapolated central differences.
    pub fn reference_policy_gradient(&mut self) -> Result<Vec<f64>, SessionError> {
        let (x, y) = self.monitor_batch();
        self.reference_on(x.view(), y.view())
    }

    fn reference_on(
        &mut self,
        x: ArrayView2<f64>,
        y: ArrayView2<f64>,
    ) -> Result<Vec<f64>, SessionError> {
        let est = self.reference_estimator();
        let c = &mut self.core;
        let (theta, cache) = policy_forward(&c.policy, x)?;
        let grad = monitored_grad(c, est, Batch::new(x, theta.view(), y))?;
        Ok(c.policy.param_gradient(&cache, grad.view()))
    }

    /// The `dL/dpi` this method applies, on the monitoring batch at the current policy
    /// (its own machinery, monitoring evaluations and randomness).
    pub fn method_policy_gradient(&mut self) -> Result<Vec<f64>, SessionError> {
        Ok(self.method_policy_gradient_with_error(1.0)?.0)
    }

    /// `method_policy_gradient` and, for a stochastic method, its standard error relative to
    /// `reference_norm` (calibrated: `crate::error_bars`), from the spread of the estimates
    /// each direction gives alone.
    pub fn method_policy_gradient_with_error(
        &mut self,
        reference_norm: f64,
    ) -> Result<(Vec<f64>, Option<f64>), SessionError> {
        let (x, y) = self.monitor_batch();
        self.method_gradient_on(x.view(), y.view(), reference_norm)
    }

    fn method_gradient_on(
        &mut self,
        x: ArrayView2<f64>,
        y: ArrayView2<f64>,
        reference_norm: f64,
    ) -> Result<(Vec<f64>, Option<f64>), SessionError> {
        let c = &mut self.core;
        let (theta, cache) = policy_forward(&c.policy, x)?;
        let (d_theta, directions) = self.method.monitor_d_theta(c, x, theta.view(), y)?;
        // Each direction's estimate restricted to each group of samples (rows g, g + G, ...).
        let n = x.nrows();
        let g = error_bars::groups_for(directions.len(), n);
        let groups: Vec<Vec<Vec<f64>>> = (0..g)
            .map(|group| {
                directions
                    .iter()
                    .map(|d| {
                        let mut part = d.clone();
                        for (row, mut r) in part.rows_mut().into_iter().enumerate() {
                            if row % g != group {
                                r.fill(0.0);
                            }
                        }
                        c.policy.param_gradient(&cache, part.view())
                    })
                    .collect()
            })
            .collect();
        Ok((
            c.policy.param_gradient(&cache, d_theta.view()),
            error_bars::calibrated_standard_error(&groups, reference_norm),
        ))
    }

    pub(super) fn log(&mut self, wall_ms: f64) -> Result<(), SessionError> {
        let train_loss = self.true_loss(false)?;
        let test_loss = if self.core.data.x_test.nrows() > 0 {
            Some(self.true_loss(true)?)
        } else {
            None
        };
        let (x, y) = self.monitor_batch();
        let (reference, estimate, grad_se) = match self.gradients_on(x.view(), y.view()) {
            Err(SessionError::Eval(e)) if self.core.cfg.skip_failures && !e.is_pending() => {
                self.gradients_where_f_works(x.view(), y.view(), e)?
            }
            r => r?,
        };
        let (rel, cos) = estimate::compare(&estimate, &reference);
        let c = &mut self.core;
        let row = HistoryRow {
            step: c.steps,
            evals: c.bb.learning_evals,
            monitor_evals: c.bb.monitoring_evals,
            wall_ms,
            train_loss,
            test_loss,
            grad_rel_err: rel.is_finite().then_some(rel),
            grad_cos: cos.is_finite().then_some(cos),
            grad_se,
            surrogate_err: crate::methods::surrogate_error(self.method.as_ref()),
            surrogate_grad_err: self.method.surrogate_slope_error(),
        };
        let first = self.history.first().map(|h| h.train_loss);
        self.history.push(row);
        // Next log points: whichever of evaluations or steps comes first.
        let lp = c.cfg.log_points as u64;
        let eval_gap = (c.cfg.budget / lp).max(1);
        let step_gap = if c.cfg.max_steps > 0 {
            (c.cfg.max_steps / lp).max(1)
        } else {
            u64::MAX / 2
        };
        self.marks.next_eval = (c.bb.learning_evals / eval_gap + 1) * eval_gap;
        self.marks.next_step = (c.steps / step_gap + 1) * step_gap;
        self.marks.last_logged_evals = c.bb.learning_evals;
        self.marks.last_logged_step = c.steps;
        if c.done.is_none() {
            if !train_loss.is_finite() {
                c.finish(
                    StopReason::Diverged,
                    "diverged: the training loss is not a finite number; lower the learning rate"
                        .into(),
                );
            } else if let Some(f0) = first {
                if train_loss > DIVERGENCE_FACTOR * f0.max(1e-300) {
                    c.finish(
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
    pub fn step_sweep(&mut self, h_values: &[f64]) -> Result<SweepReport, SessionError> {
        let (x, y) = self.monitor_batch();
        let reference_est = self.reference_estimator();
        let c = &mut self.core;
        let theta = policy_predict(&c.policy, x.view())?;
        let batch = Batch::new(x.view(), theta.view(), y.view());
        let mut grad = |est| -> Result<Vec<f64>, SessionError> {
            Ok(monitored_grad(c, est, batch)?.into_iter().collect())
        };
        let reference = grad(reference_est)?;
        let mut out = Vec::new();
        for &h in h_values
            .iter()
            .filter(|h| h.is_finite() && **h > 0.0 && **h <= 1.0)
        {
            let central = estimate::compare(
                &grad(Estimator::Central {
                    h_rel: h,
                    steps: None,
                })?,
                &reference,
            )
            .0;
            let forward = estimate::compare(
                &grad(Estimator::Forward {
                    h_rel: h,
                    steps: None,
                })?,
                &reference,
            )
            .0;
            out.push([h, central, forward]);
        }
        Ok(SweepReport {
            reference: if c.bb.has_jacobian() {
                "dF"
            } else {
                "richardson"
            },
            defaults: SweepDefaults {
                central: CENTRAL_H_REL,
                forward: FORWARD_H_REL,
            },
            rows: out,
        })
    }

    /// Predicted against observed outputs on the test set (the training set when there
    /// is no test set), with the learned and true theta. Uses monitoring evaluations.
    pub fn fit_report(&mut self) -> Result<FitReport, SessionError> {
        let c = &mut self.core;
        let d = &c.data;
        let (x, y, tt) = if d.x_test.nrows() > 0 {
            (&d.x_test, &d.y_test, &d.theta_test)
        } else {
            (&d.x_train, &d.y_train, &d.theta_train)
        };
        // Every k-th row beyond FIT_MAX_POINTS: the charts show no more, and with 100,000
        // samples F on every test row (and the message that carries them) cost seconds.
        let stride = x.nrows().div_ceil(FIT_MAX_POINTS).max(1);
        let keep: Vec<usize> = (0..x.nrows()).step_by(stride).collect();
        let x = &x.select(Axis(0), &keep);
        let y = &y.select(Axis(0), &keep);
        let tt = tt.as_ref().map(|t| t.select(Axis(0), &keep));
        let theta = policy_predict(&c.policy, x.view())?;
        let pred = c.bb.eval(Purpose::Monitoring, x.view(), theta.view())?;
        let flat = |a: &Array2<f64>| a.iter().copied().collect::<Vec<f64>>();
        Ok(FitReport {
            x_dim: c.cfg.x_dim,
            y_dim: c.cfg.y_dim,
            theta_dim: c.cfg.theta_dim,
            x: flat(x),
            y_true: flat(y),
            y_pred: flat(&pred),
            theta_learned: flat(&theta),
            theta_true: tt.as_ref().map(flat),
        })
    }
}
