//! Share links: the page's whole state in a URL fragment, readable for years.
//!
//! A link's fragment is `v1.` + base64url (no padding) of a zlib stream (deflate with an
//! Adler-32 checksum) of a small JSON object, optionally followed by plain options
//! (`&embed`). The JSON carries the problem script, or the id of a built-in preset in its
//! place, the selected methods, the settings that differ from the version's frozen
//! defaults, and the charts shown. Version 1's schema and defaults below are frozen: a
//! change that would make an existing link open differently adds a version and keeps this
//! one decoding as it does (golden links in `tests/golden/` check it).
//!
//! Decoding never panics and rarely fails: damaged, truncated or hand-edited links give
//! warnings a person can read, whatever could be read is kept, missing or unreadable parts
//! take the version's defaults and numbers are clamped to the ranges in [`NUMBERS`]. Only a
//! link with nothing usable (not a link, a newer version, no readable data) is an error.
//!
//! JSON is read by a small parser of its own that keeps numbers as text and converts them
//! with Rust's correctly rounded `str::parse`, so every JavaScript number survives a link
//! bit for bit (serde_json's default float parsing may be one unit in the last place off).

use crate::config::{Method, MethodSettings};
use crate::nn::Activation;
use crate::optim::OptimizerKind;
use crate::settings;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine;
use serde::Serialize;

/// The link format this code writes.
pub const VERSION: u32 = 1;
/// Largest decoded payload (the JSON: script, CSV data and settings) a link may hold.
pub const MAX_DECODED_BYTES: usize = 64 * 1024;
/// Longest fragment read: any payload within [`MAX_DECODED_BYTES`] encodes shorter.
pub const MAX_LINK_CHARS: usize = 100_000;
/// Largest seed a link keeps exactly (JavaScript's `Number.MAX_SAFE_INTEGER`).
pub use crate::settings::MAX_SEED;
/// Charts a v1 link can show or hide, in page order.
pub const CHARTS_V1: [&str; 6] = ["loss", "grad", "cos", "fit", "theta", "sweep"];
/// Longest preset id.
pub const MAX_PRESET_ID: usize = 40;

const B64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

#[derive(Debug, thiserror::Error, PartialEq)]
#[error("{0}")]
pub struct ShareError(pub String);

fn err<T>(msg: impl Into<String>) -> Result<T, ShareError> {
    Err(ShareError(msg.into()))
}

// ------------------------------------------------------------------------------------------
// The state a link carries (the page's view of it; JSON camelCase).

/// Everything a link restores. `script` is `None` when `preset` names a built-in preset,
/// whose text the page looks up (preset texts are frozen: a changed preset gets a new id).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ShareState {
    pub script: Option<String>,
    pub preset: Option<String>,
    /// Selected methods, in `Method::ALL` order.
    pub methods: Vec<Method>,
    pub settings: ShareSettings,
    /// Charts shown, in [`CHARTS_V1`] order.
    pub charts: Vec<String>,
    /// Embed mode: the page hides the editor and settings.
    pub embed: bool,
}

