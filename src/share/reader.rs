//! Reading a payload's JSON object into a state, field by field: a wrong type or an unknown
//! name gives a warning a person can read and the field keeps its v1 default; a number out
//! of range is clamped to the range in [`numbers`]. Used for links and, with stricter
//! rules, for the page's own state before it becomes a link (`encode_json`).

use super::json;
use super::v1::{v1_defaults, valid_preset_id, CHARTS_V1, TOP_KEYS};
use super::{short, DataSettings, NetworkSettings, OptimizerSettings, ShareSettings, ShareState};
use crate::config::{Method, MethodSettings};
use crate::nn::Activation;
use crate::optim::OptimizerKind;
use crate::settings;

/// The range of one number. A value outside it is clamped to it; a value at or below an
/// exclusive lower bound takes the default. `int`: a fraction is rounded.
#[derive(Clone, Copy, Debug)]
pub struct NumSpec {
    pub key: &'static str,
    pub label: &'static str,
    pub min: f64,
    pub min_exclusive: bool,
    pub max: f64,
    pub int: bool,
}

/// Every number setting a link holds, with its label and range, from `settings::SETTINGS`
/// (the ranges `RunConfig` checks); the README's table of ranges is this one.
pub fn numbers() -> Vec<NumSpec> {
    settings::SETTINGS
        .iter()
        .filter(|s| s.scope == settings::Scope::Run)
        .filter_map(|s| match s.kind {
            settings::Kind::Number {
                min,
                max,
                min_exclusive,
                int,
                ..
            } => Some(NumSpec {
                key: s.key(),
                label: s.label,
                min,
                min_exclusive,
                max,
                int,
            }),
            _ => None,
        })
        .collect()
}

fn spec(key: &str) -> NumSpec {
    numbers()
        .into_iter()
        .find(|s| s.key == key)
        .expect("every number read has a setting")
}

const SETTINGS_KEYS: [&str; 8] = [
    "data",
    "network",
    "optimizer",
    "budget",
    "maxSteps",
    "seed",
    "logPoints",
    "methodSettings",
];
const DATA_KEYS: [&str; 5] = ["source", "samples", "noise", "testFraction", "csv"];
const NETWORK_KEYS: [&str; 2] = ["hidden", "activation"];
const OPTIMIZER_KEYS: [&str; 4] = ["kind", "learningRate", "batchSize", "clip"];
const METHOD_SETTINGS_KEYS: [&str; 10] = [
    "hRel",
    "k",
    "sigma",
    "lambda",
    "exploration",
    "rounds",
    "collectShare",
    "surrogateHidden",
    "alpha",
    "fitOnlyRho",
];

#[derive(Clone, Copy, PartialEq)]
pub(super) enum Mode {
    /// The page's full state handed to `encode_json`.
    Page,
    /// A link's payload.
    Link { damaged: bool },
}

pub(super) type Members = [(String, json::J)];

fn get<'a>(obj: &'a Members, key: &str) -> Option<&'a json::J> {
    obj.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v)
}

fn describe(v: &json::J) -> String {
    use json::J;
    match v {
        J::Null => "null".into(),
        J::Bool(b) => b.to_string(),
        J::Num(n) => short(n, 30),
        J::Str(s) => format!("the text {:?}", short(s, 30)),
        J::Arr(_) => "a list".into(),
        J::Obj(_) => "an object".into(),
    }
}

fn fmt_num(v: f64) -> String {
    format!("{v}")
}

#[derive(Default)]
pub(super) struct Reader {
    pub warnings: Vec<String>,
}

impl Reader {
    pub fn warn(&mut self, w: String) {
        if self.warnings.len() < 50 {
            self.warnings.push(w);
        } else if self.warnings.len() == 50 {
            self.warnings
                .push("More problems were found; the rest are not listed.".into());
        }
    }

    fn unknown_keys(&mut self, obj: &Members, known: &[&str], where_: &str) {
        for (k, _) in obj {
            if !known.contains(&k.as_str()) {
                self.warn(format!(
                    "{where_} {:?} is not known to link format v1 (made by a newer page?); it was ignored.",
                    short(k, 40)
                ));
            }
        }
    }

