//! The user's F as the core sees it in a worker: JS batch functions behind `BlackBox`, with
//! the time spent in them, and errors as the worker gets them. Used by a run (`Session`) and
//! by Diagnose F (`Diagnosis`), which are built into different `.wasm` files.

use crate::config::{self, RunConfig};
use crate::problem::{BlackBox, Dims, EvalError};
use crate::session::SessionError;
use js_sys::{Float64Array, Function};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[wasm_bindgen]
extern "C" {
    /// `performance.now()`: a global in windows and workers alike.
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    fn performance_now() -> f64;
}

/// Time spent evaluating F and the rows evaluated, from wasm's side of the crossing: it
/// includes passing the rows to JS and copying the outputs back. Reported in the status, so
/// a run shows how its time splits between F and the network (and `make bench` measures the
/// F path of a real run).
#[derive(Default)]
pub(super) struct FTime {
    pub(super) ms: Cell<f64>,
    pub(super) rows: Cell<f64>,
}

/// The value the user's code (through the worker's wrappers) threw last: it goes back to the
/// worker as it was thrown, with its own message and line, not as a new Error made of its text.
pub(super) type Thrown = Rc<RefCell<Option<JsValue>>>;

/// The message of a thrown JS value.
fn js_message(v: &JsValue) -> String {
    if let Some(e) = v.dyn_ref::<js_sys::Error>() {
        return String::from(e.message());
    }
    v.as_string().unwrap_or_else(|| format!("{v:?}"))
}

/// F (and optionally dF, thetaTrue) as batch functions written in JS (www/worker/script.js): each
/// gets the rows as `Float64Array`s, the row count, and a `Float64Array` to write its outputs
/// into; one crossing per batch.
#[derive(Clone)]
pub(super) struct JsBlackBox {
    dims: Dims,
    f: Function,
    df: Option<Function>,
    theta_true: Option<Function>,
    pub(super) f_time: Rc<FTime>,
    thrown: Thrown,
}

/// Calls a batch wrapper on `inputs` (row-major) and lets it write `out`. The arrays it gets
/// are views of wasm memory, not copies, so a batch allocates nothing and copies nothing.
/// A view goes stale if wasm memory grows; that cannot happen while the wrapper runs, because
/// no wasm code runs then (the user's script cannot reach this module), and every call makes
/// new views.
fn call_batch(
    thrown: &Thrown,
    func: &Function,
    inputs: &[&[f64]],
    rows: usize,
    out: &mut [f64],
) -> Result<(), EvalError> {
    let n = JsValue::from(rows as u32);
    // SAFETY: the views live only for this call, during which wasm memory cannot grow
    // (above), and `out` is not touched from Rust until the call returns.
    let out_view: JsValue =
        unsafe { Float64Array::view_mut_raw(out.as_mut_ptr(), out.len()) }.into();
    let r = match inputs {
        [xs, thetas] => {
            let (xs, thetas): (JsValue, JsValue) = unsafe {
                (
                    Float64Array::view(xs).into(),
                    Float64Array::view(thetas).into(),
                )
            };
            func.call4(&JsValue::NULL, &xs, &thetas, &n, &out_view)
        }
        [xs] => {
            let xs: JsValue = unsafe { Float64Array::view(xs).into() };
            func.call3(&JsValue::NULL, &xs, &n, &out_view)
        }
        _ => unreachable!(),
    };
    r.map(|_| ()).map_err(|e| {
        let message = js_message(&e);
        *thrown.borrow_mut() = Some(e);
        EvalError(message)
    })
}

impl BlackBox for JsBlackBox {
    fn dims(&self) -> Dims {
        self.dims
    }
    fn eval_batch(&mut self, xs: &[f64], thetas: &[f64], out: &mut [f64]) -> Result<(), EvalError> {
        let t0 = performance_now();
        // Rows by theta: x may have no columns (calibration).
        let rows = thetas.len() / self.dims.theta;
        let r = call_batch(&self.thrown, &self.f, &[xs, thetas], rows, out);
        let t = &self.f_time;
        t.ms.set(t.ms.get() + (performance_now() - t0));
        t.rows.set(t.rows.get() + rows as f64);
        r
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
        call_batch(
            &self.thrown,
            df,
            &[xs, thetas],
            thetas.len() / self.dims.theta,
            out,
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
        call_batch(&self.thrown, tt, &[xs], out.len() / self.dims.theta, out)
    }
}

pub(super) fn now_ms() -> f64 {
    performance_now()
}

impl JsBlackBox {
    /// The checked settings (completed from the script's `problem`, yDim probed when it is
    /// not given; `adjust` may change the raw settings first) and the black box over the
    /// batch wrappers: what a run and a diagnosis start from.
    pub(super) fn prepare(
        settings_json: &str,
        problem_json: &str,
        f: Function,
        df: Option<Function>,
        theta_true: Option<Function>,
        probe: Function,
        adjust: impl FnOnce(&mut config::RawConfig),
    ) -> Result<(RunConfig, JsBlackBox), JsValue> {
        let fail = |e: config::ConfigError| -> JsValue { JsError::new(&e.0).into() };
        let mut raw = config::complete(settings_json, problem_json).map_err(fail)?;
        if raw.problem.y_dim.is_none() {
            let (x, theta) = config::probe_point(&raw);
            let x: JsValue = Float64Array::from(&x[..]).into();
            let theta: JsValue = Float64Array::from(&theta[..]).into();
            let n = probe.call2(&JsValue::NULL, &x, &theta)?;
            raw.problem.y_dim = n.as_f64().map(|v| v as usize);
        }
        adjust(&mut raw);
        let cfg = RunConfig::from_raw(raw).map_err(fail)?;
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
            f_time: Rc::new(FTime::default()),
            thrown: Thrown::default(),
        };
        Ok((cfg, bb))
    }

    /// Where the value the user's code threw last is kept.
    pub(super) fn thrown(&self) -> Thrown {
        self.thrown.clone()
    }

    /// Milliseconds inside F so far.
    #[cfg_attr(not(feature = "diagnose"), allow(dead_code))] // Diagnose F's alone
    pub(super) fn f_time_ms(&self) -> f64 {
        self.f_time.ms.get()
    }

    /// Milliseconds per F row so far (crossing included); `None` before any.
    #[cfg_attr(not(feature = "diagnose"), allow(dead_code))] // Diagnose F's alone
    pub(super) fn ms_per_call(&self) -> Option<f64> {
        let rows = self.f_time.rows.get();
        (rows > 0.0).then(|| self.f_time.ms.get() / rows)
    }
}

/// A failure as the worker gets it: the very value the user's code threw when it was
/// that, else an Error whose message says what to change.
pub(super) fn to_js(e: SessionError, thrown: &Thrown) -> JsValue {
    match (&e, thrown.borrow_mut().take()) {
        (SessionError::Eval(_), Some(v)) => v,
        _ => JsError::new(&e.to_string()).into(),
    }
}
