//! The two-stage surrogate (seed method 2): collect `(x, theta, F)` around the policy, fit
//! `F~_rho` (stopped early on held-out rows), train `NN_pi` through the frozen `F~`; repeat in
//! rounds that grow geometrically, a round ending when theta leaves the region it sampled.

use super::fitted::{Fitted, FIT_BATCH};
use super::run::{policy_predict, rows, Core, SessionError, StopReason};
use super::{eval_keeping_what_works, GradientMethod, MonitoredGrad};
use crate::config::RunConfig;
use crate::data::Dataset;
use crate::nn::Mlp;
use crate::surrogate::SURROGATE_LR;
use ndarray::ArrayView2;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

/// Two-stage: fit updates per call of `step` (keeps chunks short), passes over the rows
/// collected in the round (the update count follows the new data), and bounds on it.
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

impl TwoStage {
    pub(crate) fn new(cfg: &RunConfig, data: &Dataset, rng_init: &mut ChaCha8Rng) -> TwoStage {
        let quotas = round_quotas(cfg.budget, cfg.settings.rounds, cfg.settings.collect_share);
        TwoStage {
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
        }
    }

    fn train_step(&mut self, core: &mut Core) -> Result<(), SessionError> {
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
                    let theta = policy_predict(&core.policy, x.view())?;
                    let mut rng = core.rng_est.clone();
                    let explored = core.explore(&theta, &mut rng);
                    core.rng_est = rng;
                    let (kept, f) = eval_keeping_what_works(core, x.view(), explored.view())?;
                    if kept.len() == x.nrows() {
                        self.keep(x.view(), explored.view(), f.view());
                    } else {
                        let (x, explored) = (rows(&x, &kept), rows(&explored, &kept));
                        self.keep(x.view(), explored.view(), f.view());
                    }
                }
                let left = left - n_rows as u64;
                self.phase = if left == 0 || n_rows == 0 {
                    self.s.net.follow_output_range();
                    // F~ starts from the last round's fit: the updates follow this round's new
                    // rows (batches still drawn from every row), not all rows seen, which made
                    // the work per evaluation grow with the rounds (~190 us at theta 3).
                    let updates = (FIT_EPOCHS * self.collected / FIT_BATCH)
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
                        StopReason::Budget,
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
        let n = self.holdout.1.len() / td.max(1);
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
        let n = t.len() / td.max(1);
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
        let now = policy_predict(&core.policy, x)?;
        let then = policy_predict(anchor, x)?;
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

impl GradientMethod for TwoStage {
    fn step(&mut self, core: &mut Core) -> Result<(), SessionError> {
        self.train_step(core)
    }

    fn next_step_calls_f(&self) -> bool {
        matches!(self.phase, Phase::Collect { .. })
    }

    fn monitor_d_theta(
        &mut self,
        _core: &mut Core,
        x: ArrayView2<f64>,
        theta: ArrayView2<f64>,
        y: ArrayView2<f64>,
    ) -> Result<MonitoredGrad, SessionError> {
        Ok((self.s.surrogate_grad(x, theta, y), Vec::new()))
    }

    fn surrogate(&self) -> Option<&Fitted> {
        Some(&self.s)
    }

    fn clone_box(&self) -> Box<dyn GradientMethod> {
        Box::new(self.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
