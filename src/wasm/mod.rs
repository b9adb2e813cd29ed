//! The only module that knows JavaScript. Two parts, built as two `.wasm` files so each
//! stays small: `session` (feature `session`) is the worker's `Session` handle (config in,
//! history out as `Float64Array`s, F called in batches through JS functions); `page`
//! (feature `page`) draws charts on the page's canvases and reads and writes share links.
//! Errors cross as JS `Error`s.

use crate::config::Method;
use crate::session::HISTORY_FIELDS;
use wasm_bindgen::prelude::*;

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

/// `[{"name":"central","label":"Central differences"}, ...]` in DESIGN.md order.
#[wasm_bindgen(js_name = methodNames)]
pub fn method_names() -> String {
    let v: Vec<_> = Method::ALL
        .iter()
        .map(|m| serde_json::json!({"name": m.name(), "label": m.label()}))
        .collect();
    serde_json::Value::from(v).to_string()
}

/// Names of the 8 numbers of a history row.
#[wasm_bindgen(js_name = historyFields)]
pub fn history_fields() -> String {
    serde_json::to_string(&HISTORY_FIELDS).unwrap()
}
