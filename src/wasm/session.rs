//! The worker's side of the boundary for a run: one `Session` per run, F as JS batch functions
//! (`js_f`).

use super::js_f::{now_ms, to_js, FTime, JsBlackBox, Thrown};
use crate::problem::BlackBox;
use crate::session::{ChunkEnd, Session, TunedRun};
use js_sys::{Float64Array, Function};
use std::rc::Rc;
use wasm_bindgen::prelude::*;

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
        let (f_time, thrown) = (bb.f_time.clone(), bb.thrown());
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
