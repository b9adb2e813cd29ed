//! Evolution strategies: antithetic Gaussian smoothing (Salimans et al. 2017), unbiased for
//! the gradient of F blurred over sigma.

use super::PlainEstimator;
use crate::config::{DiagnosedSteps, RunConfig};
use crate::estimate::Estimator;

#[derive(Clone)]
pub(crate) struct Es;

impl PlainEstimator for Es {
    fn estimator<'a>(
        &self,
        cfg: &RunConfig,
        _steps: u64,
        scale: &'a [f64],
        _diagnosed: Option<&'a DiagnosedSteps>,
    ) -> Estimator<'a> {
        let s = &cfg.settings;
        Estimator::Es {
            k: s.k,
            sigma: s.sigma,
            scale,
        }
    }
}
