//! Guided ES (Maheswaranathan et al. 2019): ES whose search covariance leans toward the
//! surrogate's gradient, `F~` fitted on the ES probes themselves; plain ES until `F~` is
//! validated on fresh probes.

use super::fitted::{Fitted, FIT_BATCH};
use super::run::{Core, SessionError};
use super::{GradientMethod, MonitoredGrad};
use crate::config::RunConfig;
use crate::data::Dataset;
use crate::estimate::{self, Batch, Estimator};
use crate::problem::Purpose;
use crate::surrogate::SURROGATE_LR;
use ndarray::{Array2, ArrayView2};
use rand_chacha::ChaCha8Rng;

/// Guided ES: fit updates of F~ per step on its probes.
const GUIDED_FIT: usize = 2;
#[derive(Clone)]
pub(crate) struct GuidedEs {
    s: Fitted,
}

impl GuidedEs {
    pub(crate) fn new(cfg: &RunConfig, data: &Dataset, rng_init: &mut ChaCha8Rng) -> GuidedEs {
        GuidedEs {
            s: Fitted::new(cfg, data, SURROGATE_LR, rng_init),
        }
    }

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

    fn train_step(&mut self, core: &mut Core) -> Result<(), SessionError> {
        let b = core.affordable_replicated(2 * core.cfg.settings.k as u64 + 1);
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
        self.s.learn_from_probes(
            probes,
            None,
            (GUIDED_FIT, FIT_BATCH),
            &mut core.rng_surrogate,
        );
        core.apply_policy_gradient(&mb.cache, lg.grad.view());
        Ok(())
    }
}

impl GradientMethod for GuidedEs {
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
        let purpose = Purpose::Monitoring;
        let f = core.bb.eval(purpose, x, theta)?;
        let scale = core.cfg.theta_scale();
        let lg = self.estimate(core, purpose, x, theta, y, f.view(), &scale, false)?;
        Ok((lg.grad, lg.directions))
    }

    fn surrogate(&self) -> Option<&Fitted> {
        Some(&self.s)
    }

    fn clone_box(&self) -> Box<dyn GradientMethod> {
        Box::new(self.clone())
    }
}
