//! What a run reports: its history rows, why it stopped, how it came out, and the typed
//! status, fit and step-size-sweep reports the page reads as JSON.

use crate::methods::run::StopReason;
use serde::Serialize;

/// Field names of a history row, in `HistoryRow::to_array` order (also `results.json`).
pub const HISTORY_FIELDS: [&str; 11] = [
    "step",
    "evals",
    "monitorEvals",
    "wallMs",
    "trainLoss",
    "testLoss",
    "gradRelErr",
    "gradCos",
    "surrogateErr",
    "gradSE",
    "surrogateGradErr",
];

#[derive(Clone, Debug, PartialEq)]
pub struct HistoryRow {
    pub step: u64,
    pub evals: u64,
    pub monitor_evals: u64,
    pub wall_ms: f64,
    pub train_loss: f64,
    pub test_loss: Option<f64>,
    pub grad_rel_err: Option<f64>,
    pub grad_cos: Option<f64>,
    /// Surrogate methods: F~'s error on rows it had not been fitted on (mean squared, in
    /// units of F's spread), the number the joint surrogate waits on before training pi.
    pub surrogate_err: Option<f64>,
    /// Stochastic methods: the standard error of the method's `dL/dpi` (from the spread of
    /// its k directions) relative to the reference's norm, as `grad_rel_err` is, calibrated
    /// so that `grad_rel_err <= 1.96 grad_se` about 95% of the time (`crate::error_bars`);
    /// `None` for deterministic methods.
    pub grad_se: Option<f64>,
    /// The joint surrogate: F~'s error on slopes, `‖ΔF − ΔF~‖² / ‖ΔF‖²` over pairs of rows
    /// at the same x it had not been fitted on (smoothed over steps).
    pub surrogate_grad_err: Option<f64>,
}

impl HistoryRow {
    /// The row as numbers (`None` as NaN), in `HISTORY_FIELDS` order.
    pub fn to_array(&self) -> [f64; 11] {
        let o = |v: Option<f64>| v.unwrap_or(f64::NAN);
        [
            self.step as f64,
            self.evals as f64,
            self.monitor_evals as f64,
            self.wall_ms,
            self.train_loss,
            o(self.test_loss),
            o(self.grad_rel_err),
            o(self.grad_cos),
            o(self.surrogate_err),
            o(self.grad_se),
            o(self.surrogate_grad_err),
        ]
    }
}

/// How a run came out, judged on its logged training loss. The page shows it with a mark
/// and [`Outcome::why`] for every method.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Outcome {
    /// Ended at or below the target fraction of its first logged loss.
    Reached,
    /// Never moved: its last logged loss equals its first (finite differences on a flat F).
    Stalled,
    /// Ended below its start without reaching the target.
    Improved,
    /// Ended above its first logged loss.
    Worse,
    Diverged,
    /// F or the method failed.
    Failed,
    /// Stopped by the user before reaching the target.
    Stopped,
}

impl Outcome {
    /// Judges a run from its stop reason and its first, lowest and last logged losses: on
    /// where it ended, not where it passed (the lowest is reported beside).
    pub fn judge(
        stop: Option<StopReason>,
        first: f64,
        _best: f64,
        last: f64,
        target: f64,
    ) -> Outcome {
        match stop {
            Some(StopReason::Error) => Outcome::Failed,
            Some(StopReason::Diverged) => Outcome::Diverged,
            _ if last == first => Outcome::Stalled,
            // NaN counts as worse.
            _ if last.partial_cmp(&first) != Some(std::cmp::Ordering::Less) => Outcome::Worse,
            _ if last <= target * first => Outcome::Reached,
            Some(StopReason::Stopped) => Outcome::Stopped,
            _ => Outcome::Improved,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Outcome::Reached => "reached",
            Outcome::Stalled => "stalled",
            Outcome::Improved => "improved",
            Outcome::Worse => "worse",
            Outcome::Diverged => "diverged",
            Outcome::Failed => "failed",
            Outcome::Stopped => "stopped",
        }
    }

    /// One line of why, for the results table.
    pub fn why(self, first: f64, best: f64, last: f64, target: f64) -> String {
        let pct = |v: f64| format!("{:.3}%", 100.0 * v / first);
        match self {
            Outcome::Reached => format!(
                "ended at {} of its start, within the target ({}); lowest {}",
                pct(last),
                pct(target * first),
                pct(best)
            ),
            Outcome::Stalled => format!(
                "never moved: its last loss equals its first ({last:.10e}); F may be flat at the step sizes used"
            ),
            Outcome::Improved => format!(
                "ended at {} of its start, short of the target {}; lowest {}",
                pct(last),
                pct(target * first),
                pct(best)
            ),
            Outcome::Worse => format!("ended above its start: {} of it", pct(last)),
            Outcome::Diverged => "diverged: the loss blew up or became NaN".into(),
            Outcome::Failed => "F or the method failed: see the error".into(),
            Outcome::Stopped => format!("stopped at {} of its start", pct(last)),
        }
    }
}

/// The status a worker sends with every chunk (JSON camelCase).
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Status {
    pub method: &'static str,
    pub steps: u64,
    pub evals: u64,
    pub monitor_evals: u64,
    pub jacobian_evals: u64,
    pub budget: u64,
    pub max_steps: u64,
    /// The learning rate the run trains with (its own, the shared one, or the tuned one).
    pub learning_rate: f64,
    /// Samples dropped from steps because F failed there.
    pub skipped: u64,
    pub done: bool,
    pub stop_reason: Option<&'static str>,
    pub message: Option<String>,
    pub error: Option<String>,
    pub notes: Vec<String>,
    pub wall_ms: f64,
    pub surrogate_mse: Option<f64>,
    /// Set once the run has ended and logged at least once.
    pub outcome: Option<&'static str>,
    pub outcome_why: Option<String>,
}

/// Test rows a fit report covers at most (every k-th beyond): what its charts can show.
pub const FIT_MAX_POINTS: usize = 2000;

/// Predicted against observed outputs for the fit chart.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FitReport {
    pub x_dim: usize,
    pub y_dim: usize,
    pub theta_dim: usize,
    pub x: Vec<f64>,
    pub y_true: Vec<f64>,
    pub y_pred: Vec<f64>,
    pub theta_learned: Vec<f64>,
    pub theta_true: Option<Vec<f64>>,
}

/// Default steps of the finite-difference methods, as the sweep chart marks them.
#[derive(Clone, Debug, Serialize)]
pub struct SweepDefaults {
    pub central: f64,
    pub forward: f64,
}

/// Error of central and forward differences against the relative step: `rows` are
/// `[h, central, forward]`.
#[derive(Clone, Debug, Serialize)]
pub struct SweepReport {
    /// "dF" or "richardson".
    pub reference: &'static str,
    pub defaults: SweepDefaults,
    pub rows: Vec<[f64; 3]>,
}
