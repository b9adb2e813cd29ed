//! The joint surrogate (seed method 3): F at the explored `theta~ = NN(X) + noise` fits `F~`
//! (the fit term of `L*` trains rho only), and pi trains through `F~`'s Jacobian at its own
//! theta with F's true residual carried back from `theta~`. The seed's `L*` taken literally is
//! an option (both terms train pi; it can stall at `F~ = (Y + λF)/(1 + λ)`).

use super::fitted::{Fitted, FIT_BATCH};
use super::run::{rows, Core, SessionError};
use super::{eval_keeping_what_works, GradientMethod, MonitoredGrad};
use crate::config::RunConfig;
use crate::data::Dataset;
use crate::estimate;
use crate::problem::Purpose;
use crate::surrogate::{Surrogate, SURROGATE_LR};
use ndarray::{Array2, ArrayView2};
use rand_chacha::ChaCha8Rng;

/// The joint surrogate's gate opens anyway once this share of the budget went into warming
/// F~ up (with a note).
const WARMUP_BUDGET_SHARE: f64 = 0.2;
/// Joint surrogate: replay updates of F~ per step, on earlier rows (free of F-evaluations).
const JOINT_REPLAY: usize = 2;
/// Rows of each replay update.
const JOINT_REPLAY_BATCH: usize = 32;
/// Smoothing of the slope error across steps (as the value error's).
const SLOPE_SMOOTHING: f64 = 0.9;

/// Per x: its last two rows `(when, theta, F)`, the newest last.
type Seen = std::collections::HashMap<Vec<u64>, Vec<(u64, Vec<f64>, Vec<f64>)>>;

#[derive(Clone)]
pub(crate) struct Joint {
    s: Fitted,
    /// pi trains once F~ is validated (or the warm-up share of the budget is spent).
    training_pi: bool,
    /// The explored theta and F seen at each x (by its bits), with when (learning evaluations
    /// before that step): a fresh row at the same x makes a pair whose difference checks F~'s
    /// slope, with no extra F-evaluation. Shared, not copied, by snapshots: a step undone and
    /// taken again writes the same row, and reads only rows of earlier steps.
    seen: std::rc::Rc<std::cell::RefCell<Seen>>,
    /// F~'s smoothed slope error: over pairs at the same x, `‖ΔF − ΔF~‖² / ‖ΔF‖²`, measured
    /// before F~ learns the fresh rows. pi trains through F~'s Jacobian, so this, not the
    /// value error alone, says whether that Jacobian can be trusted.
    slope_err: Option<f64>,
}

impl Joint {
    /// What the gate judges F~ by: the larger of its value and slope errors.
    fn validation_error(&self) -> Option<f64> {
        match (self.s.err, self.slope_err) {
            (Some(v), Some(d)) => Some(v.max(d)),
            (v, d) => v.or(d),
        }
    }

    /// Pairs the fresh rows with rows of earlier steps at the same x and measures F~'s
    /// differences against F's (`pred`: F~ at the fresh rows, when it has learnt anything);
    /// then remembers the fresh rows (`now`: the learning evaluations before this step).
    fn check_slopes(
        &mut self,
        x: ArrayView2<f64>,
        theta: ArrayView2<f64>,
        f: ArrayView2<f64>,
        pred: Option<ArrayView2<f64>>,
        now: u64,
    ) {
        let key = |i: usize| x.row(i).iter().map(|v| v.to_bits()).collect::<Vec<u64>>();
        let mut seen = self.seen.borrow_mut();
        let pairs: Vec<(usize, Vec<f64>, Vec<f64>)> = (0..x.nrows())
            .filter_map(|i| {
                let rows = seen.get(&key(i))?;
                let (_, t, fv) = rows.iter().rev().find(|r| r.0 < now)?;
                Some((i, t.clone(), fv.clone()))
            })
            .collect();
        if let (false, Some(p_after)) = (pairs.is_empty(), pred) {
            let n = pairs.len();
            let xs = Array2::from_shape_fn((n, x.ncols()), |(r, j)| x[[pairs[r].0, j]]);
            let before = Array2::from_shape_fn((n, theta.ncols()), |(r, j)| pairs[r].1[j]);
            let p_before = self.s.net.predict(xs.view(), before.view());
            let (mut miss, mut size) = (0.0, 0.0);
            for (r, (i, _, f_before)) in pairs.iter().enumerate() {
                for (m, fb) in f_before.iter().enumerate() {
                    let d = f[[*i, m]] - fb;
                    miss += (d - (p_after[[*i, m]] - p_before[[r, m]])).powi(2);
                    size += d * d;
                }
            }
            if size > 0.0 && miss.is_finite() {
                let e = miss / size;
                self.slope_err = Some(match self.slope_err {
                    Some(prev) => SLOPE_SMOOTHING * prev + (1.0 - SLOPE_SMOOTHING) * e,
                    None => e,
                });
            }
        }
        for i in 0..x.nrows() {
            let rows = seen.entry(key(i)).or_default();
            let row = (now, theta.row(i).to_vec(), f.row(i).to_vec());
            match rows.last_mut() {
                Some(last) if last.0 == now => *last = row,
                _ => rows.push(row),
            }
            if rows.len() > 2 {
                rows.remove(0);
            }
        }
    }

