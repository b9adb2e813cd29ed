//! The wasm boundary in a real browser (headless Chromium through wasm-bindgen-test):
//! a session trains through JS batch functions, the core completes the settings from the
//! script's `problem` and probes yDim, the value F threw crosses back as that same value, and
//! drawChart paints a canvas.
#![cfg(target_arch = "wasm32")]

use blackbox_playground::wasm::{draw_chart, WasmSession};
use js_sys::Function;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const CONFIG: &str = r#"{"method":"central","budget":20000,"seed":3,
  "problem":{"xDim":1,"thetaDim":1,"yDim":1},"network":{"hidden":[8]}}"#;

/// A batch function with the worker's wrapper's signature: rows in, outputs written to `out`
/// (a view of wasm memory).
fn batch_f(body: &str) -> Function {
    Function::new_with_args("xs, ts, n, out", body)
}

fn theta_true() -> Function {
    Function::new_with_args(
        "xs, n, out",
        "for (let i = 0; i < n; i++) out[i] = 0.5 + xs[i];",
    )
}

/// A probe that must not be called (the settings give yDim).
fn no_probe() -> Function {
    Function::new_with_args(
        "x, theta",
        "throw new Error('probe called although yDim was given');",
    )
}

/// A session on `CONFIG` with the script's `problem` left out.
fn session(f: Function) -> Result<WasmSession, JsValue> {
    WasmSession::new(CONFIG, "null", f, None, Some(theta_true()), no_probe())
}

/// Runs a session in 20 ms chunks until it ends.
fn run_to_end(s: &mut WasmSession) {
    let mut chunks = 0;
    while !s.run_chunk(20.0, 1e9).map_err(message).unwrap() {
        chunks += 1;
        assert!(chunks < 10_000, "run does not end");
    }
}

/// The training loss of the first and the last logged row.
fn first_and_last_train_loss(s: &WasmSession) -> (f64, f64) {
    let rows = s.history_rows(0).to_vec();
    assert_eq!(
        rows.len(),
        blackbox_playground::session::HISTORY_FIELDS.len() * s.history_len()
    );
    let width = blackbox_playground::session::HISTORY_FIELDS.len();
    (rows[4], rows[rows.len() - width + 4])
}

fn message(e: JsValue) -> String {
    String::from(e.unchecked_into::<js_sys::Error>().message())
}

#[wasm_bindgen_test]
fn a_session_trains_through_js_batch_functions() {
    // F(x, theta) = theta * x
    let f = batch_f("for (let i = 0; i < n; i++) out[i] = ts[i] * xs[i];");
    let mut s = session(f).map_err(message).unwrap();
    run_to_end(&mut s);
    let (first, last) = first_and_last_train_loss(&s);
    assert!(last < first / 10.0, "train loss {first} -> {last}");
    let status: serde_json::Value = serde_json::from_str(&s.status_json()).unwrap();
    assert_eq!(status["done"], true);
    assert!(status["evals"].as_u64().unwrap() <= 20_000);
    // Every F row (learning, monitoring, the fit) is counted with the time spent in F.
    let counted = status["evals"].as_f64().unwrap() + status["monitorEvals"].as_f64().unwrap();
    assert!(status["fRows"].as_f64().unwrap() >= counted, "{status}");
    assert!(status["fMs"].as_f64().unwrap() > 0.0, "{status}");
    let fit: serde_json::Value =
        serde_json::from_str(&s.fit_json().map_err(message).unwrap()).unwrap();
    assert_eq!(
        fit["yTrue"].as_array().unwrap().len(),
        fit["yPred"].as_array().unwrap().len()
    );
}

#[wasm_bindgen_test]
fn batches_stay_right_when_wasm_memory_grows_between_them() {
    // F gets views of wasm memory; growing the memory detaches the old buffer. Fresh views
    // for every batch keep F's rows and outputs right after a growth.
    let f = batch_f("for (let i = 0; i < n; i++) out[i] = ts[i] * xs[i];");
    let mut s = session(f).map_err(message).unwrap();
    assert!(!s.run_chunk(1e9, 5.0).map_err(message).unwrap());
    let memory: js_sys::WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
    let bytes = || {
        memory
            .buffer()
            .unchecked_into::<js_sys::ArrayBuffer>()
            .byte_length()
    };
    let before = bytes();
    let big = std::hint::black_box(vec![1.0f64; 8 << 20]); // 64 MiB: more than the memory had
    assert!(
        bytes() > before,
        "the memory grew ({before} -> {})",
        bytes()
    );
    run_to_end(&mut s);
    assert_eq!(big[big.len() - 1], 1.0);
    let (first, last) = first_and_last_train_loss(&s);
    assert!(last < first / 10.0, "train loss {first} -> {last}");
    let status: serde_json::Value = serde_json::from_str(&s.status_json()).unwrap();
    assert_eq!(status["done"], true, "{status}");
}

