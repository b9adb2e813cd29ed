//! Every setting a person can change, written once: where it sits in the run settings JSON
//! (`path`), the page's input id and label, its default, its range, its unit and a line of
//! help. `RunConfig`'s checks and messages, the page's fields and checks (through the
//! generated `www/schema.js`) and the share-link codec's current reader and writer all read
//! this table. Version 1 links keep their own frozen defaults (`share::v1`), on purpose.

use serde_json::Value;

/// `Number.MAX_SAFE_INTEGER`: the largest seed a page (and a link) keeps exactly.
pub const MAX_SEED: u64 = (1 << 53) - 1;
/// Network shape limits (both networks).
pub const MAX_LAYERS: usize = 8;
pub const MAX_WIDTH: usize = 512;

/// A number setting's default and range: `[min, max]` (`(min, max]` when `min_exclusive`),
/// whole when `int`. `optional`: the page may leave it blank, and then the script's
/// `problem` (or `default`) decides.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Range {
    pub default: f64,
    pub min: f64,
    pub max: f64,
    pub min_exclusive: bool,
    pub int: bool,
    pub optional: bool,
}

impl Range {
    /// The range in words ("a whole number from 1 to 4096").
    pub fn text(&self) -> String {
        let (min, max) = (num(self.min), num(self.max));
        if self.int {
            format!("a whole number from {min} to {max}")
        } else if self.min_exclusive {
            format!("greater than {min} and at most {max}")
        } else {
            format!("from {min} to {max}")
        }
    }
}

/// What kind of value a setting holds, with its default and its range.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Kind {
    Number(Range),
    /// Hidden-layer widths, written "32,32" on the page.
    Layers {
        default: &'static [usize],
    },
    /// One of `options` (value, label).
    Choice {
        default: &'static str,
        options: &'static [(&'static str, &'static str)],
    },
    /// A checkbox.
    Flag {
        default: bool,
    },
    /// A number per method, each optional (absent: the method uses the shared setting);
    /// an object from method name to number, empty by default.
    PerMethod(Range),
}

/// Where a setting lives: in every run's settings, or only on the page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    Run,
    Page,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Setting {
    /// Dotted path in the run settings JSON (`RawConfig`), e.g. `optimizer.learningRate`.
    pub path: &'static str,
    /// The page's input id.
    pub id: &'static str,
    /// The label people see, also in every message about the setting.
    pub label: &'static str,
    pub kind: Kind,
    /// Unit shown after the value ("" when none).
    pub unit: &'static str,
    /// One line of help under the field.
    pub help: &'static str,
    pub scope: Scope,
}

