//! Diagnose F in a worker: a `Diagnoser` over the user's F, stepped in chunks like a run
//! (so Stop and the watchdog work the same way), with the report and the advice as JSON.

use super::js_f::{now_ms, to_js, JsBlackBox, Thrown};
use crate::diagnose::{self, Diagnoser, Diagnosis, BUDGET, MAX_BUDGET, MIN_BUDGET};
use crate::problem::BlackBox;
use crate::session::Session;
use js_sys::{Float64Array, Function};
use serde_json::json;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(js_name = Diagnosis)]
pub struct WasmDiagnosis {
    diagnoser: Option<Diagnoser>,
    report: Option<Diagnosis>,
    bb: JsBlackBox,
    thrown: Thrown,
    scale: Vec<f64>,
    data_evals: u64,
    stopped: bool,
}

#[wasm_bindgen(js_class = Diagnosis)]
impl WasmDiagnosis {
    /// The same arguments as `Session`: the diagnosis looks at the first training samples
    /// and the thetas the network starts from with these settings and seed. The settings may
    /// carry `"diagnose": {"budget": n}`, the F-evaluations per θ component (default
    /// [`BUDGET`]; a larger one also looks at more samples, `diagnose::samples_for`).
    #[wasm_bindgen(constructor)]
    pub fn new(
        settings_json: &str,
        problem_json: &str,
        f: Function,
        df: Option<Function>,
        theta_true: Option<Function>,
        probe: Function,
    ) -> Result<WasmDiagnosis, JsValue> {
        let budget = budget_of(settings_json);
        // The diagnosis makes the steps "auto" uses: it must not need them itself.
        let (cfg, bb) = JsBlackBox::prepare(
            settings_json,
            problem_json,
            f,
            df,
            theta_true,
            probe,
            |raw| {
                raw.method_settings.auto_step = false;
                raw.tune = false;
            },
        )?;
        let thrown = bb.thrown();
        let scale = cfg.theta_scale();
        let dims = bb.dims();
        let session = Session::new(cfg, Box::new(bb.clone())).map_err(|e| to_js(e, &thrown))?;
        let (xs, thetas) = session
            .diagnosis_points(diagnose::samples_for(budget))
            .map_err(|e| to_js(e, &thrown))?;
        let data_evals = session.data_evals();
        let diagnoser =
            Diagnoser::new(dims, xs, thetas, scale.clone(), bb.has_jacobian()).with_budget(budget);
        Ok(WasmDiagnosis {
            diagnoser: Some(diagnoser),
            report: None,
            bb,
            thrown,
            scale,
            data_evals,
            stopped: false,
        })
    }

    /// Works for up to `max_ms`; true when the diagnosis has ended.
    #[wasm_bindgen(js_name = runChunk)]
    pub fn run_chunk(&mut self, max_ms: f64, _max_steps: f64) -> Result<bool, JsValue> {
        let t0 = now_ms();
        while let Some(d) = self.diagnoser.as_mut() {
            if d.is_done() {
                let d = self.diagnoser.take().expect("present");
                self.report = Some(d.finish(&mut self.bb));
                break;
            }
            // A probe that throws is counted as a failure, not an end.
            d.step(&mut self.bb);
            self.thrown.borrow_mut().take();
            if now_ms() - t0 >= max_ms {
                break;
            }
        }
        Ok(self.diagnoser.is_none())
    }

    pub fn stop(&mut self) {
        self.stopped = true;
        self.diagnoser = None;
    }

    #[wasm_bindgen(js_name = historyLen)]
    pub fn history_len(&self) -> usize {
        0
    }

    #[wasm_bindgen(js_name = historyRows)]
    pub fn history_rows(&self, _from: usize) -> Float64Array {
        Float64Array::new_with_length(0)
    }

    /// `{method: "diagnose", done, stopped, component, of, evals, message}`.
    #[wasm_bindgen(js_name = statusJson)]
    pub fn status_json(&self) -> String {
        let (done_components, of) = self
            .diagnoser
            .as_ref()
            .map_or((self.scale.len(), self.scale.len()), |d| d.progress());
        let evals = self.diagnoser.as_ref().map_or_else(
            || self.report.as_ref().map_or(0, |r| r.evals),
            |d| d.evals(),
        );
        let most = self.diagnoser.as_ref().map_or(0, |d| d.max_evals());
        let message = if self.stopped {
            "diagnosis stopped".to_string()
        } else if self.diagnoser.is_none() {
            format!("diagnosis done: {evals} F-evaluations")
        } else {
            format!("diagnosing θ{done_components} of {of}: {evals} F-evaluations so far, at most {most}")
        };
        json!({
            "method": "diagnose", "done": self.diagnoser.is_none(), "stopped": self.stopped,
            "component": done_components, "of": of, "evals": evals, "maxEvals": most, "dataEvals": self.data_evals,
            "message": message, "fMs": self.bb.f_time_ms(),
        })
        .to_string()
    }

    /// `diagnosis.json` (schema 1): the measurements, milliseconds per F call and the
    /// recommendation; `null` when stopped before the end.
    #[wasm_bindgen(js_name = reportJson)]
    pub fn report_json(&self) -> String {
        let Some(report) = &self.report else {
            return "null".into();
        };
        let ms = self.bb.ms_per_call();
        let recommended = diagnose::recommend(report, &self.scale, ms);
        let mut v = serde_json::to_value(report).expect("serialisable");
        if let Some(o) = v.as_object_mut() {
            o.insert("msPerCall".into(), ms.into());
            o.insert(
                "recommended".into(),
                serde_json::to_value(recommended).expect("serialisable"),
            );
        }
        v.to_string()
    }
}

/// The F-evaluations per θ component the settings ask for (`diagnose.budget`), within
/// [`MIN_BUDGET`]..=[`MAX_BUDGET`]; [`BUDGET`] when they do not say.
fn budget_of(settings_json: &str) -> u64 {
    serde_json::from_str::<serde_json::Value>(settings_json)
        .ok()
        .and_then(|v| {
            v.pointer("/diagnose/budget")
                .and_then(serde_json::Value::as_f64)
        })
        .filter(|b| b.is_finite())
        .map_or(BUDGET, |b| (b.round() as u64).clamp(MIN_BUDGET, MAX_BUDGET))
}