/// The page's run settings (what `readSettings()` in `www/app.js` returns).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ShareSettings {
    pub data: DataSettings,
    pub network: NetworkSettings,
    pub optimizer: OptimizerSettings,
    pub budget: u64,
    pub max_steps: u64,
    pub seed: u64,
    pub log_points: usize,
    pub method_settings: MethodSettings,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DataSettings {
    /// "generated" or "csv".
    pub source: String,
    /// `None`: the script's `problem.samples`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub samples: Option<usize>,
    /// `None`: the script's `problem.noise`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub noise: Option<f64>,
    pub test_fraction: f64,
    /// Pasted CSV data; empty unless `source` is "csv".
    pub csv: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkSettings {
    pub hidden: Vec<usize>,
    pub activation: Activation,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OptimizerSettings {
    pub kind: OptimizerKind,
    pub learning_rate: f64,
    pub batch_size: usize,
    pub clip: f64,
}

/// A decoded link: the state, and what a person should know about how it was read.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Decoded {
    pub version: u32,
    pub state: ShareState,
    pub warnings: Vec<String>,
    /// The link was truncated or corrupt (some of it may be lost or altered).
    pub damaged: bool,
}

// ------------------------------------------------------------------------------------------
// Version 1: frozen schema, defaults and ranges. NEVER change these; add a version instead.

/// The settings a v1 link leaves out. Frozen: links written with them must keep opening
/// with them, whatever the page's defaults become.
pub fn v1_defaults() -> ShareState {
    ShareState {
        script: None,
        preset: None,
        methods: vec![Method::Central],
        settings: ShareSettings {
            data: DataSettings {
                source: "generated".into(),
                samples: None,
                noise: None,
                test_fraction: 0.2,
                csv: String::new(),
            },
            network: NetworkSettings {
                hidden: vec![32, 32],
                activation: Activation::Tanh,
            },
            optimizer: OptimizerSettings {
                kind: OptimizerKind::Adam,
                learning_rate: 0.01,
                batch_size: 32,
                clip: 10.0,
            },
            budget: 200_000,
            max_steps: 3000,
            seed: 1,
            log_points: 60,
            method_settings: MethodSettings {
                h_rel: 0.0,
                k: 4,
                sigma: 0.05,
                lambda: 1.0,
                exploration: 0.1,
                rounds: 3,
                collect_share: 0.5,
                surrogate_hidden: vec![64, 64],
                alpha: 0.5,
                literal_loss: false,
                fit_only_rho: false,
            },
        },
        charts: CHARTS_V1.iter().map(|c| c.to_string()).collect(),
        embed: false,
    }
}

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

const TOP_KEYS: [&str; 5] = ["methods", "settings", "charts", "preset", "script"];
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
const METHOD_SETTINGS_KEYS: [&str; 11] = [
    "hRel",
    "k",
    "sigma",
    "lambda",
    "exploration",
    "rounds",
    "collectShare",
    "surrogateHidden",
    "alpha",
    "literalLoss",
    "fitOnlyRho",
];

// ------------------------------------------------------------------------------------------
// Encoding.

/// The link fragment (without `#`) of a state. Errors when the state cannot make a link
/// (too large, or no script).
pub fn encode(state: &ShareState) -> Result<String, ShareError> {
    let payload = wire_json(state)?;
    if payload.len() > MAX_DECODED_BYTES {
        return err(format!(
            "This problem is too large for a link: the script, CSV data and settings take {:.1} KiB, \
             and a link holds at most {} KiB. Shorten the CSV data or the script.",
            payload.len() as f64 / 1024.0,
            MAX_DECODED_BYTES / 1024
        ));
    }
    let packed = miniz_oxide::deflate::compress_to_vec_zlib(payload.as_bytes(), 10);
    let mut out = format!("v{VERSION}.{}", B64.encode(packed));
    if state.embed {
        out.push_str("&embed");
    }
    Ok(out)
}

/// [`encode`] of the page's state JSON (`{script, preset, methods, settings, charts, embed}`,
/// `settings` as `readSettings()` returns them). A state the page should not have produced
/// (a wrong type, a value out of range, an unknown setting) is an error naming it.
pub fn encode_json(state_json: &str) -> Result<String, ShareError> {
    if state_json.len() > 16 * MAX_DECODED_BYTES {
        return err(format!(
            "This problem is too large for a link: {:.0} KiB of script and data; a link holds at most {} KiB.",
            state_json.len() as f64 / 1024.0,
            MAX_DECODED_BYTES / 1024
        ));
    }
    let parsed = json::parse(state_json);
    let obj = match (&parsed.value, parsed.complete) {
        (Some(json::J::Obj(o)), true) => o,
        _ => return err("internal error: the page state is not a JSON object"),
    };
    let mut r = Reader::default();
    let state = r.state(obj, Mode::Page);
    if !r.warnings.is_empty() {
        return err(format!(
            "This state cannot be shared: {}",
            r.warnings.join(" ")
        ));
    }
    encode(&state)
}

/// The payload JSON: methods, settings that differ from v1's defaults, charts when not all,
/// then the preset id or the script (last, so a truncated link keeps the settings).
fn wire_json(state: &ShareState) -> Result<String, ShareError> {
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
          surrogate_hidden => "surrogateHidden", alpha => "alpha", literal_loss => "literalLoss",
          fit_only_rho => "fitOnlyRho");
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

// ------------------------------------------------------------------------------------------
// Decoding.

/// Reads a link: the fragment (`v1.…`, with or without `#`, or a whole URL). Returns the
/// state with warnings; an error only when nothing in it is usable.
pub fn decode(text: &str) -> Result<Decoded, ShareError> {
    let text = match text.find('#') {
        Some(i) => &text[i + 1..],
        None => text,
    };
    let text = text.trim();
    if text.is_empty() {
        return err("This share link is empty.");
    }
    if text.len() > MAX_LINK_CHARS {
        return err(format!(
            "This share link is too long ({} characters; a link is at most {MAX_LINK_CHARS}): it cannot have been made by the playground.",
            text.len()
        ));
    }
    let (version, rest) = split_version(text).ok_or_else(|| {
        ShareError(format!(
            "This is not a share link: it should start with \"v{VERSION}.\" but starts with {:?}.",
            text.chars().take(12).collect::<String>()
        ))
    })?;
    match version {
        1 => decode_v1(rest),
        0 => err("This share link has version 0, which never existed: the link is damaged."),
        v => err(format!(
            "This link was made by a newer version of the playground (link format v{v}); this page reads links up to v{VERSION}. Open it where it was made, or update the page."
        )),
    }
}

/// [`decode`] as JSON for the page: `{"version","state","warnings","damaged"}`.
pub fn decode_to_json(text: &str) -> Result<String, ShareError> {
    let d = decode(text)?;
    serde_json::to_string(&d).map_err(|e| ShareError(format!("internal error: {e}")))
}

fn split_version(text: &str) -> Option<(u32, &str)> {
    let rest = text.strip_prefix(['v', 'V'])?;
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 || digits > 6 {
        return None;
    }
    let v: u32 = rest[..digits].parse().ok()?;
    let rest = rest[digits..].strip_prefix('.')?;
    Some((v, rest))
}

fn decode_v1(rest: &str) -> Result<Decoded, ShareError> {
    let mut r = Reader::default();
    // Plain options after the payload: `&embed`.
    let (payload, options) = match rest.find('&') {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, ""),
    };
    let mut embed = false;
    for opt in options.split('&').filter(|o| !o.is_empty()) {
        let (k, v) = opt.split_once('=').unwrap_or((opt, ""));
        match (k, v) {
            ("embed", "" | "1" | "true" | "yes") => embed = true,
            ("embed", "0" | "false" | "no") => embed = false,
            _ => r.warn(format!(
                "The link option {:?} is not known; it was ignored.",
                short(opt, 40)
            )),
        }
    }

    // base64url, forgiving: standard-alphabet characters are mapped, anything else (line
    // breaks, padding, punctuation a mail program added) is skipped.
    let mut symbols: Vec<u8> = Vec::with_capacity(payload.len());
    let mut skipped = 0usize;
    for b in payload.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' => symbols.push(b),
            b'+' => symbols.push(b'-'),
            b'/' => symbols.push(b'_'),
            _ => skipped += 1,
        }
    }
    if symbols.len() % 4 == 1 {
        symbols.pop(); // a lone trailing symbol holds no whole byte
    }
    let bytes = B64
        .decode(&symbols)
        .map_err(|e| ShareError(format!("This share link could not be read ({e}).")))?;
    if bytes.is_empty() {
        return err("This share link holds no data after \"v1.\": it was cut off.");
    }

    // zlib: an incomplete stream or a checksum mismatch keeps what was inflated.
    let (mut data, inflate) = inflate(&bytes);
    if let Some(nul) = data.iter().position(|&b| b == 0) {
        data.truncate(nul); // JSON never holds a raw NUL; the rest is the unfilled buffer
    }
    let text = match std::str::from_utf8(&data) {
        Ok(t) => t,
        Err(e) => {
            // A damaged stream: keep the readable beginning.
            std::str::from_utf8(&data[..e.valid_up_to()]).unwrap_or_default()
        }
    };
    let utf8_cut = text.len() < data.len();
    let parsed = json::parse(text);
    let obj = match parsed.value {
        Some(json::J::Obj(o)) => o,
        Some(_) => return err("This share link does not hold a playground state: it is damaged."),
        None => {
            let why = match inflate {
                Inflate::Ok => "its data is not a playground state",
                Inflate::TooLarge => "it holds more than 64 KiB",
                _ => "it is damaged or cut off",
            };
            return err(format!("This share link could not be read: {why}."));
        }
    };
    let damaged = inflate != Inflate::Ok || utf8_cut || !parsed.complete;
    match inflate {
        Inflate::Ok if damaged => r.warn(
            "This link is damaged: it could not all be read. What could be read was restored; \
             the rest takes its defaults. Check the script and settings before you run."
                .into(),
        ),
        Inflate::Ok => {}
        Inflate::TooLarge => r.warn(format!(
            "This link holds more than {} KiB once decoded, more than any link the playground makes; only the beginning was read. Check the script and settings before you run.",
            MAX_DECODED_BYTES / 1024
        )),
        Inflate::Checksum => r.warn(
            "This link is damaged (its checksum does not match): some characters were changed. \
             What could be read was restored; check the script and settings before you run."
                .into(),
        ),
        Inflate::Truncated => r.warn(
            "This link is cut off: it ends early. What could be read was restored; the rest \
             takes its defaults. Check the script and settings before you run."
                .into(),
        ),
    }
    if damaged && skipped > 0 {
        r.warn(format!(
            "The link contained {skipped} character{} that cannot be part of a link (spaces or punctuation); they were skipped.",
            if skipped == 1 { "" } else { "s" }
        ));
    }
    let mut state = r.state(&obj, Mode::Link { damaged });
    state.embed = embed;
    Ok(Decoded {
        version: 1,
        state,
        warnings: r.warnings,
        damaged,
    })
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Inflate {
    Ok,
    TooLarge,
    Checksum,
    Truncated,
}

