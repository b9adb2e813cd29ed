//! The worker's side of the boundary: one `Session` per run, F as JS batch functions.

use crate::config::{self, RunConfig};
use crate::problem::{BlackBox, Dims, EvalError};
use crate::session::{ChunkEnd, Session, SessionError, TunedRun};
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
struct FTime {
    ms: Cell<f64>,
    rows: Cell<f64>,
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
    f_time: Rc<FTime>,
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
    pub(super) fn f_time_ms(&self) -> f64 {
        self.f_time.ms.get()
    }

    /// Milliseconds per F row so far (crossing included); `None` before any.
    pub(super) fn ms_per_call(&self) -> Option<f64> {
        let rows = self.f_time.rows.get();
        (rows > 0.0).then(|| self.f_time.ms.get() / rows)
    }
}

/// Where `runChunkResumable` left off, as the worker reads it: a string naming it, `"more"`
/// (time or steps ran out), `"ended"` (the run has ended) or `"pending"` (a batch of F awaits
/// its values; the step was undone, to be taken again once they are supplied).
#[wasm_bindgen(js_name = ChunkEnd)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JsChunkEnd {
    More = "more",
    Ended = "ended",
    Pending = "pending",
}

impl From<ChunkEnd> for JsChunkEnd {
    fn from(end: ChunkEnd) -> JsChunkEnd {
        match end {
            ChunkEnd::More => JsChunkEnd::More,
            ChunkEnd::Ended => JsChunkEnd::Ended,
            ChunkEnd::Pending => JsChunkEnd::Pending,
        }
    }
}

/// One run of one method, for a worker.
#[wasm_bindgen(js_name = Session)]
pub struct WasmSession {
    inner: TunedRun,
    f_time: Rc<FTime>,
    thrown: Thrown,
}

/// A failure as the worker gets it: the very value the user's code threw when it was
/// that, else an Error whose message says what to change.
pub(super) fn to_js(e: SessionError, thrown: &Thrown) -> JsValue {
    match (&e, thrown.borrow_mut().take()) {
        (SessionError::Eval(_), Some(v)) => v,
        _ => JsError::new(&e.to_string()).into(),
    }
}

#[wasm_bindgen(js_class = Session)]
impl WasmSession {
    /// `settings_json`: the page's run settings; `problem_json`: the script's `problem`
    /// object as JSON (`null` when it has none). The core completes the settings from it and,
    /// when yDim is not given, asks `probe(x, theta)` (one call of the user's F, returning
    /// how many numbers it gave) at `config::probe_point`. `f(xs, thetas, n, out)`,
    /// `df(xs, thetas, n, out)` (or null), `thetaTrue(xs, n, out)` (or null) are the batch
    /// wrappers; each can tell the shapes from its arrays' lengths and `n`.
    #[wasm_bindgen(constructor)]
    pub fn new(
        settings_json: &str,
        problem_json: &str,
        f: Function,
        df: Option<Function>,
        theta_true: Option<Function>,
        probe: Function,
    ) -> Result<WasmSession, JsValue> {
        let (cfg, bb) = JsBlackBox::prepare(
            settings_json,
            problem_json,
            f,
            df,
            theta_true,
            probe,
            |_| {},
        )?;
        let (f_time, thrown) = (bb.f_time.clone(), bb.thrown.clone());
        // Pilot runs (learning-rate tuning) and the run each get a handle on the same code.
        let make = Box::new(move || Box::new(bb.clone()) as Box<dyn BlackBox>);
        let inner = TunedRun::new(cfg, make).map_err(|e| to_js(e, &thrown))?;
        Ok(WasmSession {
            inner,
            f_time,
            thrown,
        })
    }

    /// Works for up to `max_ms` or `max_steps` steps; true when the run has ended. A failure
    /// of the user's code comes back as the value it threw.
    #[wasm_bindgen(js_name = runChunk)]
    pub fn run_chunk(&mut self, max_ms: f64, max_steps: f64) -> Result<bool, JsValue> {
        let steps = if max_steps.is_finite() && max_steps >= 0.0 {
            max_steps as u64
        } else {
            u64::MAX
        };
        self.inner
            .run_chunk(max_ms, steps, &now_ms)
            .map_err(|e| to_js(e, &self.thrown))
    }

    /// `runChunk` with F evaluated by other workers: `"more"` when time or steps ran out,
    /// `"ended"` when the run has ended, `"pending"` when a batch of F awaits its values
    /// (`pendingXs`, `pendingThetas`, then `supply`); the step was undone and is taken again
    /// on the next call.
    #[wasm_bindgen(js_name = runChunkResumable)]
    pub fn run_chunk_resumable(
        &mut self,
        max_ms: f64,
        max_steps: f64,
    ) -> Result<JsChunkEnd, JsValue> {
        let steps = if max_steps.is_finite() && max_steps >= 0.0 {
            max_steps as u64
        } else {
            u64::MAX
        };
        self.inner
            .run_chunk_resumable(max_ms, steps, &now_ms)
            .map(JsChunkEnd::from)
            .map_err(|e| to_js(e, &self.thrown))
    }

