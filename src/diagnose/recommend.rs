//! The rules that turn a diagnosis into a recommendation: which methods to tick, the
//! settings to fill, and why. The rules are tried in order and the first that applies wins.

use super::{names, Component, Diagnosis};
use crate::config::Method;
use serde::Serialize;
use serde_json::{json, Value};

/// Milliseconds per F call above which the surrogate methods pay off (each call teaches F̃).
pub const COSTLY_MS: f64 = 0.5;
/// Parameters above which per-component differences cost too much.
pub const MANY_PARAMETERS: usize = 16;
/// Noise that moves a default central difference by this share of F's scale per unit step
/// makes F "noisy".
const NOISY: f64 = 1e-3;

/// What to use, with the settings to fill and why.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Recommendation {
    /// The method recommended.
    pub method: &'static str,
    /// The methods to tick (the recommended one first).
    pub methods: Vec<&'static str>,
    /// Method settings by key (`settings::SETTINGS`), e.g. `{"sigma": 0.3}`.
    pub settings: Value,
    pub why: String,
}

/// The method to use, from the measurements: a correct dF → the analytic gradient; flat →
/// ES with σ wider than the flat steps; noisy → central differences with the noise-optimal
/// step beside ES with σ above the noise scale; costly → the joint surrogate; many
/// parameters → ES; else central differences.
///
/// A component whose smoothness could not be measured (F failed where it was to be
/// measured, or the budget ran out) is never taken for smooth: ES, which does not lean on it.
/// When probes failed, every recommendation says where and asks to skip the samples where F
/// fails (`onFailure: "skip"`).
pub fn recommend(d: &Diagnosis, scale: &[f64], ms_per_call: Option<f64>) -> Recommendation {
    let mut r = analytic(d).unwrap_or_else(|| {
        let wrong_df = wrong_df(d);
        flat(d, scale, &wrong_df)
            .or_else(|| unmeasured(d, &wrong_df))
            .or_else(|| noisy(d, scale, &wrong_df))
            .or_else(|| costly(d, ms_per_call, &wrong_df))
            .or_else(|| many_parameters(d, &wrong_df))
            .unwrap_or_else(|| central(d, &wrong_df))
    });
    if d.failures.count > 0 {
        r.why.push(' ');
        r.why.push_str(&failure_note(d));
        if let Some(o) = r.settings.as_object_mut() {
            o.insert("onFailure".into(), json!("skip"));
        }
    }
    r
}

/// Where F failed, in words: at which samples' own θ, and along which components at which
/// values.
pub fn failures_in_words(d: &Diagnosis) -> String {
    let mut parts = Vec::new();
    let starts = &d.failures.at_start;
    if !starts.is_empty() {
        parts.push(format!(
            "at the start θ of {} of {} samples",
            starts.len(),
            d.samples.max(starts.len())
        ));
    }
    for c in d.components.iter().filter(|c| c.failures > 0) {
        let at = match c.failed_range {
            Some([lo, hi]) if lo == hi => format!(" = {}", short(lo)),
            Some([lo, hi]) => format!(" from {} to {}", short(lo), short(hi)),
            None => String::new(),
        };
        parts.push(format!(
            "along θ{} ({} probes, θ{}{at})",
            c.index, c.failures, c.index
        ));
    }
    parts.join(", ")
}

/// Said after every recommendation when probes failed.
fn failure_note(d: &Diagnosis) -> String {
    format!(
        "F failed at {} probes: {}. \"When F fails\" is set to skip the sample; thetaBounds in the problem keep the network where F works.",
        d.failures.count,
        failures_in_words(d)
    )
}

/// Components whose noise, flatness or steps could not be measured: nothing says F is
/// smooth there, and ES, which averages F over σ, does not need it to be.
fn unmeasured(d: &Diagnosis, wrong_df: &str) -> Option<Recommendation> {
    let unknown: Vec<&Component> = d.components.iter().filter(|c| !c.measured).collect();
    if unknown.is_empty() {
        return None;
    }
    let failed: Vec<&Component> = unknown
        .iter()
        .copied()
        .filter(|c| c.failures > 0 || !d.failures.at_start.is_empty())
        .collect();
    let cause = if !failed.is_empty() {
        format!(
            "F failed where its smoothness along {} was to be measured",
            names(&failed)
        )
    } else {
        format!(
            "the budget of {} F-evaluations per component ran out before the steps along {} were measured",
            d.budget,
            names(&unknown)
        )
    };
    Some(Recommendation {
        method: Method::Es.name(),
        methods: vec![Method::Es.name()],
        settings: json!({}),
        why: format!(
            "{}: whether F is smooth or noisy there is not known, so no finite-difference step can be recommended. ES averages F over σ and does not rely on it.{wrong_df}",
            capitalised(&cause)
        ),
    })
}

/// The sentence with its first letter in capitals: ASCII is enough for these English
/// sentences, and `char::to_uppercase` brings Unicode's case tables (14.6 KB of the .wasm).
fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next().map_or(String::new(), |f| {
        std::iter::once(f.to_ascii_uppercase()).chain(c).collect()
    })
}

