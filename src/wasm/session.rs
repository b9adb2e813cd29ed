//! The worker's side of the boundary: one `Session` per run, F as JS batch functions.

use crate::config::RunConfig;
use crate::problem::{BlackBox, Dims, EvalError};
use crate::session::Session;
use js_sys::{Float64Array, Function};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// The message of a thrown JS value.
fn js_message(v: &JsValue) -> String {
    if let Some(e) = v.dyn_ref::<js_sys::Error>() {
        return String::from(e.message());
    }
    v.as_string().unwrap_or_else(|| format!("{v:?}"))
}

/// F (and optionally dF, thetaTrue) as batch functions written in JS: each takes
/// `Float64Array`s of rows and returns one `Float64Array`; one crossing per batch.
struct JsBlackBox {
    dims: Dims,
    f: Function,
    df: Option<Function>,
    theta_true: Option<Function>,
}

fn call_batch(
    func: &Function,
    args: &[&JsValue],
    out: &mut [f64],
    what: &str,
) -> Result<(), EvalError> {
    let r = match args {
        [a, b, c] => func.call3(&JsValue::NULL, a, b, c),
        [a, b] => func.call2(&JsValue::NULL, a, b),
        _ => unreachable!(),
    }
    .map_err(|e| EvalError(js_message(&e)))?;
    let arr: Float64Array = r.dyn_into().map_err(|_| {
        EvalError(format!(
            "internal error: the {what} batch wrapper must return a Float64Array"
        ))
    })?;
    if arr.length() as usize != out.len() {
        return Err(EvalError(format!(
            "internal error: the {what} batch wrapper returned {} numbers, expected {}",
            arr.length(),
            out.len()
        )));
    }
    arr.copy_to(out);
    Ok(())
}

impl BlackBox for JsBlackBox {
    fn dims(&self) -> Dims {
        self.dims
    }
    fn eval_batch(&mut self, xs: &[f64], thetas: &[f64], out: &mut [f64]) -> Result<(), EvalError> {
        let n = JsValue::from((xs.len() / self.dims.x) as u32);
        call_batch(
            &self.f,
            &[
                &Float64Array::from(xs).into(),
                &Float64Array::from(thetas).into(),
                &n,
            ],
            out,
            "F",
        )
    }
    fn has_jacobian(&self) -> bool {
        self.df.is_some()
    }
    fn jacobian_batch(
        &mut self,
        xs: &[f64],
        thetas: &[f64],
        out: &mut [f64],
    ) -> Result<(), EvalError> {
        let df = self
            .df
            .as_ref()
            .ok_or_else(|| EvalError("this problem has no dF".into()))?;
        let n = JsValue::from((xs.len() / self.dims.x) as u32);
        call_batch(
            df,
            &[
                &Float64Array::from(xs).into(),
                &Float64Array::from(thetas).into(),
                &n,
            ],
            out,
            "dF",
        )
    }
    fn has_theta_true(&self) -> bool {
        self.theta_true.is_some()
    }
    fn theta_true_batch(&mut self, xs: &[f64], out: &mut [f64]) -> Result<(), EvalError> {
        let tt = self
            .theta_true
            .as_ref()
            .ok_or_else(|| EvalError("this problem has no thetaTrue".into()))?;
        let n = JsValue::from((xs.len() / self.dims.x) as u32);
        call_batch(tt, &[&Float64Array::from(xs).into(), &n], out, "thetaTrue")
    }
}

/// Milliseconds from the global `performance.now()` (window or worker).
fn now_ms() -> f64 {
    let perf = js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("performance")).ok();
    perf.and_then(|p| {
        let now = js_sys::Reflect::get(&p, &JsValue::from_str("now")).ok()?;
        now.dyn_into::<Function>().ok()?.call0(&p).ok()?.as_f64()
    })
    .unwrap_or_else(js_sys::Date::now)
}

/// One run of one method, for a worker.
#[wasm_bindgen(js_name = Session)]
pub struct WasmSession {
    inner: Session,
}

#[wasm_bindgen(js_class = Session)]
impl WasmSession {
    /// `f(xs, thetas, n)`, `df(xs, thetas, n)` (or null), `thetaTrue(xs, n)` (or null).
    #[wasm_bindgen(constructor)]
    pub fn new(
        config_json: &str,
        f: Function,
        df: Option<Function>,
        theta_true: Option<Function>,
    ) -> Result<WasmSession, JsError> {
        let cfg = RunConfig::from_json(config_json).map_err(|e| JsError::new(&e.to_string()))?;
        let dims = Dims {
            x: cfg.x_dim,
            theta: cfg.theta_dim,
            y: cfg.y_dim,
        };
        let bb = JsBlackBox {
            dims,
            f,
            df,
            theta_true,
        };
        let inner = Session::new(cfg, Box::new(bb)).map_err(|e| JsError::new(&e.to_string()))?;
        Ok(WasmSession { inner })
    }

    /// Works for up to `max_ms` or `max_steps` steps; true when the run has ended.
    #[wasm_bindgen(js_name = runChunk)]
    pub fn run_chunk(&mut self, max_ms: f64, max_steps: f64) -> Result<bool, JsError> {
        let steps = if max_steps.is_finite() && max_steps >= 0.0 {
            max_steps as u64
        } else {
            u64::MAX
        };
        self.inner
            .run_chunk(max_ms, steps, &now_ms)
            .map_err(|e| JsError::new(&e.to_string()))
    }

    #[wasm_bindgen(js_name = historyLen)]
    pub fn history_len(&self) -> usize {
        self.inner.history().len()
    }

    /// Rows `from..` flattened, 8 numbers a row (see `historyFields()`); NaN = not measured.
    #[wasm_bindgen(js_name = historyRows)]
    pub fn history_rows(&self, from: usize) -> Float64Array {
        let rows = self.inner.history();
        let flat: Vec<f64> = rows.iter().skip(from).flat_map(|r| r.to_array()).collect();
        Float64Array::from(&flat[..])
    }

    #[wasm_bindgen(js_name = statusJson)]
    pub fn status_json(&self) -> String {
        self.inner.status().to_string()
    }

    /// Predicted against observed outputs (uses monitoring evaluations of F).
    #[wasm_bindgen(js_name = fitJson)]
    pub fn fit_json(&mut self) -> Result<String, JsError> {
        self.inner
            .fit_report()
            .map(|v| v.to_string())
            .map_err(|e| JsError::new(&e.to_string()))
    }

    /// `{"reference","defaults":{central,forward},"rows":[[h, centralErr, forwardErr], ...]}`
    /// for relative steps `h` from 1e-13 to 1e-1 (monitoring evaluations).
    #[wasm_bindgen(js_name = stepSweepJson)]
    pub fn step_sweep_json(&mut self) -> Result<String, JsError> {
        let hs: Vec<f64> = (0..=24)
            .map(|i| 10f64.powf(-13.0 + i as f64 / 2.0))
            .collect();
        self.inner
            .step_sweep(&hs)
            .map(|v| v.to_string())
            .map_err(|e| JsError::new(&e.to_string()))
    }

    #[wasm_bindgen(js_name = weightsJson)]
    pub fn weights_json(&self) -> String {
        self.inner.policy().to_json().to_string()
    }

    pub fn stop(&mut self) {
        self.inner.stop();
    }
}
