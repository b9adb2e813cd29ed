//! Run settings: the JSON a page or a test writes (`RawConfig`, every field optional) and
//! the checked `RunConfig` made from it once, with messages that say what to change.

use crate::nn::Activation;
use crate::optim::OptimizerKind;
use serde::{Deserialize, Serialize};

/// The gradient methods, with their names in configs, links and results (DESIGN.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Method {
    #[serde(rename = "central")]
    Central,
    #[serde(rename = "forward")]
    Forward,
    #[serde(rename = "spsa")]
    Spsa,
    #[serde(rename = "es")]
    Es,
    #[serde(rename = "surrogate")]
    Surrogate,
    #[serde(rename = "joint")]
    Joint,
    #[serde(rename = "guided-es")]
    GuidedEs,
    #[serde(rename = "exact")]
    Exact,
}

impl Method {
    pub const ALL: [Method; 8] = [
        Method::Central,
        Method::Forward,
        Method::Spsa,
        Method::Es,
        Method::Surrogate,
        Method::Joint,
        Method::GuidedEs,
        Method::Exact,
    ];
    pub fn name(self) -> &'static str {
        match self {
            Method::Central => "central",
            Method::Forward => "forward",
            Method::Spsa => "spsa",
            Method::Es => "es",
            Method::Surrogate => "surrogate",
            Method::Joint => "joint",
            Method::GuidedEs => "guided-es",
            Method::Exact => "exact",
        }
    }
    /// The label the page shows.
    pub fn label(self) -> &'static str {
        match self {
            Method::Central => "Central differences",
            Method::Forward => "Forward differences",
            Method::Spsa => "SPSA",
            Method::Es => "Evolution strategies",
            Method::Surrogate => "Surrogate (two-stage)",
            Method::Joint => "Joint surrogate",
            Method::GuidedEs => "Guided ES",
            Method::Exact => "Analytic gradient",
        }
    }
    pub fn from_name(name: &str) -> Option<Method> {
        Method::ALL.into_iter().find(|m| m.name() == name)
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RawProblem {
    pub x_dim: Option<usize>,
    pub theta_dim: Option<usize>,
    pub y_dim: Option<usize>,
    pub x_range: Option<(f64, f64)>,
    pub theta_bounds: Option<Vec<(f64, f64)>>,
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
            source: "generated".into(),
            samples: 256,
            noise: 0.0,
            test_fraction: 0.2,
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
            hidden: vec![32, 32],
            activation: Activation::Tanh,
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
}
impl Default for RawOptimizer {
    fn default() -> Self {
        RawOptimizer {
            kind: OptimizerKind::Adam,
            learning_rate: 0.01,
            batch_size: 32,
            clip: 10.0,
        }
    }
}

/// Per-method settings. Each is documented with its default and where it comes from in
/// the README's method table.
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
    /// Joint surrogate: the fit term updates only rho and the data term only pi.
    pub fit_only_rho: bool,
}
impl Default for MethodSettings {
    fn default() -> Self {
        MethodSettings {
            h_rel: 0.0,
            k: 4,
            sigma: 0.05,
            lambda: 1.0,
            exploration: 0.1,
            rounds: 3,
            collect_share: 0.3,
            surrogate_hidden: vec![64, 64],
            alpha: 0.5,
            fit_only_rho: false,
        }
    }
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
    pub max_steps: u64,
    pub seed: u64,
    pub log_points: usize,
    pub method_settings: MethodSettings,
}
impl Default for RawConfig {
    fn default() -> Self {
        RawConfig {
            method: "central".into(),
            problem: RawProblem::default(),
            data: RawData::default(),
            network: RawNetwork::default(),
            optimizer: RawOptimizer::default(),
            budget: 100_000,
            max_steps: 3000,
            seed: 1,
            log_points: 60,
            method_settings: MethodSettings::default(),
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
    pub activation: Activation,
    pub optimizer: OptimizerKind,
    pub learning_rate: f64,
    pub batch_size: usize,
    pub clip: f64,
    pub budget: u64,
    pub max_steps: u64,
    pub seed: u64,
    pub log_points: usize,
    pub settings: MethodSettings,
}

/// Limits the checks enforce (also the share-link clamp ranges).
pub mod limits {
    pub const MAX_DIM: usize = 256;
    pub const MAX_SAMPLES: usize = 100_000;
    pub const MAX_LAYERS: usize = 8;
    pub const MAX_WIDTH: usize = 512;
    pub const MAX_BATCH: usize = 4096;
    pub const MAX_BUDGET: u64 = 1_000_000_000;
    pub const MAX_STEPS: u64 = 10_000_000;
    pub const MAX_K: usize = 1024;
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

fn check_layers(what: &str, hidden: &[usize]) -> Result<(), ConfigError> {
    use limits::*;
    check(hidden.len() <= MAX_LAYERS, || {
        format!(
            "{what}: at most {MAX_LAYERS} hidden layers, got {}",
            hidden.len()
        )
    })?;
    check(hidden.iter().all(|&w| (1..=MAX_WIDTH).contains(&w)), || {
        format!("{what}: each layer needs 1 to {MAX_WIDTH} units, got {hidden:?}")
    })
}

impl RunConfig {
    pub fn from_json(json: &str) -> Result<RunConfig, ConfigError> {
        let raw: RawConfig = serde_json::from_str(json)
            .map_err(|e| ConfigError(format!("run settings are not valid: {e}")))?;
        RunConfig::from_raw(raw)
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
        let x_dim = dim("xDim", p.x_dim)?;
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
        let d = &raw.data;
        let source = match d.source.as_str() {
            "generated" => DataSource::Generated,
            "csv" => DataSource::Csv(d.csv.clone()),
            other => {
                return Err(ConfigError(format!(
                    "data.source must be \"generated\" or \"csv\", got {other:?}"
                )))
            }
        };
        check((4..=MAX_SAMPLES).contains(&d.samples), || {
            format!("Samples must be 4 to {MAX_SAMPLES}, got {}", d.samples)
        })?;
        check(d.noise.is_finite() && d.noise >= 0.0, || {
            format!("Noise must be a number >= 0, got {}", d.noise)
        })?;
        check((0.0..=0.9).contains(&d.test_fraction), || {
            format!(
                "Test fraction must be between 0 and 0.9, got {}",
                d.test_fraction
            )
        })?;
        check_layers("Hidden layers", &raw.network.hidden)?;
        let o = &raw.optimizer;
        check(
            o.learning_rate.is_finite() && o.learning_rate > 0.0 && o.learning_rate <= 10.0,
            || format!("Learning rate must be in (0, 10], got {}", o.learning_rate),
        )?;
        check((1..=MAX_BATCH).contains(&o.batch_size), || {
            format!("Batch size must be 1 to {MAX_BATCH}, got {}", o.batch_size)
        })?;
        check(o.clip.is_finite() && o.clip >= 0.0, || {
            format!("clip must be >= 0 (0 = off), got {}", o.clip)
        })?;
        check((1..=MAX_BUDGET).contains(&raw.budget), || {
            format!(
                "F-evaluation budget must be 1 to {MAX_BUDGET}, got {}",
                raw.budget
            )
        })?;
        check((1..=MAX_STEPS).contains(&raw.max_steps), || {
            format!("Max steps must be 1 to {MAX_STEPS}, got {}", raw.max_steps)
        })?;
        check((2..=2000).contains(&raw.log_points), || {
            format!("logPoints must be 2 to 2000, got {}", raw.log_points)
        })?;
        let s = &raw.method_settings;
        check(
            s.h_rel.is_finite() && (0.0..=0.5).contains(&s.h_rel),
            || {
                format!(
                    "h must be between 0 (method default) and 0.5, got {}",
                    s.h_rel
                )
            },
        )?;
        check((1..=MAX_K).contains(&s.k), || {
            format!("k must be 1 to {MAX_K}, got {}", s.k)
        })?;
        check(
            s.sigma.is_finite() && s.sigma > 0.0 && s.sigma <= 100.0,
            || format!("sigma must be in (0, 100], got {}", s.sigma),
        )?;
        check(
            s.lambda.is_finite() && (0.0..=1e6).contains(&s.lambda),
            || format!("lambda must be 0 to 1e6, got {}", s.lambda),
        )?;
        check(
            s.exploration.is_finite() && (0.0..=10.0).contains(&s.exploration),
            || format!("exploration must be 0 to 10, got {}", s.exploration),
        )?;
        check((1..=100).contains(&s.rounds), || {
            format!("rounds must be 1 to 100, got {}", s.rounds)
        })?;
        check(s.collect_share > 0.0 && s.collect_share <= 1.0, || {
            format!(
                "collection share must be in (0, 1], got {}",
                s.collect_share
            )
        })?;
        check_layers("Surrogate hidden layers", &s.surrogate_hidden)?;
        check((0.0..=1.0).contains(&s.alpha), || {
            format!("alpha must be 0 to 1, got {}", s.alpha)
        })?;
        Ok(RunConfig {
            method,
            x_dim,
            theta_dim,
            y_dim,
            x_range,
            theta_bounds: p.theta_bounds.clone(),
            source,
            samples: d.samples,
            noise: d.noise,
            test_fraction: d.test_fraction,
            hidden: raw.network.hidden.clone(),
            activation: raw.network.activation,
            optimizer: o.kind,
            learning_rate: o.learning_rate,
            batch_size: o.batch_size,
            clip: o.clip,
            budget: raw.budget,
            max_steps: raw.max_steps,
            seed: raw.seed,
            log_points: raw.log_points,
            settings: s.clone(),
        })
    }

    /// The scale of each theta component: half the bound width, or 1 when unbounded.
    pub fn theta_scale(&self) -> Vec<f64> {
        match &self.theta_bounds {
            Some(b) => b.iter().map(|(lo, hi)| 0.5 * (hi - lo)).collect(),
            None => vec![1.0; self.theta_dim],
        }
    }
}