impl Setting {
    /// The last part of the path: the key presets and links use.
    pub fn key(&self) -> &'static str {
        self.path.rsplit('.').next().unwrap_or(self.path)
    }

    /// The range in words, as every message says it ("from 1 to 4096, whole").
    pub fn range_text(&self) -> String {
        match self.kind {
            Kind::Number(r) => r.text(),
            Kind::Layers { .. } => format!(
                "at most {MAX_LAYERS} widths from 1 to {MAX_WIDTH}, separated by commas (e.g. 32,32)"
            ),
            Kind::Choice { options, .. } => {
                let names: Vec<String> = options.iter().map(|(v, _)| format!("{v:?}")).collect();
                format!("one of {}", names.join(", "))
            }
            Kind::Flag { .. } => "true or false".into(),
            Kind::PerMethod(r) => format!("for each method blank or {}", r.text()),
        }
    }

    /// Whether `v` is inside the range of a number setting (or of each number of a
    /// per-method one).
    pub fn accepts_number(&self, v: f64) -> bool {
        match self.kind {
            Kind::Number(r) | Kind::PerMethod(r) => {
                v.is_finite()
                    && (v > r.min || (!r.min_exclusive && v == r.min))
                    && v <= r.max
                    && (!r.int || v.fract() == 0.0)
            }
            _ => false,
        }
    }

    /// Checks one value as it stands in the settings JSON. The message names the setting by
    /// its label and says what to change.
    pub fn check(&self, v: &Value) -> Result<(), String> {
        let bad = |shown: String| {
            Err(format!(
                "{} must be {}, got {shown}",
                self.label,
                self.range_text()
            ))
        };
        match self.kind {
            Kind::Number(r) => match v {
                Value::Null if r.optional => Ok(()),
                Value::Number(n) => {
                    let f = n.as_f64().unwrap_or(f64::NAN);
                    if self.accepts_number(f) {
                        Ok(())
                    } else {
                        bad(num(f))
                    }
                }
                other => bad(other.to_string()),
            },
            Kind::Layers { .. } => match v.as_array() {
                Some(a)
                    if a.len() <= MAX_LAYERS
                        && a.iter().all(|w| {
                            w.as_u64()
                                .is_some_and(|w| (1..=MAX_WIDTH as u64).contains(&w))
                        }) =>
                {
                    Ok(())
                }
                _ => bad(v.to_string()),
            },
            Kind::Choice { options, .. } => match v.as_str() {
                Some(s) if options.iter().any(|(o, _)| *o == s) => Ok(()),
                _ => bad(v.to_string()),
            },
            Kind::Flag { .. } => match v {
                Value::Bool(_) => Ok(()),
                _ => bad(v.to_string()),
            },
            Kind::PerMethod(r) => match v {
                Value::Null => Ok(()),
                Value::Object(o) => {
                    for (name, x) in o {
                        let Some(m) = crate::methods::Method::from_name(name) else {
                            return Err(format!(
                                "{} names no method {name:?}; use method names such as \"joint\"",
                                self.label
                            ));
                        };
                        if !x.as_f64().is_some_and(|x| self.accepts_number(x)) {
                            return Err(format!(
                                "{} of {} must be {}, got {}",
                                self.label,
                                m.label(),
                                r.text(),
                                x.as_f64().map_or_else(|| x.to_string(), num)
                            ));
                        }
                    }
                    Ok(())
                }
                other => bad(other.to_string()),
            },
        }
    }

    /// The range of a number setting, or of each number of a per-method one.
    pub fn range(&self) -> Option<Range> {
        match self.kind {
            Kind::Number(r) | Kind::PerMethod(r) => Some(r),
            _ => None,
        }
    }

    /// The default as JSON.
    pub fn default_value(&self) -> Value {
        match self.kind {
            Kind::Number(r) => {
                if r.int {
                    Value::from(r.default as u64)
                } else {
                    Value::from(r.default)
                }
            }
            Kind::Layers { default } => Value::from(default.to_vec()),
            Kind::Choice { default, .. } => Value::from(default),
            Kind::Flag { default } => Value::from(default),
            Kind::PerMethod(_) => Value::Object(Default::default()),
        }
    }
}

/// A number as people write it: integers without a fraction or exponent (1000000000, not 1e9).
pub fn num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e16 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// A number setting: `(min_exclusive, int, optional)` as flags after the numbers.
const fn numeric(default: f64, min: f64, max: f64, flags: (bool, bool, bool)) -> Kind {
    let (min_exclusive, int, optional) = flags;
    Kind::Number(Range {
        default,
        min,
        max,
        min_exclusive,
        int,
        optional,
    })
}
const fn number(default: f64, min: f64, max: f64) -> Kind {
    numeric(default, min, max, (false, false, false))
}
const fn above(default: f64, min: f64, max: f64) -> Kind {
    numeric(default, min, max, (true, false, false))
}
const fn whole(default: f64, min: f64, max: f64) -> Kind {
    numeric(default, min, max, (false, true, false))
}

const fn run(
    path: &'static str,
    id: &'static str,
    label: &'static str,
    kind: Kind,
    unit: &'static str,
    help: &'static str,
) -> Setting {
    Setting {
        path,
        id,
        label,
        kind,
        unit,
        help,
        scope: Scope::Run,
    }
}