/// A number of a θ value, short.
fn short(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let a = v.abs();
    if (1e-3..1e4).contains(&a) {
        let s = format!("{v:.4}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        format!("{v:.2e}")
    }
}

/// A dF that passed a conclusive check: nothing estimates better than it.
fn analytic(d: &Diagnosis) -> Option<Recommendation> {
    let check = d.df_check.as_ref().filter(|c| c.ok && c.conclusive)?;
    Some(Recommendation {
        method: Method::Exact.name(),
        methods: vec![Method::Exact.name()],
        settings: json!({}),
        why: format!(
            "Your dF matches Richardson differences (relative error {}): the analytic gradient is exact and costs one F and one dF per sample.",
            sig(check.rel_err)
        ),
    })
}

/// Said after every other recommendation when dF failed its check, so that the person
/// knows why the analytic gradient is not the one.
fn wrong_df(d: &Diagnosis) -> String {
    d.df_check
        .as_ref()
        .filter(|c| !c.ok)
        .map_or(String::new(), |c| {
            format!(
                " Your dF is not used: its entry (output {}, θ{}) is {} where differences give {}.",
                c.worst.output,
                c.worst.component,
                sig(c.worst.df),
                sig(c.worst.reference)
            )
        })
}

/// A flat component: differences see zero there, ES looks wider than its steps.
fn flat(d: &Diagnosis, scale: &[f64], wrong_df: &str) -> Option<Recommendation> {
    let flat: Vec<&Component> = d.components.iter().filter(|c| c.flat).collect();
    if flat.is_empty() {
        return None;
    }
    let widest = flat
        .iter()
        .map(|c| c.flat_step.map_or(1.0, |h| h / scale[c.index]))
        .fold(0.0, f64::max);
    let sigma = round2(wider(widest));
    Some(Recommendation {
        method: Method::Es.name(),
        methods: vec![Method::Es.name()],
        settings: json!({ "sigma": sigma }),
        why: format!(
            "F does not change under small steps along {} (it moves only at steps of {} times θ's scale): differences see zero there, while ES with σ = {sigma} looks wider than those steps.{wrong_df}",
            names(&flat),
            sig(widest)
        ),
    })
}

/// Noise that a default central difference would amplify past 0.1% of F's scale: the
/// noise-optimal step, and ES above the noise scale (first when θ is large).
fn noisy(d: &Diagnosis, scale: &[f64], wrong_df: &str) -> Option<Recommendation> {
    let noisy: Vec<&Component> = d
        .components
        .iter()
        .filter(|c| {
            c.noise
                .is_some_and(|n| n / c.default_central > NOISY * d.f_scale.max(1e-300))
        })
        .collect();
    if noisy.is_empty() {
        return None;
    }
    let widest = noisy
        .iter()
        .map(|c| c.h_central.unwrap_or(c.default_central) / scale[c.index])
        .fold(0.0, f64::max);
    let sigma = round2(wider(widest));
    let noise = noisy.iter().filter_map(|c| c.noise).fold(0.0, f64::max);
    let mut methods = vec![Method::Central.name(), Method::Es.name()];
    if d.components.len() > MANY_PARAMETERS {
        methods.reverse();
    }
    Some(Recommendation {
        method: methods[0],
        methods,
        settings: json!({ "autoStep": true, "sigma": sigma }),
        why: format!(
            "F is noisy (noise {} against |F| up to {}): default finite differences divide it by a tiny step. Central differences with the noise-optimal step per component, and ES with σ = {sigma}, above the noise scale, average it away.{wrong_df}",
            sig(noise),
            sig(d.f_scale)
        ),
    })
}

/// A slow F: the joint surrogate learns from every call it pays for.
fn costly(d: &Diagnosis, ms_per_call: Option<f64>, wrong_df: &str) -> Option<Recommendation> {
    let ms = ms_per_call.filter(|&ms| ms >= COSTLY_MS)?;
    Some(Recommendation {
        method: Method::Joint.name(),
        methods: vec![Method::Joint.name(), Method::Es.name()],
        settings: json!({}),
        why: format!(
            "F costs {ms:.2} ms a call: the joint surrogate learns F̃ from every call and trains through it for free, where differences spend {} calls a sample a step.{wrong_df}",
            2 * d.components.len() + 1
        ),
    })
}

/// Many parameters: ES costs the same whatever the dimension.
fn many_parameters(d: &Diagnosis, wrong_df: &str) -> Option<Recommendation> {
    let p = d.components.len();
    if p <= MANY_PARAMETERS {
        return None;
    }
    Some(Recommendation {
        method: Method::Es.name(),
        methods: vec![Method::Es.name(), Method::GuidedEs.name()],
        settings: json!({}),
        why: format!(
            "θ has {p} components: central differences cost {} calls a sample a step, ES a fixed 2k + 1 whatever the dimension.{wrong_df}",
            2 * p + 1
        ),
    })
}

/// Nothing stood out: central differences with their default step.
fn central(d: &Diagnosis, wrong_df: &str) -> Recommendation {
    let p = d.components.len();
    let failed = d.failures.at_start.len();
    // Measured only where F works: said so.
    let where_ = if failed > 0 {
        format!(
            "Where F works (at the start θ of {} of {} samples), it is",
            d.samples.saturating_sub(failed),
            d.samples
        )
    } else {
        "F is".into()
    };
    Recommendation {
        method: Method::Central.name(),
        methods: vec![Method::Central.name()],
        settings: json!({}),
        why: format!(
            "{where_} smooth to rounding, cheap and has {p} parameters: central differences with their default step are exact enough.{wrong_df}"
        ),
    }
}

/// ES's σ relative to theta's scale: three times `rel`, at least the default and at most 1.
fn wider(rel: f64) -> f64 {
    let default_sigma = crate::settings::default_number("methodSettings.sigma");
    (3.0 * rel).max(default_sigma).min(1.0)
}

fn sig(v: f64) -> String {
    format!("{v:.2e}")
}

/// Two significant digits.
fn round2(v: f64) -> f64 {
    if v == 0.0 || !v.is_finite() {
        return v;
    }
    let m = 10f64.powf(1.0 - v.abs().log10().floor());
    (v * m).round() / m
}