    fn object<'a>(&mut self, v: Option<&'a json::J>, label: &str) -> &'a Members {
        match v {
            None => &[],
            Some(json::J::Obj(o)) => o,
            Some(other) => {
                self.warn(format!(
                    "{label}: expected an object, got {}; its defaults are used.",
                    describe(other)
                ));
                &[]
            }
        }
    }

    /// A number in its documented range (see [`numbers`]).
    fn number(&mut self, obj: &Members, key: &str, default: f64) -> f64 {
        let s = spec(key);
        let Some(v) = get(obj, key) else {
            return default;
        };
        let json::J::Num(raw) = v else {
            self.warn(format!(
                "{}: expected a number, got {}; using the default {}.",
                s.label,
                describe(v),
                fmt_num(default)
            ));
            return default;
        };
        let Ok(mut x) = raw.parse::<f64>() else {
            self.warn(format!(
                "{}: {:?} is not a number; using the default {}.",
                s.label,
                short(raw, 30),
                fmt_num(default)
            ));
            return default;
        };
        if s.int && x.is_finite() && x.fract() != 0.0 {
            let r = x.round();
            self.warn(format!(
                "{} must be a whole number, got {}; using {}.",
                s.label,
                short(raw, 30),
                fmt_num(r)
            ));
            x = r;
        }
        if s.min_exclusive && x <= s.min {
            self.warn(format!(
                "{} must be greater than {}, got {}; using the default {}.",
                s.label,
                fmt_num(s.min),
                short(raw, 30),
                fmt_num(default)
            ));
            return default;
        }
        if x < s.min {
            self.warn(format!(
                "{}: {} is below the minimum {}; using {}.",
                s.label,
                short(raw, 30),
                fmt_num(s.min),
                fmt_num(s.min)
            ));
            x = s.min;
        }
        if x > s.max {
            self.warn(format!(
                "{}: {} is above the maximum {}; using {}.",
                s.label,
                short(raw, 30),
                fmt_num(s.max),
                fmt_num(s.max)
            ));
            x = s.max;
        }
        if x == 0.0 {
            x = 0.0; // no -0
        }
        x
    }

    fn int(&mut self, obj: &Members, key: &str, default: u64) -> u64 {
        // Ranges are within 0..=2^53, where f64 holds every integer exactly.
        self.number(obj, key, default as f64) as u64
    }

    /// A number that may be absent (`null`: the script's value).
    fn optional(&mut self, obj: &Members, key: &str, default: Option<f64>) -> Option<f64> {
        match get(obj, key) {
            None => default,
            Some(json::J::Null) => None,
            Some(json::J::Num(_)) => Some(self.number(obj, key, spec(key).min)),
            Some(v) => {
                self.warn(format!(
                    "{}: expected a number, got {}; using the script's value.",
                    spec(key).label,
                    describe(v)
                ));
                default
            }
        }
    }

    fn boolean(&mut self, obj: &Members, key: &str, label: &str, default: bool) -> bool {
        match get(obj, key) {
            None => default,
            Some(json::J::Bool(b)) => *b,
            Some(v) => {
                self.warn(format!(
                    "{label}: expected true or false, got {}; using the default {default}.",
                    describe(v)
                ));
                default
            }
        }
    }

    /// One of `allowed` (a string); otherwise the default.
    fn choice(
        &mut self,
        obj: &Members,
        key: &str,
        label: &str,
        allowed: &[&str],
        default: &str,
    ) -> String {
        match get(obj, key) {
            None => default.to_string(),
            Some(json::J::Str(s)) if allowed.contains(&s.as_str()) => s.clone(),
            Some(v) => {
                self.warn(format!(
                    "{label}: {} is not one of {}; using the default {default:?}.",
                    describe(v),
                    allowed.join(", ")
                ));
                default.to_string()
            }
        }
    }

    /// Hidden-layer widths: at most `MAX_LAYERS` layers of 1 to `MAX_WIDTH` units.
    fn layers(&mut self, obj: &Members, key: &str, label: &str, default: &[usize]) -> Vec<usize> {
        use settings::{MAX_LAYERS, MAX_WIDTH};
        let Some(v) = get(obj, key) else {
            return default.to_vec();
        };
        let json::J::Arr(items) = v else {
            self.warn(format!(
                "{label}: expected a list of layer widths, got {}; using the default {default:?}.",
                describe(v)
            ));
            return default.to_vec();
        };
        let mut out = Vec::new();
        for item in items {
            let w = match item {
                json::J::Num(raw) => raw.parse::<f64>().ok(),
                _ => None,
            };
            let Some(w) = w else {
                self.warn(format!(
                    "{label}: {} is not a layer width; using the default {default:?}.",
                    describe(item)
                ));
                return default.to_vec();
            };
            let c = w.round().clamp(1.0, MAX_WIDTH as f64);
            if c != w {
                self.warn(format!(
                    "{label}: a layer of {} units is not possible (1 to {MAX_WIDTH}); using {c}.",
                    fmt_num(w)
                ));
            }
            out.push(c as usize);
        }
        if out.len() > MAX_LAYERS {
            self.warn(format!(
                "{label}: {} layers is more than the maximum {MAX_LAYERS}; the first {MAX_LAYERS} are kept.",
                out.len()
            ));
            out.truncate(MAX_LAYERS);
        }
        out
    }

    fn text(&mut self, v: Option<&json::J>, label: &str) -> Option<String> {
        match v {
            None | Some(json::J::Null) => None,
            Some(json::J::Str(s)) => Some(s.clone()),
            Some(v) => {
                self.warn(format!("{label}: expected text, got {}.", describe(v)));
                None
            }
        }
    }

    pub fn state(&mut self, obj: &Members, mode: Mode) -> ShareState {
        let d = v1_defaults();
        let page = mode == Mode::Page;
        let damaged = matches!(mode, Mode::Link { damaged: true });
        let mut known: Vec<&str> = TOP_KEYS.to_vec();
        if page {
            known.push("embed");
        }
        self.unknown_keys(obj, &known, "The field");

        let methods = match get(obj, "methods") {
            None => d.methods.clone(),
            Some(json::J::Arr(items)) => {
                let mut found = Vec::new();
                for item in items {
                    match item {
                        json::J::Str(s) => match Method::from_name(s) {
                            Some(m) => found.push(m),
                            None => self.warn(format!(
                                "The method {:?} is not known; it was left out.",
                                short(s, 30)
                            )),
                        },
                        other => self.warn(format!(
                            "Methods: {} is not a method name; it was left out.",
                            describe(other)
                        )),
                    }
                }
                let methods: Vec<Method> = Method::ALL
                    .into_iter()
                    .filter(|m| found.contains(m))
                    .collect();
                if methods.is_empty() && !items.is_empty() {
                    self.warn(format!(
                        "No method in the link is known; using {}.",
                        d.methods[0].label()
                    ));
                    d.methods.clone()
                } else {
                    methods
                }
            }
            Some(v) => {
                self.warn(format!(
                    "Methods: expected a list of method names, got {}; using {}.",
                    describe(v),
                    d.methods[0].label()
                ));
                d.methods.clone()
            }
        };

        let settings = self.settings(get(obj, "settings"), &d.settings);

        let charts = match get(obj, "charts") {
            None => d.charts.clone(),
            Some(json::J::Arr(items)) => {
                let mut names = Vec::new();
                for item in items {
                    match item {
                        json::J::Str(s) if CHARTS_V1.contains(&s.as_str()) => names.push(s.clone()),
                        other => self.warn(format!(
                            "Charts: {} is not a chart of link format v1; it was left out.",
                            describe(other)
                        )),
                    }
                }
                CHARTS_V1
                    .iter()
                    .filter(|c| names.iter().any(|n| n == *c))
                    .map(|c| c.to_string())
                    .collect()
            }
            Some(v) => {
                self.warn(format!(
                    "Charts: expected a list of chart names, got {}; every chart is shown.",
                    describe(v)
                ));
                d.charts.clone()
            }
        };

        let embed = if page {
            self.boolean(obj, "embed", "Embed", false)
        } else {
            false
        };

        let mut preset = match self.text(get(obj, "preset"), "Preset") {
            Some(p) if valid_preset_id(&p) => Some(p),
            Some(p) => {
                self.warn(format!(
                    "The preset name {:?} is not valid; it was ignored.",
                    short(&p, 40)
                ));
                None
            }
            None => None,
        };
        let mut script = self.text(get(obj, "script"), "Script");
        if page {
            // The page sends the preset id when its script is a preset's text.
            if preset.is_some() {
                script = None;
            } else if script.is_none() {
                self.warn("There is no script to share.".into());
            }
        } else if script.is_some() && preset.is_some() {
            self.warn("The link holds both a script and a preset name; the script is used.".into());
            preset = None;
        } else if script.is_none() && preset.is_none() {
            self.warn(if damaged {
                "The script was lost with the damaged part of the link; the default problem is shown.".into()
            } else {
                "The link holds no script; the default problem is shown.".into()
            });
        }
        ShareState {
            script,
            preset,
            methods,
            settings,
            charts,
            embed,
        }
    }

    fn settings(&mut self, v: Option<&json::J>, d: &ShareSettings) -> ShareSettings {
        let s = self.object(v, "Settings");
        self.unknown_keys(s, &SETTINGS_KEYS, "The setting");

        let data = self.object(get(s, "data"), "Data settings");
        self.unknown_keys(data, &DATA_KEYS, "The data setting");
        let source = self.choice(
            data,
            "source",
            "Data source",
            &["generated", "csv"],
            &d.data.source,
        );
        let csv = match self.text(get(data, "csv"), "CSV data") {
            Some(c) if source == "csv" => c,
            _ => String::new(),
        };
        let samples = self
            .optional(data, "samples", d.data.samples.map(|v| v as f64))
            .map(|v| v as usize);
        let data = DataSettings {
            samples,
            noise: self.optional(data, "noise", d.data.noise),
            test_fraction: self.number(data, "testFraction", d.data.test_fraction),
            csv,
            source,
        };

        let net = self.object(get(s, "network"), "Network settings");
        self.unknown_keys(net, &NETWORK_KEYS, "The network setting");
        let network = NetworkSettings {
            hidden: self.layers(net, "hidden", "Hidden layers", &d.network.hidden),
            activation: match self
                .choice(
                    net,
                    "activation",
                    "Activation",
                    &["tanh", "relu", "gelu"],
                    activation_name(d.network.activation),
                )
                .as_str()
            {
                "relu" => Activation::Relu,
                "gelu" => Activation::Gelu,
                _ => Activation::Tanh,
            },
        };

        let opt = self.object(get(s, "optimizer"), "Optimiser settings");
        self.unknown_keys(opt, &OPTIMIZER_KEYS, "The optimiser setting");
        let optimizer = OptimizerSettings {
            kind: match self
                .choice(
                    opt,
                    "kind",
                    "Optimiser",
                    &["adam", "momentum", "sgd"],
                    optimizer_name(d.optimizer.kind),
                )
                .as_str()
            {
                "momentum" => OptimizerKind::Momentum,
                "sgd" => OptimizerKind::Sgd,
                _ => OptimizerKind::Adam,
            },
            learning_rate: self.number(opt, "learningRate", d.optimizer.learning_rate),
            batch_size: self.int(opt, "batchSize", d.optimizer.batch_size as u64) as usize,
            clip: self.number(opt, "clip", d.optimizer.clip),
        };

        let ms = self.object(get(s, "methodSettings"), "Method settings");
        self.unknown_keys(ms, &METHOD_SETTINGS_KEYS, "The method setting");
        let dm = &d.method_settings;
        let method_settings = MethodSettings {
            h_rel: self.number(ms, "hRel", dm.h_rel),
            k: self.int(ms, "k", dm.k as u64) as usize,
            sigma: self.number(ms, "sigma", dm.sigma),
            lambda: self.number(ms, "lambda", dm.lambda),
            exploration: self.number(ms, "exploration", dm.exploration),
            rounds: self.int(ms, "rounds", dm.rounds as u64) as usize,
            collect_share: self.number(ms, "collectShare", dm.collect_share),
            surrogate_hidden: self.layers(
                ms,
                "surrogateHidden",
                "Surrogate layers",
                &dm.surrogate_hidden,
            ),
            alpha: self.number(ms, "alpha", dm.alpha),
            fit_only_rho: self.boolean(ms, "fitOnlyRho", "Fit term trains only F̃", dm.fit_only_rho),
        };

        ShareSettings {
            data,
            network,
            optimizer,
            budget: self.int(s, "budget", d.budget),
            max_steps: self.int(s, "maxSteps", d.max_steps),
            seed: self.int(s, "seed", d.seed),
            log_points: self.int(s, "logPoints", d.log_points as u64) as usize,
            method_settings,
        }
    }
}

fn activation_name(a: Activation) -> &'static str {
    match a {
        Activation::Tanh => "tanh",
        Activation::Relu => "relu",
        Activation::Gelu => "gelu",
    }
}

fn optimizer_name(k: OptimizerKind) -> &'static str {
    match k {
        OptimizerKind::Adam => "adam",
        OptimizerKind::Momentum => "momentum",
        OptimizerKind::Sgd => "sgd",
    }
}