    pub(crate) fn new(cfg: &RunConfig, data: &Dataset, rng_init: &mut ChaCha8Rng) -> Joint {
        // rho learns at least as fast as pi.
        Joint {
            s: Fitted::new(cfg, data, SURROGATE_LR.max(cfg.learning_rate), rng_init),
            training_pi: false,
            seen: Default::default(),
            slope_err: None,
        }
    }

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
        // One forward pass at theta serves the carried value and the Jacobian product.
        let (at_theta, cache) = net.forward(x, theta);
        let at_explored = net.predict(x, explored);
        let carried = &f.to_owned() + &at_theta - &at_explored;
        let (w, _) = estimate::residual_weights(&carried, y);
        net.backward_theta(&cache, w.view())
    }

    fn train_step(&mut self, core: &mut Core) -> Result<(), SessionError> {
        let b = core.affordable_replicated(1);
        if b == 0 {
            return Ok(());
        }
        let mb = core.minibatch(b)?;
        let mut rng = core.rng_est.clone();
        let explored = core.explore(&mb.theta, &mut rng);
        core.rng_est = rng;
        // With "When F fails: skip the sample", the step goes on with the samples where F
        // works; the others get no gradient.
        let (kept, f) = eval_keeping_what_works(core, mb.x.view(), explored.view())?;
        if kept.is_empty() {
            return Ok(()); // every sample failed: the next step draws a new minibatch
        }
        let part = (kept.len() < mb.x.nrows()).then(|| {
            let r = |a: &Array2<f64>| rows(a, &kept);
            (r(&mb.x), r(&mb.theta), r(&mb.y), r(&explored))
        });
        let (x, theta, y, explored) = match &part {
            Some((x, t, y, e)) => (x.view(), t.view(), y.view(), e.view()),
            None => (mb.x.view(), mb.theta.view(), mb.y.view(), explored.view()),
        };
        let apply = |core: &mut Core, d: Array2<f64>| match &part {
            Some(_) => {
                let mut all = Array2::zeros(mb.theta.raw_dim());
                for (row, &i) in d.rows().into_iter().zip(&kept) {
                    all.row_mut(i).assign(&row);
                }
                core.apply_policy_gradient(&mb.cache, all.view());
            }
            None => core.apply_policy_gradient(&mb.cache, d.view()),
        };
        let st = core.cfg.settings.clone();
        if st.literal_loss {
            let net = &mut self.s.net;
            net.remember(x, explored, f.view());
            let (g_rho, d_theta) =
                literal_gradients(net, x, explored, f.view(), y, st.lambda, st.fit_only_rho);
            net.apply_gradient(&g_rho);
            self.s.last_mse = net.fit(1, FIT_BATCH, &mut core.rng_surrogate);
            apply(core, d_theta);
            return Ok(());
        }
        // F~ is judged on this fresh batch before it learns from it, values and slopes, and
        // then learns from it: one forward pass at the explored rows serves all three.
        let now = core.bb.learning_evals - f.nrows() as u64;
        let (pred, cache) = self.s.net.forward(x, explored);
        let learnt = self.s.net.remembered() > 0;
        let seen = learnt.then(|| pred.view());
        self.check_slopes(x, explored, f.view(), seen, now);
        self.s.observe_predicted(seen, x, explored, f.view());
        let net = &mut self.s.net;
        net.follow_output_range();
        net.fit_predicted(&cache, pred.view(), f.view());
        self.s.last_mse = net.fit(JOINT_REPLAY, JOINT_REPLAY_BATCH, &mut core.rng_surrogate);
        if !self.training_pi {
            let warmup = (WARMUP_BUDGET_SHARE * core.cfg.budget as f64) as u64;
            let gate = core.cfg.settings.joint_gate;
            if gate == 0.0 || self.validation_error().is_some_and(|e| e < gate) {
                self.training_pi = true;
            } else if core.bb.learning_evals >= warmup {
                self.training_pi = true;
                core.notes.push(format!(
                    "F~ was not yet validated after {} F-evaluations (out-of-sample error of its values and slopes {:.3}, wanted below {gate}); pi trains through it anyway",
                    core.bb.learning_evals,
                    self.validation_error().unwrap_or(f64::NAN)
                ));
            }
        }
        if self.training_pi {
            let d = self.d_theta(&core.cfg, x, theta, explored, f.view(), y);
            apply(core, d);
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
        let g_rho = net.backward_rho(&sc, d_fit.view());
        let d_theta = net.backward_theta(&sc, d_data.view());
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

impl GradientMethod for Joint {
    fn step(&mut self, core: &mut Core) -> Result<(), SessionError> {
        self.train_step(core)
    }

    fn monitor_d_theta(
        &mut self,
        core: &mut Core,
        x: ArrayView2<f64>,
        theta: ArrayView2<f64>,
        y: ArrayView2<f64>,
    ) -> Result<MonitoredGrad, SessionError> {
        let mut rng = core.rng_monitor.clone();
        let explored = core.explore(&theta.to_owned(), &mut rng);
        core.rng_monitor = rng;
        let f = core.bb.eval(Purpose::Monitoring, x, explored.view())?;
        let d = self.d_theta(&core.cfg, x, theta, explored.view(), f.view(), y);
        Ok((d, Vec::new()))
    }

    fn surrogate(&self) -> Option<&Fitted> {
        Some(&self.s)
    }

    fn surrogate_slope_error(&self) -> Option<f64> {
        self.slope_err
    }

    fn clone_box(&self) -> Box<dyn GradientMethod> {
        Box::new(self.clone())
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
}
