//! Writing a state as a v1 payload: the JSON a link carries, with only what differs from
//! v1's frozen defaults, the script (or preset id) last so that a cut link keeps the rest.

use super::v1::v1_defaults;
use super::{err, ShareError, ShareSettings, ShareState};
use serde::Serialize;

/// The payload JSON: methods, settings that differ from v1's defaults, charts when not all,
/// then the preset id or the script (last, so a truncated link keeps the settings).
pub(super) fn wire_json(state: &ShareState) -> Result<String, ShareError> {
    let d = v1_defaults();
    let mut top = Obj::default();
    if state.methods != d.methods {
        top.field("methods", &state.methods);
    }
    if let Some(s) = settings_diff(&state.settings, &d.settings) {
        top.raw("settings", &s);
    }
    if state.charts != d.charts {
        top.field("charts", &state.charts);
    }
    match (&state.preset, &state.script) {
        (Some(p), _) => top.field("preset", p),
        (None, Some(s)) => top.field("script", s),
        (None, None) => return err("There is no script to share."),
    }
    Ok(top.finish())
}

fn settings_diff(s: &ShareSettings, d: &ShareSettings) -> Option<String> {
    let mut o = Obj::default();
    if s.budget != d.budget {
        o.field("budget", &s.budget);
    }
    if s.seed != d.seed {
        o.field("seed", &s.seed);
    }
    if s.max_steps != d.max_steps {
        o.field("maxSteps", &s.max_steps);
    }
    if s.log_points != d.log_points {
        o.field("logPoints", &s.log_points);
    }
    let mut n = Obj::default();
    if s.network.hidden != d.network.hidden {
        n.field("hidden", &s.network.hidden);
    }
    if s.network.activation != d.network.activation {
        n.field("activation", &s.network.activation);
    }
    o.nested("network", n);
    let (so, dop) = (&s.optimizer, &d.optimizer);
    let mut n = Obj::default();
    if so.kind != dop.kind {
        n.field("kind", &so.kind);
    }
    if so.learning_rate != dop.learning_rate {
        n.field("learningRate", &so.learning_rate);
    }
    if so.batch_size != dop.batch_size {
        n.field("batchSize", &so.batch_size);
    }
    if so.clip != dop.clip {
        n.field("clip", &so.clip);
    }
    o.nested("optimizer", n);
    let (sm, dm) = (&s.method_settings, &d.method_settings);
    let mut n = Obj::default();
    macro_rules! diff {
        ($($f:ident => $k:literal),*) => {$(
            if sm.$f != dm.$f {
                n.field($k, &sm.$f);
            }
        )*};
    }
    diff!(h_rel => "hRel", k => "k", sigma => "sigma", lambda => "lambda",
          exploration => "exploration", rounds => "rounds", collect_share => "collectShare",
          surrogate_hidden => "surrogateHidden", alpha => "alpha", fit_only_rho => "fitOnlyRho");
    o.nested("methodSettings", n);
    let (sd, dd) = (&s.data, &d.data);
    let mut n = Obj::default();
    if sd.source != dd.source {
        n.field("source", &sd.source);
    }
    if let Some(v) = sd.samples {
        n.field("samples", &v);
    }
    if let Some(v) = sd.noise {
        n.field("noise", &v);
    }
    if sd.test_fraction != dd.test_fraction {
        n.field("testFraction", &sd.test_fraction);
    }
    if sd.source == "csv" && sd.csv != dd.csv {
        n.field("csv", &sd.csv);
    }
    o.nested("data", n);
    (!o.is_empty()).then(|| o.finish())
}

/// A JSON object written in the order its fields are added.
#[derive(Default)]
struct Obj {
    s: String,
}
impl Obj {
    fn raw(&mut self, key: &str, raw: &str) {
        self.s.push(if self.s.is_empty() { '{' } else { ',' });
        self.s
            .push_str(&serde_json::to_string(key).unwrap_or_default());
        self.s.push(':');
        self.s.push_str(raw);
    }
    fn field<T: Serialize + ?Sized>(&mut self, key: &str, v: &T) {
        let raw = serde_json::to_string(v).unwrap_or_else(|_| "null".into());
        self.raw(key, &raw);
    }
    fn nested(&mut self, key: &str, o: Obj) {
        if !o.is_empty() {
            self.raw(key, &o.finish());
        }
    }
    fn is_empty(&self) -> bool {
        self.s.is_empty()
    }
    fn finish(mut self) -> String {
        if self.s.is_empty() {
            self.s.push('{');
        }
        self.s.push('}');
        self.s
    }
}
