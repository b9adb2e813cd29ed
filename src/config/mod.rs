//! Run settings: the JSON a page or a test writes (`RawConfig`, every field optional) and
//! the checked `RunConfig` made from it once, with messages that say what to change.

use crate::nn::Activation;
use crate::optim::OptimizerKind;
use crate::settings::{self, Kind, Setting};

mod complete;
pub use crate::methods::registry::{Method, MethodInfo};
pub use complete::{complete, probe_point};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RawProblem {
    pub x_dim: Option<usize>,
    pub theta_dim: Option<usize>,
    pub y_dim: Option<usize>,
    pub x_range: Option<(f64, f64)>,
    pub theta_bounds: Option<Vec<(f64, f64)>>,
    /// Calibration (xDim 0): where theta starts (else 0, moved into the bounds).
    pub theta0: Option<Vec<f64>>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RawData {
    /// "generated" (from thetaTrue) or "csv".
    pub source: String,
    pub samples: usize,
    pub noise: f64,
    pub test_fraction: f64,
    pub csv: String,
}
impl Default for RawData {
    fn default() -> Self {
        RawData {
            source: choice("data.source").into(),
            samples: whole("data.samples") as usize,
            noise: settings::default_number("data.noise"),
            test_fraction: settings::default_number("data.testFraction"),
            csv: String::new(),
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RawNetwork {
    pub hidden: Vec<usize>,
    pub activation: Activation,
}
impl Default for RawNetwork {
    fn default() -> Self {
        RawNetwork {
            hidden: layers("network.hidden"),
            activation: from_choice("network.activation"),
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RawOptimizer {
    pub kind: OptimizerKind,
    pub learning_rate: f64,
    pub batch_size: usize,
    /// Global gradient-norm clip; 0 disables.
    pub clip: f64,
    /// A method's own learning rate, by method name, in place of `learning_rate`.
    pub method_rates: BTreeMap<String, f64>,
}
impl Default for RawOptimizer {
    fn default() -> Self {
        RawOptimizer {
            kind: from_choice("optimizer.kind"),
            learning_rate: settings::default_number("optimizer.learningRate"),
            batch_size: whole("optimizer.batchSize") as usize,
            clip: settings::default_number("optimizer.clip"),
            method_rates: BTreeMap::new(),
        }
    }
}

/// Per-method settings. Their labels, defaults and ranges are in `settings::SETTINGS`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MethodSettings {
    /// Relative finite-difference step; 0 = the method's default (`cbrt(eps)` central,
    /// `sqrt(eps)` forward).
    pub h_rel: f64,
    /// Directions (SPSA) or antithetic pairs (ES, guided ES) per sample and step.
    pub k: usize,
    /// Perturbation size: ES smoothing sigma and SPSA's c.
    pub sigma: f64,
    /// Joint surrogate: weight of the fit term `‖F~ - F‖²`.
    pub lambda: f64,
    /// Surrogate methods: std of the exploration noise added to theta, relative to the
    /// theta scale (half the bound width, or 1).
    pub exploration: f64,
    /// Two-stage surrogate: collect-fit-train rounds.
    pub rounds: usize,
    /// Two-stage surrogate: share of the budget collected in the first round.
    pub collect_share: f64,
    /// Surrogate network's hidden layers.
    pub surrogate_hidden: Vec<usize>,
    /// Guided ES: weight of the full space against the surrogate-gradient subspace.
    pub alpha: f64,
    /// Joint surrogate: pi trains once F~'s out-of-sample error is below this share of F's
    /// variance (0: from the first step).
    pub joint_gate: f64,
    /// Joint surrogate: the seed's L* taken literally (both terms train pi and rho).
    pub literal_loss: bool,
    /// Joint surrogate with the literal loss: the fit term updates only rho and the data
    /// term only pi.
    pub fit_only_rho: bool,
    /// Central and forward differences take the diagnosis's noise-optimal steps.
    pub auto_step: bool,
    /// Those steps (from the page's last diagnosis; never in a link).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diagnosed_steps: Option<DiagnosedSteps>,
}

/// Absolute finite-difference steps per theta component from a diagnosis (0: none found,
/// the method's default step applies to that component).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DiagnosedSteps {
    pub central: Vec<f64>,
    pub forward: Vec<f64>,
}
impl Default for MethodSettings {
    fn default() -> Self {
        let n = |k: &str| settings::default_number(&format!("methodSettings.{k}"));
        MethodSettings {
            h_rel: n("hRel"),
            k: n("k") as usize,
            sigma: n("sigma"),
            lambda: n("lambda"),
            exploration: n("exploration"),
            rounds: n("rounds") as usize,
            collect_share: n("collectShare"),
            surrogate_hidden: layers("methodSettings.surrogateHidden"),
            alpha: n("alpha"),
            joint_gate: n("jointGate"),
            literal_loss: flag("methodSettings.literalLoss"),
            fit_only_rho: flag("methodSettings.fitOnlyRho"),
            auto_step: flag("methodSettings.autoStep"),
            diagnosed_steps: None,
        }
    }
}

fn whole(path: &str) -> u64 {
    settings::default_number(path) as u64
}
fn layers(path: &str) -> Vec<usize> {
    match settings::get(path).kind {
        Kind::Layers { default } => default.to_vec(),
        k => panic!("{path} is not layers: {k:?}"),
    }
}
fn choice(path: &str) -> &'static str {
    match settings::get(path).kind {
        Kind::Choice { default, .. } => default,
        k => panic!("{path} is not a choice: {k:?}"),
    }
}
fn flag(path: &str) -> bool {
    match settings::get(path).kind {
        Kind::Flag { default } => default,
        k => panic!("{path} is not a flag: {k:?}"),
    }
}
/// An enum setting's default, read through its serde name (the table's option value).
fn from_choice<T: serde::de::DeserializeOwned>(path: &str) -> T {
    serde_json::from_value(serde_json::Value::from(choice(path)))
        .unwrap_or_else(|e| panic!("{path}'s default is not a value of its type: {e}"))
}

/// Settings of one run as written (JSON, camelCase). Missing fields take defaults.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RawConfig {
    pub method: String,
    pub problem: RawProblem,
    pub data: RawData,
    pub network: RawNetwork,
    pub optimizer: RawOptimizer,
    pub budget: u64,
    /// 0: no step cap (the budget ends the run).
    pub max_steps: u64,
    pub seed: u64,
    /// The seed of the data stream; `None`: `seed`. Repeats of a race share the data.
    pub data_seed: Option<u64>,
    /// Runs per method the page makes (seed, seed + 1, ...); one session is one of them.
    pub repeats: u64,
    /// "stop" or "skip": what a training step does when F fails for some samples.
    pub on_failure: String,
    /// Tune the learning rate with pilot runs first.
    pub tune: bool,
    /// Share of the budget all pilots of one run spend together.
    pub tune_share: f64,
    pub log_points: usize,
    /// Fraction of the first logged loss a run must reach to have "reached" the target.
    pub target: f64,
    /// The race's convergence rule: a level τ ("0.1", "0.01", "0.001") relative to the race's
    /// best loss, or "start" for the fixed `target` (`race::Rule`).
    pub convergence: String,
    pub method_settings: MethodSettings,
    /// A network (`weights.json`'s format) the policy starts from instead of a random one
    /// (the page's "Load weights"; never in a link).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub initial_weights: Option<serde_json::Value>,
}
impl Default for RawConfig {
    fn default() -> Self {
        RawConfig {
            method: Method::Central.name().into(),
            problem: RawProblem::default(),
            data: RawData::default(),
            network: RawNetwork::default(),
            optimizer: RawOptimizer::default(),
            budget: whole("budget"),
            max_steps: whole("maxSteps"),
            seed: whole("seed"),
            data_seed: None,
            repeats: whole("repeats"),
            on_failure: choice("onFailure").into(),
            tune: flag("tune"),
            tune_share: settings::default_number("tuneShare"),
            log_points: whole("logPoints") as usize,
            target: settings::default_number("target"),
            convergence: choice("convergence").into(),
            method_settings: MethodSettings::default(),
            initial_weights: None,
        }
    }
}

/// Where the data come from.
#[derive(Clone, Debug, PartialEq)]
pub enum DataSource {
    Generated,
    Csv(String),
}

/// Checked settings of one run.
#[derive(Clone, Debug)]
pub struct RunConfig {
    pub method: Method,
    /// 0 in calibration mode: theta is learned directly (`calibration`).
    pub x_dim: usize,
    pub theta_dim: usize,
    pub y_dim: usize,
    pub x_range: (f64, f64),
    pub theta_bounds: Option<Vec<(f64, f64)>>,
    pub source: DataSource,
    pub samples: usize,
    pub noise: f64,
    pub test_fraction: f64,
    pub hidden: Vec<usize>,
    /// Calibration: where theta starts (`None`: 0 moved into the bounds).
    pub theta0: Option<Vec<f64>>,
    pub activation: Activation,
    pub optimizer: OptimizerKind,
    /// The method's own rate when it has one, else the shared rate.
    pub learning_rate: f64,
    pub batch_size: usize,
    pub clip: f64,
    pub budget: u64,
    /// 0: no step cap.
    pub max_steps: u64,
    pub seed: u64,
    /// The seed of the data (train/test split, noise, generated X).
    pub data_seed: u64,
    /// Drop the samples where F fails from a step instead of ending the run.
    pub skip_failures: bool,
    pub tune: bool,
    pub tune_share: f64,
    pub log_points: usize,
    pub target: f64,
    pub settings: MethodSettings,
    /// The network the policy starts from (`None`: a random one from the seed).
    pub initial_weights: Option<serde_json::Value>,
}

/// Limits of the problem's shape (the script's `problem` object).
pub mod limits {
    pub const MAX_DIM: usize = 256;
}

#[derive(Debug, thiserror::Error, PartialEq)]
#[error("{0}")]
pub struct ConfigError(pub String);

fn check(ok: bool, msg: impl FnOnce() -> String) -> Result<(), ConfigError> {
    if ok {
        Ok(())
    } else {
        Err(ConfigError(msg()))
    }
}

impl RunConfig {
    pub fn from_json(json: &str) -> Result<RunConfig, ConfigError> {
        let raw: RawConfig = serde_json::from_str(json)
            .map_err(|e| ConfigError(format!("run settings are not valid: {e}")))?;
        RunConfig::from_raw(raw)
    }

    /// Checks every setting of `raw` against `table` (`settings::SETTINGS`; tests pass an
    /// edited copy to show that the checks and their messages follow the table).
    pub fn check_settings(table: &[Setting], raw: &RawConfig) -> Result<(), ConfigError> {
        let v = serde_json::to_value(raw).map_err(|e| ConfigError(e.to_string()))?;
        settings::check_all(table, &v).map_err(ConfigError)
    }

    pub fn from_raw(raw: RawConfig) -> Result<RunConfig, ConfigError> {
        use limits::*;
        let method = Method::from_name(&raw.method).ok_or_else(|| {
            let names: Vec<_> = Method::ALL.iter().map(|m| m.name()).collect();
            ConfigError(format!(
                "unknown method {:?}; use one of {}",
                raw.method,
                names.join(", ")
            ))
        })?;
        let p = &raw.problem;
        let dim = |name: &str, v: Option<usize>| -> Result<usize, ConfigError> {
            let v = v.ok_or_else(|| {
                ConfigError(format!(
                    "problem.{name} is missing: set it in the script's `problem` object"
                ))
            })?;
            check((1..=MAX_DIM).contains(&v), || {
                format!("problem.{name} must be 1 to {MAX_DIM}, got {v}")
            })?;
            Ok(v)
        };
        let x_dim = match p.x_dim {
            // Calibration: theta is learned directly, with no x.
            Some(0) => 0,
            v => dim("xDim", v)?,
        };
        let theta_dim = dim("thetaDim", p.theta_dim)?;
        let y_dim = dim("yDim", p.y_dim)?;
        let x_range = p.x_range.unwrap_or((-1.0, 1.0));
        check(
            x_range.0.is_finite() && x_range.1.is_finite() && x_range.0 < x_range.1,
            || {
                format!(
                    "problem.xRange must be [lo, hi] with lo < hi, got [{}, {}]",
                    x_range.0, x_range.1
                )
            },
        )?;
        if let Some(b) = &p.theta_bounds {
            check(b.len() == theta_dim, || {
                format!("problem.thetaBounds has {} pairs; it needs one [lo, hi] per theta component ({theta_dim})", b.len())
            })?;
            for (j, (lo, hi)) in b.iter().enumerate() {
                check(lo.is_finite() && hi.is_finite() && lo < hi, || {
                    format!(
                        "problem.thetaBounds[{j}] must be [lo, hi] with lo < hi, got [{lo}, {hi}]"
                    )
                })?;
            }
        }
        let theta0 = match (&p.theta0, x_dim) {
            (Some(t0), 0) => {
                check(t0.len() == theta_dim, || {
                    format!("problem.theta0 has {} numbers; it needs one per theta component ({theta_dim})", t0.len())
                })?;
                for (j, v) in t0.iter().enumerate() {
                    let inside = match &p.theta_bounds {
                        Some(b) => b[j].0 < *v && *v < b[j].1,
                        None => v.is_finite(),
                    };
                    check(inside, || {
                        format!("problem.theta0[{j}] = {v} must be a finite number strictly inside thetaBounds[{j}]")
                    })?;
                }
                Some(t0.clone())
            }
            _ => None,
        };
        Self::check_settings(settings::SETTINGS, &raw)?;
        let s = &raw.method_settings;
        if s.auto_step && matches!(method, Method::Central | Method::Forward) {
            let fits = s.diagnosed_steps.as_ref().is_some_and(|d| {
                d.central.len() == theta_dim
                    && d.forward.len() == theta_dim
                    && d.central
                        .iter()
                        .chain(&d.forward)
                        .all(|h| h.is_finite() && *h >= 0.0)
            });
            check(fits, || {
                format!("{} is on, but there is no diagnosis of this problem's {theta_dim} parameters: press Diagnose F first, or untick it", settings::get("methodSettings.autoStep").label)
            })?;
        }
        let d = &raw.data;
        let source = match d.source.as_str() {
            "csv" => DataSource::Csv(d.csv.clone()),
            _ => DataSource::Generated,
        };
        let o = &raw.optimizer;
        let s = &raw.method_settings;
        Ok(RunConfig {
            method,
            x_dim,
            theta_dim,
            y_dim,
            x_range,
            theta_bounds: p.theta_bounds.clone(),
            source,
            // Calibration: one observation of F's outputs (or of their residuals), all of it
            // for training; theta is the output layer's bias, with no hidden layer.
            samples: if x_dim == 0 { 1 } else { d.samples },
            noise: d.noise,
            test_fraction: if x_dim == 0 { 0.0 } else { d.test_fraction },
            hidden: if x_dim == 0 {
                Vec::new()
            } else {
                raw.network.hidden.clone()
            },
            theta0,
            activation: raw.network.activation,
            optimizer: o.kind,
            learning_rate: o
                .method_rates
                .get(method.name())
                .copied()
                .unwrap_or(o.learning_rate),
            batch_size: o.batch_size,
            clip: o.clip,
            budget: raw.budget,
            max_steps: raw.max_steps,
            seed: raw.seed,
            data_seed: raw.data_seed.unwrap_or(raw.seed),
            skip_failures: raw.on_failure == "skip",
            tune: raw.tune,
            tune_share: raw.tune_share,
            log_points: raw.log_points,
            target: raw.target,
            settings: s.clone(),
            initial_weights: raw.initial_weights.clone(),
        })
    }

    /// Calibration mode (xDim 0): theta is one vector, learned directly.
    pub fn calibration(&self) -> bool {
        self.x_dim == 0
    }

    /// Where a calibration starts: `theta0`, else 0 moved into the bounds (their middle when
    /// 0 lies outside them).
    pub fn theta_start(&self) -> Vec<f64> {
        match (&self.theta0, &self.theta_bounds) {
            (Some(t), _) => t.clone(),
            (None, Some(b)) => b
                .iter()
                .map(|(lo, hi)| {
                    if *lo < 0.0 && 0.0 < *hi {
                        0.0
                    } else {
                        0.5 * (lo + hi)
                    }
                })
                .collect(),
            (None, None) => vec![0.0; self.theta_dim],
        }
    }

    /// The scale of each theta component: half the bound width, or 1 when unbounded.
    pub fn theta_scale(&self) -> Vec<f64> {
        match &self.theta_bounds {
            Some(b) => b.iter().map(|(lo, hi)| 0.5 * (hi - lo)).collect(),
            None => vec![1.0; self.theta_dim],
        }
    }
}
