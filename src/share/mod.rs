//! Share links: the page's whole state in a URL fragment, readable for years.
//!
//! A link's fragment is `v1.` + base64url (no padding) of a zlib stream (deflate with an
//! Adler-32 checksum) of a small JSON object, optionally followed by plain options
//! (`&embed`). The JSON carries the problem script, or the id of a built-in preset in its
//! place, the selected methods, the settings that differ from the version's frozen
//! defaults, and the charts shown. Version 1's schema and defaults (`v1.rs`) are frozen: a
//! change that would make an existing link open differently adds a version and keeps this
//! one decoding as it does (golden links in `tests/golden/` check it).
//!
//! Decoding never panics and rarely fails: damaged, truncated or hand-edited links give
//! warnings a person can read, whatever could be read is kept, missing or unreadable parts
//! take the version's defaults and numbers are clamped to the ranges in [`numbers`]. Only a
//! link with nothing usable (not a link, a newer version, no readable data) is an error.
//!
//! JSON is read by a small parser of its own that keeps numbers as text and converts them
//! with Rust's correctly rounded `str::parse`, so every JavaScript number survives a link
//! bit for bit (serde_json's default float parsing may be one unit in the last place off).
//!
//! The run settings are read and written as `settings::SETTINGS` lists them (path, label,
//! kind, range); only their defaults are v1's own. Files: `codec` (base64, zlib, the
//! fragment), `json` (the salvaging parser), `reader` (payload -> state), `values` (one
//! value by its kind), `writer` (state -> payload), `v1` (what is frozen).

mod codec;
pub mod json;
mod reader;
pub mod v1;
mod values;
mod writer;

pub use v1::{v1_defaults, valid_preset_id, CHARTS_V1, MAX_PRESET_ID};
pub use values::{numbers, NumSpec};

use crate::config::{Method, MethodSettings};
use crate::nn::Activation;
use crate::optim::OptimizerKind;
use crate::settings::{Scope, Setting, SETTINGS};
use reader::{Mode, Reader};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The link format this code writes.
pub const VERSION: u32 = 1;
/// Largest decoded payload (the JSON: script, CSV data and settings) a link may hold.
pub const MAX_DECODED_BYTES: usize = 64 * 1024;
/// Longest fragment read: any payload within [`MAX_DECODED_BYTES`] encodes shorter.
pub const MAX_LINK_CHARS: usize = 100_000;
/// Largest seed a link keeps exactly (JavaScript's `Number.MAX_SAFE_INTEGER`).
pub use crate::settings::MAX_SEED;

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

/// The page's run settings (what `readSettings()` in `www/app/settings-form.js` returns).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShareSettings {
    pub data: DataSettings,
    pub network: NetworkSettings,
    pub optimizer: OptimizerSettings,
    pub budget: u64,
    pub max_steps: u64,
    pub seed: u64,
    pub log_points: usize,
    /// Fraction of the starting loss that counts as reaching the target (added after v1
    /// was first written; v1 links without it take 0.05).
    pub target: f64,
    /// The verdict's convergence rule (added after v1; v1 links, made when the verdict used
    /// the fixed target, take "start").
    pub convergence: String,
    /// Runs per method (added after v1 was first written; v1 links without it take 1).
    pub repeats: u64,
    /// "stop" or "skip" when F fails (added after v1; v1 links: "stop").
    pub on_failure: String,
    /// Learning-rate tuning with pilot runs (added after v1; v1 links: off, share 0.2).
    pub tune: bool,
    pub tune_share: f64,
    pub method_settings: MethodSettings,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkSettings {
    pub hidden: Vec<usize>,
    pub activation: Activation,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OptimizerSettings {
    pub kind: OptimizerKind,
    pub learning_rate: f64,
    pub batch_size: usize,
    pub clip: f64,
    /// A method's own learning rate by method name (added after v1; v1 links: none).
    #[serde(default)]
    pub method_rates: BTreeMap<String, f64>,
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
// Encoding.

/// The link fragment (without `#`) of a state. Errors when the state cannot make a link
/// (too large, or no script).
pub fn encode(state: &ShareState) -> Result<String, ShareError> {
    let payload = writer::wire_json(state)?;
    if payload.len() > MAX_DECODED_BYTES {
        return err(format!(
            "This problem is too large for a link: the script, CSV data and settings take {:.1} KiB, \
             and a link holds at most {} KiB. Shorten the CSV data or the script.",
            payload.len() as f64 / 1024.0,
            MAX_DECODED_BYTES / 1024
        ));
    }
    Ok(codec::pack(&payload, state.embed))
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

// ------------------------------------------------------------------------------------------
// Decoding.

/// Reads a link: the fragment (`v1.…`, with or without `#`, or a whole URL). Returns the
/// state with warnings; an error only when nothing in it is usable.
pub fn decode(text: &str) -> Result<Decoded, ShareError> {
    let (version, rest) = codec::fragment(text)?;
    match version {
        1 => decode_v1(&rest),
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

fn decode_v1(rest: &str) -> Result<Decoded, ShareError> {
    let u = codec::unpack(rest)?;
    let mut r = Reader::default();
    for note in &u.notes {
        r.warn(note.clone());
    }
    let parsed = json::parse(&u.text);
    let obj = match parsed.value {
        Some(json::J::Obj(o)) => o,
        Some(_) => return err("This share link does not hold a playground state: it is damaged."),
        None => return Err(u.unreadable()),
    };
    let mut u = u;
    if u.inflate == codec::Inflate::Truncated && parsed.complete {
        // The whole payload came out, yet the stream did not end as it should: its end
        // was changed, not cut.
        u.inflate = codec::Inflate::Damaged;
    }
    let damaged = u.inflate != codec::Inflate::Ok || u.utf8_cut || !parsed.complete;
    for w in u.damage_warnings(damaged) {
        r.warn(w);
    }
    let mut state = r.state(&obj, Mode::Link { damaged });
    state.embed = u.embed;
    Ok(Decoded {
        version: 1,
        state,
        warnings: r.warnings,
        damaged,
    })
}

/// `s`, or its first `n` characters and an ellipsis.
fn short(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(n).collect::<String>())
    }
}

/// The settings a link holds, in the table's order (`Scope::Run`; the page's own settings
/// stay out of links).
fn run_settings() -> impl Iterator<Item = &'static Setting> {
    SETTINGS.iter().filter(|s| s.scope == Scope::Run)
}

/// The members of a payload object, in the order written.
type Members = [(String, json::J)];
