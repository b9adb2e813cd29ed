//! The page's side of the boundary: charts drawn on canvases, share links.

use crate::plot::{draw_chart as draw_spec, ChartSpec};
use plotters::prelude::IntoDrawingArea;
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingBackend, DrawingErrorKind,
};
use plotters_canvas::CanvasBackend;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// Draws a chart (`ChartSpec` JSON) on a canvas; returns the plot geometry as JSON.
#[wasm_bindgen(js_name = drawChart)]
pub fn draw_chart(canvas: web_sys::HtmlCanvasElement, spec_json: &str) -> Result<String, JsError> {
    let spec: ChartSpec =
        serde_json::from_str(spec_json).map_err(|e| JsError::new(&format!("chart spec: {e}")))?;
    let ctx: web_sys::CanvasRenderingContext2d = canvas
        .get_context("2d")
        .ok()
        .flatten()
        .and_then(|c| c.dyn_into().ok())
        .ok_or_else(|| JsError::new("no 2D context on the canvas"))?;
    let inner = CanvasBackend::with_canvas_object(canvas)
        .ok_or_else(|| JsError::new("no 2D context on the canvas"))?;
    let root = CanvasText { inner, ctx }.into_drawing_area();
    let geometry = draw_spec(&root, &spec).map_err(|e| JsError::new(&e))?;
    Ok(serde_json::to_string(&geometry).unwrap())
}

/// Checks pasted CSV data before a run, with the core's own reader (`data::read_csv`,
/// dimensions not yet known): "" when fine, else what is wrong, naming the row and column.
#[wasm_bindgen(js_name = checkCsv)]
pub fn check_csv(text: &str) -> String {
    crate::data::read_csv(text, None).err().unwrap_or_default()
}

/// The share-link fragment (without `#`) of the page's state JSON (`share::encode_json`).
#[wasm_bindgen(js_name = encodeState)]
pub fn encode_state(state_json: &str) -> Result<String, JsError> {
    crate::share::encode_json(state_json).map_err(|e| JsError::new(&e.to_string()))
}

/// Reads a share link (fragment, with or without `#`): `{"version","state","warnings","damaged"}`.
/// Throws only when nothing in the link is usable.
#[wasm_bindgen(js_name = decodeState)]
pub fn decode_state(text: &str) -> Result<String, JsError> {
    crate::share::decode_to_json(text).map_err(|e| JsError::new(&e.to_string()))
}

/// plotters' CanvasBackend with text measured by the canvas (`measureText`) instead of
/// plotters' default for the web, which appends a <span> to <body> and reads its
/// offsetWidth: a forced layout of the whole page for every label.
struct CanvasText {
    inner: CanvasBackend,
    ctx: web_sys::CanvasRenderingContext2d,
}

impl DrawingBackend for CanvasText {
    type ErrorType = <CanvasBackend as DrawingBackend>::ErrorType;
    fn get_size(&self) -> (u32, u32) {
        self.inner.get_size()
    }
    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.ensure_prepared()
    }
    fn present(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.present()
    }
    fn draw_pixel(
        &mut self,
        p: BackendCoord,
        c: BackendColor,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_pixel(p, c)
    }
    fn draw_line<S: BackendStyle>(
        &mut self,
        a: BackendCoord,
        b: BackendCoord,
        s: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_line(a, b, s)
    }
    fn draw_rect<S: BackendStyle>(
        &mut self,
        a: BackendCoord,
        b: BackendCoord,
        s: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_rect(a, b, s, fill)
    }
    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        s: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_path(path, s)
    }
    fn draw_circle<S: BackendStyle>(
        &mut self,
        c: BackendCoord,
        r: u32,
        s: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_circle(c, r, s, fill)
    }
    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        s: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.fill_polygon(vert, s)
    }
    fn draw_text<T: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &T,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_text(text, style, pos)
    }
    fn estimate_text_size<T: BackendTextStyle>(
        &self,
        text: &str,
        style: &T,
    ) -> Result<(u32, u32), DrawingErrorKind<Self::ErrorType>> {
        self.ctx.set_font(&format!(
            "{} {}px {}",
            style.style().as_str(),
            style.size(),
            style.family().as_str()
        ));
        let (w, h) = match self.ctx.measure_text(text) {
            Ok(m) => (
                m.width(),
                m.font_bounding_box_ascent() + m.font_bounding_box_descent(),
            ),
            Err(_) => (
                0.6 * style.size() * text.chars().count() as f64,
                style.size(),
            ),
        };
        Ok((w.ceil() as u32, h.ceil() as u32))
    }
}

/// The race summary and verdict of `{"target", "tau", "runs": [...]}` (the `runs` of a
/// `results.json`, without their histories): `{"summary", "bands", "verdict", "winner",
/// "tied"}` (`race::summarize`). The runs' log points come apart: `counts[i]` points for run
/// `i`, `[evals, trainLoss, wallMs]` each in `points` (`race::fill_histories`), so that every
/// number crosses as it is, bit for bit: JSON text would go through serde_json's fast float
/// reader, an ulp off at times (this .wasm leaves the round-trip one out, Cargo.toml), and the
/// rule's best loss must be the race's own. JS side: www/app/summarize.js.
#[wasm_bindgen(js_name = summarizeRace)]
pub fn summarize_race(race_json: &str, counts: &[u32], points: &[f64]) -> Result<String, JsError> {
    let mut race: crate::race::Race = serde_json::from_str(race_json)
        .map_err(|e| JsError::new(&format!("These results cannot be read: {e}")))?;
    crate::race::fill_histories(&mut race.runs, counts, points);
    Ok(serde_json::to_string(&crate::race::summarize(&race)).expect("serialisable"))
}
