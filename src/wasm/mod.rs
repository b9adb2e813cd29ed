//! The only module that knows JavaScript. Three parts, built as three `.wasm` files so each
//! stays small: `session` (feature `session`) is the worker's `Session` handle (config in,
//! history out as `Float64Array`s, F called in batches through JS functions, `js_f`);
//! `diagnose` (feature `diagnose`) is the `Diagnosis` handle for Diagnose F, over the same F,
//! loaded only when Diagnose F is first pressed; `page` (feature `page`) draws charts on the
//! page's canvases and reads and writes share links. Errors cross as JS `Error`s.

use crate::session::HISTORY_FIELDS;
use wasm_bindgen::prelude::*;

#[cfg(feature = "diagnose")]
mod diagnose;
#[cfg(any(feature = "session", feature = "diagnose"))]
mod js_f;
#[cfg(any(feature = "session", feature = "diagnose"))]
mod math;
#[cfg(feature = "page")]
mod page;
#[cfg(feature = "session")]
mod session;

#[cfg(feature = "page")]
pub use page::{decode_state, draw_chart, encode_state};
#[cfg(feature = "session")]
pub use session::WasmSession;

#[wasm_bindgen(start)]
fn start() {
    console_error_panic_hook::set_once();
}

/// Names of the 8 numbers of a history row.
#[wasm_bindgen(js_name = historyFields)]
pub fn history_fields() -> String {
    serde_json::to_string(&HISTORY_FIELDS).unwrap()
}
