//! Central and forward differences: one pair (or one extra call) per parameter, column by
//! column, with the step balanced against round-off (Nocedal & Wright, §8.1), or the
//! noise-optimal steps Diagnose F found.

use super::{h_rel, PlainEstimator};
use crate::config::{DiagnosedSteps, RunConfig};
use crate::estimate::{Estimator, CENTRAL_H_REL, FORWARD_H_REL};

/// `(F(t + h e_j) - F(t - h e_j)) / 2h`, `h = cbrt(eps)·max(|t_j|, 1)` by default.
#[derive(Clone)]
pub(crate) struct Central;

impl PlainEstimator for Central {
    fn estimator<'a>(
        &self,
        cfg: &RunConfig,
        _steps: u64,
        _scale: &'a [f64],
        diagnosed: Option<&'a DiagnosedSteps>,
    ) -> Estimator<'a> {
        Estimator::Central {
            h_rel: h_rel(cfg, CENTRAL_H_REL),
            steps: diagnosed.map(|d| d.central.as_slice()),
        }
    }
}

/// `(F(t + h e_j) - F(t)) / h`, `h = sqrt(eps)·max(|t_j|, 1)` by default.
#[derive(Clone)]
pub(crate) struct Forward;

impl PlainEstimator for Forward {
    fn estimator<'a>(
        &self,
        cfg: &RunConfig,
        _steps: u64,
        _scale: &'a [f64],
        diagnosed: Option<&'a DiagnosedSteps>,
    ) -> Estimator<'a> {
        Estimator::Forward {
            h_rel: h_rel(cfg, FORWARD_H_REL),
            steps: diagnosed.map(|d| d.forward.as_slice()),
        }
    }
}
