//! ES with the surrogate as control variate (after RELAX/LAX, Grathwohl et al. 2018): ES's
//! probe differences minus `F~`'s for the same probes, plus `F~`'s own smoothed gradient from
//! free probes. Unbiased for the smoothed F whatever `F~` is; low variance where `F~` is good.

use super::fitted::Fitted;
use super::run::{Core, SessionError};
use super::{GradientMethod, MonitoredGrad};
use crate::config::RunConfig;
use crate::data::Dataset;
use crate::estimate::{self, Batch};
use crate::problem::Purpose;
use crate::surrogate::SURROGATE_LR;
use ndarray::ArrayView2;
use rand_chacha::ChaCha8Rng;

/// ES with a surrogate control variate: free surrogate-only antithetic pairs per direction
/// for the smoothed surrogate's gradient (their variance is about 1/MC of ES's).
const CV_MC: usize = 4;
/// Its online estimate of `c = Cov/Var` forgets this share of the past each step.
const CV_DECAY: f64 = 0.8;
/// Its fit updates of F~ per step, and their rows (free of F-evaluations, not of time). What
/// cv-es gains over ES is how well F~ predicts the probes' differences: on the 16-parameter
/// curve (tests/e2e/control-variate.test.mjs) 24 updates of 64 rows gave 0.58 of ES's median
/// gradient error, 48 gave 0.47, 64 gave 0.43. More, smaller updates learn as much for less:
/// natively (`bench --per-evaluation --method cv-es`), 96 updates of 16 rows gave the median
/// gradient error of 64 of 64 (0.108 against 0.109 at theta 3, 0.739 against 0.785 at 40) at
/// 0.71x and 0.76x the time per evaluation (docs/speed.md); on the curve in the page, 0.35 of
/// ES's error against 0.42 (the two builds one after the other).
const CV_FIT: (usize, usize) = (96, 16);

/// ES with F~ as control variate: F~ fitted on the ES probes (as Guided ES), and the running
/// sums that set `c` per component.
#[derive(Clone)]
pub(crate) struct CvEs {
    s: Fitted,
    cov: Vec<f64>,
    var: Vec<f64>,
}

impl CvEs {
    pub(crate) fn new(cfg: &RunConfig, data: &Dataset, rng_init: &mut ChaCha8Rng) -> CvEs {
        CvEs {
            s: Fitted::new(cfg, data, SURROGATE_LR, rng_init),
            cov: vec![0.0; cfg.theta_dim],
            var: vec![0.0; cfg.theta_dim],
        }
    }

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
        let mut surrogate = |x: ArrayView2<f64>, t: ArrayView2<f64>| net.predict(x, t);
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

    fn train_step(&mut self, core: &mut Core) -> Result<(), SessionError> {
        let b = core.affordable_replicated(2 * core.cfg.settings.k as u64 + 1);
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
        // F~ on the probes, as the estimate made it: their out-of-sample error needs no
        // second forward pass.
        self.s.learn_from_probes(
            probes,
            out.probe_predictions.as_ref(),
            CV_FIT,
            &mut core.rng_surrogate,
        );
        core.apply_policy_gradient(&mb.cache, out.lg.grad.view());
        Ok(())
    }
}

impl GradientMethod for CvEs {
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
        let scale = core.cfg.theta_scale();
        let out = self.estimate(
            core,
            Purpose::Monitoring,
            Batch::new(x, theta, y),
            &scale,
            false,
        )?;
        Ok((out.lg.grad, out.lg.directions))
    }

    fn surrogate(&self) -> Option<&Fitted> {
        Some(&self.s)
    }

    fn clone_box(&self) -> Box<dyn GradientMethod> {
        Box::new(self.clone())
    }
}