fn inflate(bytes: &[u8]) -> (Vec<u8>, Inflate) {
    use miniz_oxide::inflate::{decompress_to_vec_with_limit, decompress_to_vec_zlib_with_limit};
    use miniz_oxide::inflate::{DecompressError, TINFLStatus};
    let classify = |r: Result<Vec<u8>, DecompressError>| match r {
        Ok(v) => (v, Inflate::Ok),
        Err(DecompressError { status, output }) => {
            let kind = match status {
                TINFLStatus::HasMoreOutput => Inflate::TooLarge,
                TINFLStatus::Adler32Mismatch => Inflate::Checksum,
                _ => Inflate::Truncated,
            };
            (output, kind)
        }
    };
    let (out, kind) = classify(decompress_to_vec_zlib_with_limit(bytes, MAX_DECODED_BYTES));
    if kind != Inflate::Ok && out.iter().all(|&b| b == 0) && bytes.len() > 2 {
        // A damaged zlib header: try the deflate stream behind it.
        let (raw, raw_kind) =
            classify(decompress_to_vec_with_limit(&bytes[2..], MAX_DECODED_BYTES));
        if raw.iter().any(|&b| b != 0) {
            let kind = if raw_kind == Inflate::Ok {
                Inflate::Checksum
            } else {
                raw_kind
            };
            return (raw, kind);
        }
    }
    (out, kind)
}