/// The shared learning rate's default and range; a method's own rate has the same range.
const LEARNING_RATE: Range = Range {
    default: 0.01,
    min: 0.0,
    max: 10.0,
    min_exclusive: true,
    int: false,
    optional: false,
};

/// Every setting, in the page's order. Add a setting here (and its field in `RawConfig`).
pub const SETTINGS: &[Setting] = &[
    run("data.source", "data-source", "Data source", Kind::Choice { default: "generated", options: &[("generated", "Generated from thetaTrue"), ("csv", "CSV data (pasted or a file)")] }, "",
        "Generated: Y = F(X, thetaTrue(X)) + noise, X uniform in xRange. CSV: columns x1..x_xDim, y1..y_yDim."),
    run("data.samples", "samples", "Samples", numeric(256.0, 4.0, 100_000.0, (false, true, true)), "",
        "Generated data only; blank = the script's problem.samples."),
    run("data.noise", "noise", "Noise", numeric(0.0, 0.0, 1e12, (false, false, true)), "",
        "Std of Gaussian noise added to generated Y; blank = the script's problem.noise."),
    run("data.testFraction", "test-fraction", "Test fraction", number(0.2, 0.0, 0.9), "",
        "Share of the samples held out for the test loss."),
    run("budget", "budget", "F-evaluation budget", whole(200_000.0, 1.0, 1e9), "evaluations",
        "F-evaluations each method may spend on learning; monitoring is counted apart."),
    run("seed", "seed", "Seed", whole(1.0, 0.0, MAX_SEED as f64), "",
        "Same seed, same data, network and results."),
    run("optimizer.learningRate", "learning-rate", "Learning rate", Kind::Number(LEARNING_RATE), "",
        "Step size of the policy network's optimiser."),
    run("optimizer.methodRates", "method-rate", "Own learning rate", Kind::PerMethod(Range { optional: true, ..LEARNING_RATE }), "",
        "Per method (beside its name in Methods): a learning rate that replaces the shared one for that method; blank = the shared rate. Tuning centres its pilots on it."),
    run("optimizer.batchSize", "batch-size", "Batch size", whole(32.0, 1.0, 4096.0), "samples",
        "Samples per training step."),
    run("optimizer.kind", "optimizer", "Optimiser", Kind::Choice { default: "adam", options: &[("adam", "Adam"), ("momentum", "SGD with momentum"), ("sgd", "SGD")] }, "",
        "How the policy network follows the estimated gradient."),
    run("optimizer.clip", "clip", "Gradient clip", number(10.0, 0.0, 1e12), "",
        "Largest gradient norm applied; 0 = no clipping."),
    run("network.hidden", "hidden", "Hidden layers", Kind::Layers { default: &[32, 32] }, "units",
        "Widths of the policy network's hidden layers, e.g. 32,32."),
    run("network.activation", "activation", "Activation", Kind::Choice { default: "tanh", options: &[("tanh", "tanh"), ("relu", "ReLU"), ("gelu", "GELU")] }, "",
        "Nonlinearity of the hidden layers."),
    run("target", "target", "Target", above(0.05, 0.0, 1.0), "of the start",
        "With \"Converged when\" at the fixed target: a run has converged when its training loss falls to this fraction of its first logged loss."),
    run("convergence", "convergence", "Converged when", Kind::Choice { default: "0.01", options: &[
            ("0.1", "within τ = 0.1 of the race's best"),
            ("0.01", "within τ = 0.01 of the race's best"),
            ("0.001", "within τ = 0.001 of the race's best"),
            ("start", "at the Target (a fraction of its start)")] }, "",
        "How the verdict decides that a run has converged (Moré and Wild 2009): its training loss is at most f_L + τ·(f_0 − f_L), f_0 its first logged loss and f_L the lowest loss any run of the race reached; or, with the fixed target, at most Target × f_0."),
    run("maxSteps", "max-steps", "Max steps", whole(0.0, 0.0, 1e7), "steps",
        "0 = none: every method spends the whole budget. Otherwise a run also ends after this many training steps (then methods may spend unequal budgets)."),
    run("onFailure", "on-failure", "When F fails", Kind::Choice { default: "stop", options: &[("stop", "stop the method"), ("skip", "skip the sample")] }, "",
        "When F throws or returns NaN during training: end that method with the message, or drop the samples where it failed from that step (counted; Central, Forward, SPSA, ES, Analytic gradient, the two-stage and the joint surrogate)."),
    run("tune", "tune", "Tune learning rates", Kind::Flag { default: false }, "",
        "Before each run, short pilot runs try 5 learning rates (the shared one × 0.1 to 10) and the run uses the best; pilot F-evaluations are counted apart."),
    run("tuneShare", "tune-share", "Pilot budget", above(0.2, 0.0, 1.0), "of the budget",
        "F-evaluations all pilots of one run may spend together, as a share of the budget (split evenly among the 5 rates)."),
    run("repeats", "repeats", "Repeats", whole(1.0, 1.0, 20.0), "runs per method",
        "Each method runs once per seed: seed, seed + 1, ... The data stay those of the first seed; the network's start, minibatches and estimator noise change."),
    run("logPoints", "log-points", "Log points", whole(60.0, 2.0, 2000.0), "",
        "How many times a run measures its true loss and gradient error."),
    Setting {
        path: "watchdog",
        id: "watchdog",
        label: "Watchdog (s)",
        kind: number(10.0, 0.5, 3600.0),
        unit: "s",
        help: "A worker whose F does not return for this long is ended.",
        scope: Scope::Page,
    },
    Setting {
        path: "workersPerMethod",
        id: "workers",
        label: "Workers per method",
        kind: numeric(1.0, 1.0, 64.0, (false, true, true)),
        unit: "",
        help: "F-workers that share each method's batches of F. Blank = auto: more than one only once F proves costly enough to gain, and no more than the cores the other methods leave. Same results with any number.",
        scope: Scope::Page,
    },
    run("methodSettings.hRel", "h-rel", "h (relative step)", number(0.0, 0.0, 0.5), "",
        "Finite-difference step relative to max(|theta_j|, 1); 0 = the method's own (cbrt(eps) central, sqrt(eps) forward)."),
    run("methodSettings.autoStep", "auto-step", "Step from the diagnosis", Kind::Flag { default: false }, "",
        "Central and forward differences: each component's noise-optimal step from the last Diagnose F (Moré & Wild), in place of h."),
    run("methodSettings.k", "k", "k (directions)", whole(4.0, 1.0, 1024.0), "",
        "Directions (SPSA) or antithetic pairs (the ES family) per sample and step."),
    run("methodSettings.sigma", "sigma", "sigma", above(0.05, 0.0, 100.0), "",
        "Perturbation size of SPSA and the ES methods, relative to theta's scale (half the bound width, else 1)."),
    run("methodSettings.lambda", "lambda", "lambda", number(1.0, 0.0, 1e6), "",
        "Joint surrogate: weight of the fit term lambda‖F~ − F‖²."),
    run("methodSettings.exploration", "exploration", "Exploration", number(0.1, 0.0, 10.0), "",
        "Surrogate methods: std of the noise added to theta, relative to theta's scale."),
    run("methodSettings.rounds", "rounds", "Rounds", whole(24.0, 1.0, 100.0), "",
        "Two-stage surrogate: collect-fit-train rounds; each collects more than the one before."),
    run("methodSettings.collectShare", "collect-share", "First round share", above(0.02, 0.0, 1.0), "",
        "Two-stage surrogate: share of the budget collected in the first round (later rounds grow geometrically)."),
    run("methodSettings.surrogateHidden", "surrogate-hidden", "Surrogate layers", Kind::Layers { default: &[64, 64] }, "units",
        "Widths of the surrogate network F~'s hidden layers."),
    run("methodSettings.alpha", "alpha", "alpha", number(0.5, 0.0, 1.0), "",
        "Guided ES: share of the search variance in the full space (the rest along the guide)."),
    run("methodSettings.jointGate", "joint-gate", "Joint: train π once F̃'s error is below", number(0.0, 0.0, 1.0), "of F's variance",
        "Joint surrogate: pi waits until F~'s out-of-sample error on fresh rows is below this share of F's variance; 0 = pi trains from the first step."),
    run("methodSettings.literalLoss", "literal-loss", "Literal seed loss", Kind::Flag { default: false }, "",
        "Joint surrogate: both terms of L* train pi and rho, as the seed wrote it. Its fixed point is F~ = (Y + λF)/(1 + λ), where pi's gradient is zero whatever F − Y is, so it can stall short of the data."),
    run("methodSettings.fitOnlyRho", "fit-only-rho", "Literal loss: fit term trains only F̃", Kind::Flag { default: false }, "",
        "With the literal seed loss: the fit term updates only rho and the data term only pi."),
];

