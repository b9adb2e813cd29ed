//! SPSA (Spall 1998): every parameter moves at once along Rademacher directions, so the cost
//! per sample does not grow with theta's dimension; the perturbation decays as
//! `c / (step + 1)^0.101`.

use super::PlainEstimator;
use crate::config::{DiagnosedSteps, RunConfig};
use crate::estimate::Estimator;

/// Spall's recommended decay exponent for the perturbation, `c_k = c / (k + 1)^0.101`.
const SPSA_GAMMA: f64 = 0.101;

#[derive(Clone)]
pub(crate) struct Spsa;

impl PlainEstimator for Spsa {
    fn estimator<'a>(
        &self,
        cfg: &RunConfig,
        steps: u64,
        scale: &'a [f64],
        _diagnosed: Option<&'a DiagnosedSteps>,
    ) -> Estimator<'a> {
        let s = &cfg.settings;
        Estimator::Spsa {
            k: s.k,
            c: s.sigma / ((steps + 1) as f64).powf(SPSA_GAMMA),
            scale,
        }
    }
}
