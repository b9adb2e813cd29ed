//! Reading one value of a payload, by the kind of its setting (`settings::Kind`): a number
//! clamped to its range, hidden-layer widths, one of a few choices, a flag, a text. A value
//! of the wrong type or out of range gives a warning that names the setting by its label
//! and says what was used instead (the v1 default, or the nearest value in range).

use super::json::J;
use super::reader::{describe, get, Reader};
use super::short;
use super::Members;
use crate::methods::Method;
use crate::settings::{Kind, Range, Setting, MAX_LAYERS, MAX_WIDTH};
use serde_json::Value;

/// The range of one number. A value outside it is clamped to it; a value at or below an
/// exclusive lower bound takes the default. `int`: a fraction is rounded.
#[derive(Clone, Copy, Debug)]
pub struct NumSpec<'a> {
    pub key: &'a str,
    pub label: &'a str,
    pub min: f64,
    pub min_exclusive: bool,
    pub max: f64,
    pub int: bool,
}

impl NumSpec<'static> {
    /// The range of a number setting (`None` for other kinds).
    pub fn of(s: &Setting) -> Option<NumSpec<'static>> {
        match s.kind {
            Kind::Number(r) => Some(NumSpec {
                key: s.key(),
                label: s.label,
                min: r.min,
                min_exclusive: r.min_exclusive,
                max: r.max,
                int: r.int,
            }),
            _ => None,
        }
    }
}

impl NumSpec<'_> {
    /// A number read for this setting as JSON: whole numbers as integers.
    fn json(&self, x: f64) -> Value {
        if self.int {
            // Whole ranges lie within 0..=2^53, where f64 holds every integer exactly.
            Value::from(x as u64)
        } else {
            Value::from(x)
        }
    }
}

/// Every number setting a link holds, with its label and range, from `settings::SETTINGS`
/// (the ranges `RunConfig` checks); the README's table of ranges is this one.
pub fn numbers() -> Vec<NumSpec<'static>> {
    super::run_settings().filter_map(NumSpec::of).collect()
}

fn fmt_num(v: f64) -> String {
    format!("{v}")
}

impl Reader {
    /// The setting `s` from its member `key` of `obj`, read by its kind, as JSON; `default`
    /// (its v1 default) when absent or unusable.
    pub(super) fn setting(
        &mut self,
        obj: &Members,
        key: &str,
        s: &Setting,
        default: &Value,
    ) -> Value {
        match s.kind {
            Kind::Number(r) => {
                let spec = NumSpec::of(s).expect("a number setting has a range");
                if r.optional {
                    self.optional(obj, key, &spec, default)
                } else {
                    let d = default.as_f64().unwrap_or(f64::NAN);
                    spec.json(self.number(obj, key, &spec, d))
                }
            }
            Kind::Layers { .. } => {
                let d: Vec<usize> = serde_json::from_value(default.clone()).unwrap_or_default();
                Value::from(self.layers(obj, key, s.label, &d))
            }
            Kind::Choice { options, .. } => {
                let allowed: Vec<&str> = options.iter().map(|(v, _)| *v).collect();
                let d = default.as_str().unwrap_or_default();
                Value::from(self.choice(obj, key, s.label, &allowed, d))
            }
            Kind::Flag { .. } => {
                let d = default.as_bool().unwrap_or_default();
                Value::from(self.boolean(obj, key, s.label, d))
            }
            Kind::PerMethod(r) => self.per_method(obj, key, s, r, default),
        }
    }

    /// A number per method: members named after methods, each read as a number setting of
    /// range `r` (labelled "<label> of <method>"); other members are dropped with a warning.
    fn per_method(
        &mut self,
        obj: &Members,
        key: &str,
        s: &Setting,
        r: Range,
        default: &Value,
    ) -> Value {
        let Some(v) = get(obj, key) else {
            return default.clone();
        };
        let J::Obj(members) = v else {
            self.warn(format!(
                "{}: expected an object of method names and numbers, got {}; using none.",
                s.label,
                describe(v)
            ));
            return default.clone();
        };
        let mut out = serde_json::Map::new();
        for (name, _) in members {
            let Some(m) = Method::from_name(name) else {
                self.warn(format!(
                    "{}: {:?} is not a method; it is left out.",
                    s.label,
                    short(name, 30)
                ));
                continue;
            };
            let label = format!("{} of {}", s.label, m.label());
            let spec = NumSpec {
                key: s.key(),
                label: &label,
                min: r.min,
                min_exclusive: r.min_exclusive,
                max: r.max,
                int: r.int,
            };
            let value = get(members, name);
            let x = match value {
                Some(J::Num(raw)) => raw.parse::<f64>().ok(),
                _ => None,
            };
            match x {
                Some(x) if x.is_finite() && (x > r.min || (!r.min_exclusive && x == r.min)) => {
                    let x = self.number(members, name, &spec, x);
                    out.insert(name.clone(), spec.json(x));
                }
                _ => self.warn(format!(
                    "{label}: {} is not {}; the shared rate is used.",
                    value.map_or_else(|| "nothing".into(), describe),
                    r.text()
                )),
            }
        }
        Value::Object(out)
    }

    /// A number in its documented range (see [`numbers`]).
    fn number(&mut self, obj: &Members, key: &str, s: &NumSpec, default: f64) -> f64 {
        let Some(v) = get(obj, key) else {
            return default;
        };
        let J::Num(raw) = v else {
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

    /// A number that may be absent (`null`: the script's value).
    fn optional(&mut self, obj: &Members, key: &str, s: &NumSpec, default: &Value) -> Value {
        match get(obj, key) {
            None => default.clone(),
            Some(J::Null) => Value::Null,
            Some(J::Num(_)) => s.json(self.number(obj, key, s, s.min)),
            Some(v) => {
                self.warn(format!(
                    "{}: expected a number, got {}; using the script's value.",
                    s.label,
                    describe(v)
                ));
                default.clone()
            }
        }
    }

    pub(super) fn boolean(&mut self, obj: &Members, key: &str, label: &str, default: bool) -> bool {
        match get(obj, key) {
            None => default,
            Some(J::Bool(b)) => *b,
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
            Some(J::Str(s)) if allowed.contains(&s.as_str()) => s.clone(),
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
        let Some(v) = get(obj, key) else {
            return default.to_vec();
        };
        let J::Arr(items) = v else {
            self.warn(format!(
                "{label}: expected a list of layer widths, got {}; using the default {default:?}.",
                describe(v)
            ));
            return default.to_vec();
        };
        let mut out = Vec::new();
        for item in items {
            let w = match item {
                J::Num(raw) => raw.parse::<f64>().ok(),
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

    /// A text, or `None` (absent, `null`, or not a text: with a warning).
    pub(super) fn text(&mut self, v: Option<&J>, label: &str) -> Option<String> {
        match v {
            None | Some(J::Null) => None,
            Some(J::Str(s)) => Some(s.clone()),
            Some(v) => {
                self.warn(format!("{label}: expected text, got {}.", describe(v)));
                None
            }
        }
    }
}