#[wasm_bindgen_test]
fn the_value_f_threw_reaches_js_as_that_same_value() {
    let f = batch_f(
        "if (n > 300) { const e = new Error('F threw at x=[0.1], theta=[2]: boom'); e.line = 7; throw e; }",
    );
    let mut s = session(f).map_err(message).unwrap();
    let mut result = Ok(false);
    for _ in 0..100 {
        result = s.run_chunk(20.0, 1e9);
        if !matches!(result, Ok(false)) {
            break;
        }
    }
    let thrown = result.err().expect("F's error ends the run");
    let line = js_sys::Reflect::get(&thrown, &JsValue::from_str("line")).unwrap();
    assert_eq!(
        line.as_f64(),
        Some(7.0),
        "the worker's own error object, line and all"
    );
    let e = message(thrown);
    assert!(e.contains("boom") && e.contains("theta=[2]"), "{e}");
    let status: serde_json::Value = serde_json::from_str(&s.status_json()).unwrap();
    assert!(status["error"].as_str().unwrap().contains("boom"));
}

#[wasm_bindgen_test]
fn bad_settings_are_refused_with_a_message() {
    let f = batch_f("");
    let e = WasmSession::new(
        r#"{"method":"newton","problem":{"yDim":1}}"#,
        r#"{"xDim":1,"thetaDim":1}"#,
        f,
        None,
        None,
        no_probe(),
    )
    .err()
    .map(message)
    .unwrap();
    assert!(e.contains("unknown method"), "{e}");
}

#[wasm_bindgen_test]
fn the_core_completes_the_settings_from_the_script_and_probes_y_dim() {
    // The script says the shape; the page says nothing about it. F gives 2 outputs.
    let f = batch_f(
        "for (let i = 0; i < n; i++) { out[2 * i] = ts[i]; out[2 * i + 1] = ts[i] * xs[i]; }",
    );
    let probe = Function::new_with_args(
        "x, theta",
        "if (x.length !== 1 || x[0] !== 1 || theta[0] !== 0.5) throw new Error('probed at ' + x + ' / ' + theta); return 2;",
    );
    let s = WasmSession::new(
        r#"{"method":"central","budget":2000}"#,
        r#"{"xDim":1,"thetaDim":1,"xRange":[0,2],"thetaBounds":[[0.5,3]],"samples":40}"#,
        f,
        None,
        Some(theta_true()),
        probe,
    )
    .map_err(message)
    .unwrap();
    let fit: serde_json::Value = serde_json::from_str(&s.status_json()).unwrap();
    assert_eq!(fit["budget"], 2000);
    assert_eq!(s.history_len(), 0);
    let mut s = s;
    let fit: serde_json::Value =
        serde_json::from_str(&s.fit_json().map_err(message).unwrap()).unwrap();
    assert_eq!(fit["yDim"], 2);
    assert_eq!(fit["xDim"], 1);
    // 40 samples, a fifth held out: 8 test rows of 2 outputs.
    assert_eq!(fit["yTrue"].as_array().unwrap().len(), 16);
}

#[wasm_bindgen_test]
fn draw_chart_paints_a_canvas() {
    let make = Function::new_no_args(
        "const c = document.createElement('canvas'); c.width = 400; c.height = 260; document.body.appendChild(c); return c;",
    );
    let canvas: web_sys::HtmlCanvasElement = make.call0(&JsValue::NULL).unwrap().unchecked_into();
    let spec = r##"{"title":"Loss","logY":true,"series":[{"label":"Central differences","color":"#d62728","points":[[0,1],[10,0.1],[20,0.01]]}]}"##;
    let geometry = draw_chart(canvas.clone(), spec)
        .map_err(|e| message(e.into()))
        .unwrap();
    assert!(geometry.contains("\"logY\":true"));
    let count_red = Function::new_with_args(
        "c",
        "const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let k = 0; \
         for (let i = 0; i < d.length; i += 4) if (d[i] > 180 && d[i + 1] < 90 && d[i + 2] < 90) k++; return k;",
    );
    let red = count_red
        .call1(&JsValue::NULL, &canvas)
        .unwrap()
        .as_f64()
        .unwrap();
    assert!(
        red > 50.0,
        "the red series should be on the canvas ({red} red pixels)"
    );
}