    /// The inputs (or with `thetas`, the thetas) of the batch awaiting its values, row-major
    /// (empty when none).
    fn pending_part(&self, thetas: bool) -> Float64Array {
        let pick = |xs: &[f64], ts: &[f64]| Float64Array::from(if thetas { ts } else { xs });
        match self.inner.session() {
            Some(s) => s.with_pending_rows(pick),
            None => pick(&[], &[]),
        }
    }

    /// The inputs of the batch awaiting its values, row-major (empty when none).
    #[wasm_bindgen(js_name = pendingXs)]
    pub fn pending_xs(&self) -> Float64Array {
        self.pending_part(false)
    }

    /// The thetas of the batch awaiting its values, row-major (empty when none).
    #[wasm_bindgen(js_name = pendingThetas)]
    pub fn pending_thetas(&self) -> Float64Array {
        self.pending_part(true)
    }

    /// Rows in the batch awaiting its values (0 when none).
    #[wasm_bindgen(js_name = pendingRowCount)]
    pub fn pending_row_count(&self) -> usize {
        self.inner.session().map_or(0, Session::pending_row_count)
    }

    /// Numbers F returns per row (yDim).
    #[wasm_bindgen(js_name = yDim)]
    pub fn y_dim(&self) -> usize {
        self.inner.session().map_or(0, |s| s.config().y_dim)
    }

    /// The values of the pending batch (`n x yDim`, row-major), as the other workers gave them.
    pub fn supply(&mut self, values: &[f64]) -> Result<(), JsValue> {
        let run = self
            .inner
            .session_mut()
            .ok_or_else(|| JsError::new("no batch of F is waiting for values"))?;
        run.supply(values.to_vec())
            .map_err(|e| to_js(e, &self.thrown))
    }

    /// Milliseconds spent waiting for other workers' values, added to the run's clock.
    #[wasm_bindgen(js_name = addWaitMs)]
    pub fn add_wait_ms(&mut self, ms: f64) {
        if let Some(run) = self.inner.session_mut() {
            run.add_wait_ms(ms);
        }
    }

    #[wasm_bindgen(js_name = historyLen)]
    pub fn history_len(&self) -> usize {
        self.inner.session().map_or(0, |s| s.history().len())
    }

    /// Rows `from..` flattened, `HISTORY_FIELDS.len()` numbers a row (`www/schema.js`
    /// exports the field names); NaN = not measured.
    #[wasm_bindgen(js_name = historyRows)]
    pub fn history_rows(&self, from: usize) -> Float64Array {
        let rows = self.inner.session().map_or(&[][..], |s| s.history());
        let flat: Vec<f64> = rows.iter().skip(from).flat_map(|r| r.to_array()).collect();
        Float64Array::from(&flat[..])
    }

    /// The core's status plus `fMs` and `fRows`: time inside F batch calls (crossing
    /// included) and the rows they evaluated, learning and monitoring alike; with
    /// learning-rate tuning, `tuning` (`session::TuningRecord`, or the pilots so far).
    #[wasm_bindgen(js_name = statusJson)]
    pub fn status_json(&self) -> String {
        let (status, tuning) = self.inner.status();
        let mut status = serde_json::to_value(status).expect("serialisable");
        if let Some(obj) = status.as_object_mut() {
            obj.insert("tuning".into(), tuning.unwrap_or_default());
            obj.insert("fMs".into(), self.f_time.ms.get().into());
            obj.insert("fRows".into(), self.f_time.rows.get().into());
        }
        status.to_string()
    }

    /// Predicted against observed outputs (uses monitoring evaluations of F).
    #[wasm_bindgen(js_name = fitJson)]
    pub fn fit_json(&mut self) -> Result<String, JsValue> {
        let Some(run) = self.inner.session_mut() else {
            return Ok("null".into()); // stopped while tuning: nothing to show
        };
        run.fit_report()
            .map(|v| serde_json::to_string(&v).expect("serialisable"))
            .map_err(|e| to_js(e, &self.thrown))
    }

    /// `{"reference","defaults":{central,forward},"rows":[[h, centralErr, forwardErr], ...]}`
    /// for relative steps `h` from 1e-13 to 1e-1 (monitoring evaluations).
    #[wasm_bindgen(js_name = stepSweepJson)]
    pub fn step_sweep_json(&mut self) -> Result<String, JsValue> {
        let hs: Vec<f64> = (0..=24)
            .map(|i| 10f64.powf(-13.0 + i as f64 / 2.0))
            .collect();
        let Some(run) = self.inner.session_mut() else {
            return Ok("null".into());
        };
        run.step_sweep(&hs)
            .map(|v| serde_json::to_string(&v).expect("serialisable"))
            .map_err(|e| to_js(e, &self.thrown))
    }

    #[wasm_bindgen(js_name = weightsJson)]
    pub fn weights_json(&self) -> String {
        self.inner
            .session()
            .map_or_else(|| "null".into(), |s| s.policy().to_json().to_string())
    }

    pub fn stop(&mut self) {
        self.inner.stop();
    }
}