/// The setting at `path` in the table.
pub fn find(table: &[Setting], path: &str) -> Option<Setting> {
    table.iter().copied().find(|s| s.path == path)
}

/// The setting at `path` (a path the code itself names: a typo is a bug, so it panics).
pub fn get(path: &str) -> Setting {
    find(SETTINGS, path).unwrap_or_else(|| panic!("no setting {path:?} in settings::SETTINGS"))
}

/// The default number of the setting at `path`.
pub fn default_number(path: &str) -> f64 {
    match get(path).kind {
        Kind::Number(r) => r.default,
        k => panic!("setting {path:?} is not a number: {k:?}"),
    }
}

/// The value at a dotted `path` in a JSON object (`Null` when absent).
pub fn lookup<'a>(v: &'a Value, path: &str) -> &'a Value {
    path.split('.')
        .fold(v, |v, k| v.get(k).unwrap_or(&Value::Null))
}

/// Checks every run setting of a settings JSON against `table`; the first problem, in words.
pub fn check_all(table: &[Setting], settings: &Value) -> Result<(), String> {
    for s in table.iter().filter(|s| s.scope == Scope::Run) {
        s.check(lookup(settings, s.path))?;
    }
    Ok(())
}

/// The run settings' defaults as one JSON object (the page's "Defaults" button and the
/// native `RawConfig::default()` agree through it).
pub fn defaults_json(table: &[Setting]) -> Value {
    let mut root = Value::Object(Default::default());
    for s in table.iter().filter(|s| s.scope == Scope::Run) {
        let mut at = &mut root;
        let mut parts = s.path.split('.').peekable();
        while let Some(k) = parts.next() {
            let obj = at.as_object_mut().expect("settings paths nest objects");
            if parts.peek().is_none() {
                obj.insert(k.to_string(), s.default_value());
                break;
            }
            at = obj
                .entry(k.to_string())
                .or_insert_with(|| Value::Object(Default::default()));
        }
    }
    root
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_path_and_id_is_unique() {
        for (i, a) in SETTINGS.iter().enumerate() {
            for b in &SETTINGS[i + 1..] {
                assert_ne!(a.path, b.path);
                assert_ne!(a.id, b.id);
                assert_ne!(a.label, b.label);
            }
        }
    }

    #[test]
    fn every_default_is_inside_its_own_range() {
        for s in SETTINGS {
            assert_eq!(s.check(&s.default_value()), Ok(()), "{}", s.path);
        }
    }

    #[test]
    fn numbers_are_written_as_people_write_them() {
        assert_eq!(num(1e9), "1000000000");
        assert_eq!(num(0.5), "0.5");
        assert_eq!(num(MAX_SEED as f64), "9007199254740991");
    }
}
