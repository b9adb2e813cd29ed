//! What a race summary reads: the runs of a `results.json` (any schema), as the page sends
//! them, with their log points given as JSON or apart as numbers ([`fill_histories`]).

use serde::Deserialize;

/// One logged point of a run (the fields the summary needs).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Point {
    /// The run's step count at this point (absent in files that do not record it).
    pub step: Option<f64>,
    pub evals: f64,
    pub train_loss: Option<f64>,
    pub wall_ms: Option<f64>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RunFinal {
    pub outcome: Option<String>,
    pub stop_reason: Option<String>,
    /// The run's clock and the share of it spent inside F (calls `f_rows`), for the time a
    /// method costs beside its evaluations.
    pub wall_ms: Option<f64>,
    pub f_ms: Option<f64>,
    pub f_rows: Option<f64>,
    pub evals: Option<f64>,
}

/// One run as `results.json` holds it.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Run {
    pub method: String,
    pub repeat: u32,
    pub history: Vec<Point>,
    #[serde(rename = "final")]
    pub last: RunFinal,
    pub error: Option<String>,
}

/// What to summarise: the runs and the convergence rule. With `tau` (Moré and Wild 2009), a
/// run has converged when its training loss is at most `f_L + tau (f_0 - f_L)`, `f_0` its first
/// logged loss and `f_L` the lowest any run of the race logged; without, when it is at most
/// `target` times its first logged loss.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Race {
    pub runs: Vec<Run>,
    #[serde(default = "default_target")]
    pub target: f64,
    #[serde(default)]
    pub tau: Option<f64>,
}

/// Gives `runs` their log points from `points`, `[evals, trainLoss, wallMs]` each, run after
/// run, `counts[i]` of them for run `i` (NaN where a value is missing: no loss or clock, zero
/// evaluations). The page's way in (src/wasm/page.rs `summarize_race`): numbers that cross
/// as a Float64Array keep every bit.
pub fn fill_histories(runs: &mut [Run], counts: &[u32], points: &[f64]) {
    let present = |v: f64| (!v.is_nan()).then_some(v);
    let mut rows = points.chunks_exact(3);
    for (run, &count) in runs.iter_mut().zip(counts) {
        run.history = rows
            .by_ref()
            .take(count as usize)
            .map(|p| Point {
                step: None,
                evals: present(p[0]).unwrap_or(0.0),
                train_loss: present(p[1]),
                wall_ms: present(p[2]),
            })
            .collect();
    }
}

fn default_target() -> f64 {
    crate::settings::default_number("target")
}
