//! The surrogate machinery the surrogate methods share: `F~_rho` (an MLP, `surrogate`) with
//! its smoothed out-of-sample error, measured on rows before it learns from them.

use crate::config::RunConfig;
use crate::data::Dataset;
use crate::estimate;
use crate::surrogate::Surrogate;
use ndarray::{Array2, ArrayView2};
use rand_chacha::ChaCha8Rng;

/// The rows a step evaluated: x, theta and F, as `LossGrad::probes` keeps them.
pub(crate) type Probes = (Array2<f64>, Array2<f64>, Array2<f64>);

/// Surrogate fitting: minibatch rows.
pub(crate) const FIT_BATCH: usize = 64;
/// Guided ES leans on F~ once its out-of-sample error, smoothed over steps, is below this
/// share of F's variance (the joint surrogate's gate is a setting, `jointGate`).
pub const VALID_SURROGATE_ERR: f64 = 0.02;
/// Smoothing of the out-of-sample error across steps.
const ERR_SMOOTHING: f64 = 0.9;

/// A surrogate with its smoothed out-of-sample error.
#[derive(Clone)]
pub(crate) struct Fitted {
    pub(crate) net: Surrogate,
    /// Smoothed error on fresh rows, measured before F~ was fitted on them.
    pub(crate) err: Option<f64>,
    pub(crate) last_mse: f64,
}

impl Fitted {
    pub(crate) fn new(cfg: &RunConfig, data: &Dataset, lr: f64, rng: &mut ChaCha8Rng) -> Fitted {
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
    pub(crate) fn observe(
        &mut self,
        x: ArrayView2<f64>,
        theta: ArrayView2<f64>,
        f: ArrayView2<f64>,
    ) {
        let pred = (self.net.remembered() > 0).then(|| self.net.predict(x, theta));
        self.observe_predicted(pred.as_ref().map(|p| p.view()), x, theta, f);
    }

    /// As `observe`, with F~'s predictions on those rows already made (`None` when F~ has
    /// remembered nothing yet).
    pub(crate) fn observe_predicted(
        &mut self,
        pred: Option<ArrayView2<f64>>,
        x: ArrayView2<f64>,
        theta: ArrayView2<f64>,
        f: ArrayView2<f64>,
    ) {
        if let (true, Some(pred)) = (self.net.remembered() > 0, pred) {
            let e = self.net.error_of(pred, f);
            self.err = Some(match self.err {
                Some(prev) => ERR_SMOOTHING * prev + (1.0 - ERR_SMOOTHING) * e,
                None => e,
            });
        }
        self.net.remember(x, theta, f);
    }

    /// Learns from the probes a step evaluated: their out-of-sample error first, then
    /// `updates` fit updates of `batch` rows (for the methods that fit F~ on their own
    /// probes). `predicted`: F~ on the probes, when the step has made it already.
    pub(crate) fn learn_from_probes(
        &mut self,
        probes: &Probes,
        predicted: Option<&Array2<f64>>,
        (updates, batch): (usize, usize),
        rng: &mut ChaCha8Rng,
    ) {
        let (px, pt, pf) = probes;
        match predicted {
            Some(pred) => {
                self.observe_predicted(Some(pred.view()), px.view(), pt.view(), pf.view())
            }
            None => self.observe(px.view(), pt.view(), pf.view()),
        }
        self.net.follow_output_range();
        self.last_mse = self.net.fit(updates, batch, rng);
    }

    pub(crate) fn validated(&self) -> bool {
        self.err.is_some_and(|e| e < VALID_SURROGATE_ERR)
    }

    /// `J~(x, theta)^T w`: F~'s Jacobian at `theta` applied to residual weights `w`.
    pub(crate) fn chain(
        &self,
        x: ArrayView2<f64>,
        theta: ArrayView2<f64>,
        w: ArrayView2<f64>,
    ) -> Array2<f64> {
        let (_, cache) = self.net.forward(x, theta);
        self.net.backward_theta(&cache, w)
    }

    /// `dL/dtheta` through F~ alone: its Jacobian and its own residual.
    pub(crate) fn surrogate_grad(
        &self,
        x: ArrayView2<f64>,
        theta: ArrayView2<f64>,
        y: ArrayView2<f64>,
    ) -> Array2<f64> {
        let (pred, cache) = self.net.forward(x, theta);
        let (w, _) = estimate::residual_weights(&pred, y);
        self.net.backward_theta(&cache, w.view())
    }
}