fn short(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(n).collect::<String>())
    }
}

// ------------------------------------------------------------------------------------------
// Reading a JSON object into a state, field by field, with warnings.

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    /// The page's full state handed to `encode_json`.
    Page,
    /// A link's payload.
    Link { damaged: bool },
}

type Members = [(String, json::J)];

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
struct Reader {
    warnings: Vec<String>,
}

impl Reader {
    fn warn(&mut self, w: String) {
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

    fn state(&mut self, obj: &Members, mode: Mode) -> ShareState {
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
            literal_loss: self.boolean(ms, "literalLoss", "Literal seed loss", dm.literal_loss),
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

/// A preset id: 1 to 40 of `a-z 0-9 - _`, starting with a letter or digit.
pub fn valid_preset_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_PRESET_ID
        && id.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

// ------------------------------------------------------------------------------------------
// A small JSON parser: numbers kept as text, and what precedes an error kept (salvage).

pub mod json {
    /// A JSON value; numbers are their source text.
    #[derive(Clone, Debug, PartialEq)]
    pub enum J {
        Null,
        Bool(bool),
        Num(String),
        Str(String),
        Arr(Vec<J>),
        Obj(Vec<(String, J)>),
    }

    /// The parsed value, or as much of it as was whole before an error: an object keeps
    /// its complete members (and a partly read object member); an unfinished list, string
    /// or number is dropped. `complete` is false when anything was dropped or followed.
    pub struct Parsed {
        pub value: Option<J>,
        pub complete: bool,
    }

    const MAX_DEPTH: usize = 64;

    pub fn parse(text: &str) -> Parsed {
        let mut p = Parser {
            b: text.as_bytes(),
            i: 0,
        };
        match p.value(0) {
            Ok(v) => {
                p.ws();
                Parsed {
                    value: Some(v),
                    complete: p.i == p.b.len(),
                }
            }
            Err(partial) => Parsed {
                value: partial,
                complete: false,
            },
        }
    }

    struct Parser<'a> {
        b: &'a [u8],
        i: usize,
    }

    /// An error, with the salvaged part of the value being read (objects only).
    type Res = Result<J, Option<J>>;

    impl Parser<'_> {
        fn peek(&self) -> Option<u8> {
            self.b.get(self.i).copied()
        }
        fn ws(&mut self) {
            while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
                self.i += 1;
            }
        }
        fn eat(&mut self, c: u8) -> bool {
            if self.peek() == Some(c) {
                self.i += 1;
                true
            } else {
                false
            }
        }
        fn literal(&mut self, word: &[u8], v: J) -> Res {
            if self.b.get(self.i..self.i + word.len()) == Some(word) {
                self.i += word.len();
                Ok(v)
            } else {
                Err(None)
            }
        }

        fn value(&mut self, depth: usize) -> Res {
            self.ws();
            match self.peek() {
                Some(b'{') => self.object(depth + 1),
                Some(b'[') => self.array(depth + 1),
                Some(b'"') => self.string().map(J::Str).ok_or(None),
                Some(b't') => self.literal(b"true", J::Bool(true)),
                Some(b'f') => self.literal(b"false", J::Bool(false)),
                Some(b'n') => self.literal(b"null", J::Null),
                Some(b'-' | b'0'..=b'9') => self.number().ok_or(None),
                _ => Err(None),
            }
        }

        fn object(&mut self, depth: usize) -> Res {
            if depth > MAX_DEPTH {
                return Err(None);
            }
            self.i += 1; // '{'
            let mut members: Vec<(String, J)> = Vec::new();
            self.ws();
            if self.eat(b'}') {
                return Ok(J::Obj(members));
            }
            loop {
                self.ws();
                let Some(key) = self.string() else {
                    return Err(Some(J::Obj(members)));
                };
                self.ws();
                if !self.eat(b':') {
                    return Err(Some(J::Obj(members)));
                }
                match self.value(depth) {
                    Ok(v) => members.push((key, v)),
                    Err(partial) => {
                        if let Some(p) = partial {
                            members.push((key, p));
                        }
                        return Err(Some(J::Obj(members)));
                    }
                }
                self.ws();
                if self.eat(b',') {
                    continue;
                }
                if self.eat(b'}') {
                    return Ok(J::Obj(members));
                }
                return Err(Some(J::Obj(members)));
            }
        }

        fn array(&mut self, depth: usize) -> Res {
            if depth > MAX_DEPTH {
                return Err(None);
            }
            self.i += 1; // '['
            let mut items = Vec::new();
            self.ws();
            if self.eat(b']') {
                return Ok(J::Arr(items));
            }
            loop {
                // A list cut short means something else than the whole list: dropped.
                items.push(self.value(depth).map_err(|_| None)?);
                self.ws();
                if self.eat(b',') {
                    continue;
                }
                if self.eat(b']') {
                    return Ok(J::Arr(items));
                }
                return Err(None);
            }
        }

        fn hex4(&mut self) -> Option<u32> {
            let h = self.b.get(self.i..self.i + 4)?;
            let s = std::str::from_utf8(h).ok()?;
            if !s.bytes().all(|c| c.is_ascii_hexdigit()) {
                return None;
            }
            self.i += 4;
            u32::from_str_radix(s, 16).ok()
        }

        fn string(&mut self) -> Option<String> {
            if !self.eat(b'"') {
                return None;
            }
            let mut out: Vec<u8> = Vec::new();
            loop {
                let start = self.i;
                while let Some(c) = self.peek() {
                    if c == b'"' || c == b'\\' || c < 0x20 {
                        break;
                    }
                    self.i += 1;
                }
                out.extend_from_slice(self.b.get(start..self.i)?);
                match self.peek()? {
                    b'"' => {
                        self.i += 1;
                        return String::from_utf8(out).ok();
                    }
                    b'\\' => {
                        self.i += 1;
                        let e = self.peek()?;
                        self.i += 1;
                        let c = match e {
                            b'"' => '"',
                            b'\\' => '\\',
                            b'/' => '/',
                            b'b' => '\u{8}',
                            b'f' => '\u{c}',
                            b'n' => '\n',
                            b'r' => '\r',
                            b't' => '\t',
                            b'u' => {
                                let hi = self.hex4()?;
                                if (0xD800..0xDC00).contains(&hi) {
                                    // A surrogate pair, or a lone surrogate (U+FFFD).
                                    let save = self.i;
                                    let lo = if self.b.get(self.i..self.i + 2) == Some(b"\\u") {
                                        self.i += 2;
                                        self.hex4()
                                    } else {
                                        None
                                    };
                                    match lo {
                                        Some(lo) if (0xDC00..0xE000).contains(&lo) => {
                                            char::from_u32(
                                                0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00),
                                            )
                                            .unwrap_or('\u{FFFD}')
                                        }
                                        _ => {
                                            self.i = save;
                                            '\u{FFFD}'
                                        }
                                    }
                                } else {
                                    char::from_u32(hi).unwrap_or('\u{FFFD}')
                                }
                            }
                            _ => return None,
                        };
                        let mut buf = [0u8; 4];
                        out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                    }
                    _ => return None, // a raw control character
                }
            }
        }

        fn digits(&mut self) -> usize {
            let start = self.i;
            while let Some(b'0'..=b'9') = self.peek() {
                self.i += 1;
            }
            self.i - start
        }

        fn number(&mut self) -> Option<J> {
            let start = self.i;
            self.eat(b'-');
            if self.eat(b'0') {
                // no leading zeros
            } else if self.digits() == 0 {
                return None;
            }
            if self.eat(b'.') && self.digits() == 0 {
                return None;
            }
            if self.eat(b'e') || self.eat(b'E') {
                if !self.eat(b'+') {
                    self.eat(b'-');
                }
                if self.digits() == 0 {
                    return None;
                }
            }
            let raw = std::str::from_utf8(self.b.get(start..self.i)?).ok()?;
            // A number that ends the text may have been cut: keep it only if more follows.
            if self.i == self.b.len() {
                return None;
            }
            Some(J::Num(raw.to_string()))
        }
    }
}
