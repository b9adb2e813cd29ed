//! The analytic gradient: the script's `dF`, `g = J_F^T dL/dF`. The oracle every other method
//! is measured against.

use super::PlainEstimator;
use crate::config::{DiagnosedSteps, RunConfig};
use crate::estimate::Estimator;

#[derive(Clone)]
pub(crate) struct Exact;

impl PlainEstimator for Exact {
    fn estimator<'a>(
        &self,
        _cfg: &RunConfig,
        _steps: u64,
        _scale: &'a [f64],
        _diagnosed: Option<&'a DiagnosedSteps>,
    ) -> Estimator<'a> {
        Estimator::Exact
    }
}
