//! Charts as data (`ChartSpec`, JSON from the page) and one drawing routine generic over
//! plotters' `DrawingBackend`: the page draws on a canvas through plotters-canvas, the
//! native tests draw the same code to SVG and check it.

use plotters::coord::ranged1d::{KeyPointHint, NoDefaultFormatting, Ranged, ValueFormatter};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use serde::{Deserialize, Serialize};
use std::ops::Range;

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Series {
    pub label: String,
    /// `#rrggbb`.
    pub color: String,
    pub points: Vec<(f64, f64)>,
    /// A secondary curve (the test set, the true theta): drawn thin and light. Not dashed:
    /// a dashed canvas line costs one stroke per dash, which made redraws slow.
    pub light: bool,
    /// A band around the line, `(x, lo, hi)`: the spread of repeated runs, drawn filled and
    /// faint under it.
    pub band: Vec<(f64, f64, f64)>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ChartSpec {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub log_x: bool,
    pub log_y: bool,
    /// "line" (default) or "scatter".
    pub kind: String,
    pub series: Vec<Series>,
    /// Draw the diagonal y = x (predicted against observed).
    pub diagonal: bool,
    /// Bounds the y axis never goes beyond (a cosine: [-1, 1]).
    pub y_limits: Option<(f64, f64)>,
    /// Light text and grid on a dark background (the page in dark mode).
    pub dark: bool,
}

/// The colours of a chart's background, text, grid and legend box.
struct Palette {
    bg: RGBColor,
    ink: RGBColor,
    grid_light: RGBColor,
    grid_bold: RGBColor,
    frame: RGBColor,
    axis: RGBColor,
}

impl Palette {
    fn of(spec: &ChartSpec) -> Palette {
        if spec.dark {
            Palette {
                bg: RGBColor(24, 27, 38),
                ink: RGBColor(226, 229, 238),
                grid_light: RGBColor(44, 48, 62),
                grid_bold: RGBColor(64, 69, 86),
                frame: RGBColor(90, 96, 116),
                axis: RGBColor(150, 156, 176),
            }
        } else {
            Palette {
                bg: WHITE,
                ink: BLACK,
                grid_light: RGBColor(235, 235, 235),
                grid_bold: RGBColor(215, 215, 215),
                frame: RGBColor(200, 200, 200),
                axis: BLACK,
            }
        }
    }
}

/// Where the plot landed, so the page can map a mouse position back to data.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PlotGeometry {
    pub left: i32,
    pub top: i32,
    pub right: i32,
    pub bottom: i32,
    pub x_min: f64,
    pub x_max: f64,
    pub y_min: f64,
    pub y_max: f64,
    pub log_x: bool,
    pub log_y: bool,
}

/// `#rrggbb` to a colour (grey when unreadable).
pub fn parse_color(s: &str) -> RGBColor {
    let hex = s.trim_start_matches('#');
    if hex.len() == 6 {
        if let Ok(v) = u32::from_str_radix(hex, 16) {
            return RGBColor((v >> 16) as u8, (v >> 8) as u8, v as u8);
        }
    }
    RGBColor(128, 128, 128)
}

fn usable(v: f64, log: bool) -> bool {
    v.is_finite() && (!log || v > 0.0)
}

/// Data range of the usable points, padded; a log axis pads by a factor.
fn axis_range(values: impl Iterator<Item = f64>, log: bool) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.filter(|&v| usable(v, log)) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return if log { (1e-3, 1.0) } else { (0.0, 1.0) };
    }
    if log {
        // Whole decades, at least two of them: a log axis then has three or more labelled
        // powers of ten (a narrower one had a single tick).
        let mut a = lo.log10().floor();
        let mut b = hi.log10().ceil();
        while b - a < 2.0 {
            // Grow on the side the data sit closer to.
            if lo.log10() - a < b - hi.log10() {
                a -= 1.0;
            } else {
                b += 1.0;
            }
        }
        (10f64.powf(a), 10f64.powf(b))
    } else if hi - lo < 1e-12 * hi.abs().max(1.0) {
        (lo - 0.5 * lo.abs().max(1.0), hi + 0.5 * hi.abs().max(1.0))
    } else {
        let pad = 0.05 * (hi - lo);
        (lo - pad, hi + pad)
    }
}

/// Draws `spec` on `root`.
pub fn draw_chart<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    spec: &ChartSpec,
) -> Result<PlotGeometry, String> {
    let pts = || {
        spec.series.iter().flat_map(|s| {
            s.points
                .iter()
                .copied()
                .chain(s.band.iter().flat_map(|&(x, lo, hi)| [(x, lo), (x, hi)]))
        })
    };
    let mut xr = axis_range(pts().map(|p| p.0), spec.log_x);
    let mut yr = axis_range(pts().map(|p| p.1), spec.log_y);
    if let Some((lo, hi)) = spec.y_limits {
        // A quantity with known bounds (a cosine) never gets an axis beyond them.
        yr = (yr.0.max(lo), yr.1.min(hi));
        if yr.0 >= yr.1 {
            yr = (lo, hi);
        }
    }
    if spec.diagonal {
        let lo = xr.0.min(yr.0);
        let hi = xr.1.max(yr.1);
        xr = (lo, hi);
        yr = (lo, hi);
    }
    let draw = |room: LegendRoom| {
        let (x, y) = (Axis::new(xr, spec.log_x), Axis::new(yr, spec.log_y));
        draw_in(root, spec, x, y, xr, yr, room)
    };
    let (geometry, covered) = draw(LegendRoom::Inside)?;
    if covered == 0 {
        return Ok(geometry);
    }
    // Every corner of the plot holds a line: the legend goes outside it, to the right, or
    // below on a narrow chart.
    let labels: Vec<&str> = spec
        .series
        .iter()
        .filter(|s| !s.label.is_empty())
        .map(|s| s.label.as_str())
        .collect();
    let (w, h) = legend_size(root, &labels)?;
    let (width, _) = root.dim_in_pixel();
    // Beside the plot while that leaves it 300 px; else below it.
    let room = if width as i32 - (w + 16) >= 300 {
        LegendRoom::Right(w + 16)
    } else {
        LegendRoom::Below(h + 10)
    };
    Ok(draw(room)?.0)
}

/// Where the legend goes: in a corner of the plot, or in room kept beside or under it.
#[derive(Clone, Copy)]
enum LegendRoom {
    Inside,
    Right(i32),
    Below(i32),
}

// Fonts by family, not by name: plotters reads a family name through `str::to_lowercase`,
// which brought Unicode's case tables into the page's .wasm.
const LEGEND_FONT: (FontFamily, u32) = (FontFamily::SansSerif, 12);
const LEGEND_PAD: i32 = 5;
const LEGEND_LINE: i32 = 18;
const LEGEND_GAP: i32 = 6;
const LEGEND_ROW: i32 = 16;

/// The legend box's width and height for these labels.
fn legend_size<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    labels: &[&str],
) -> Result<(i32, i32), String> {
    let font: TextStyle = LEGEND_FONT.into();
    let mut text_w = 0;
    for label in labels {
        text_w = text_w.max(root.estimate_text_size(label, &font).map_err(err)?.0 as i32);
    }
    Ok((
        LEGEND_PAD + LEGEND_LINE + LEGEND_GAP + text_w + LEGEND_PAD,
        LEGEND_PAD + LEGEND_ROW * labels.len() as i32 + LEGEND_PAD - 4,
    ))
}

fn err<E: std::fmt::Debug>(e: E) -> String {
    format!("drawing failed: {e:?}")
}

/// The series labels in a box in the corner of the plot (pixels `plot` = x range, y range)
/// that covers the fewest of the drawn points `ink`: upper right when it is as empty as any.
/// Drawn here rather than with plotters' `configure_series_labels`, which sizes each label
/// with plotters' font code: on the web that appends a `<span>` to `<body>` and reads its
/// size, a forced layout of the whole page per label per redraw. This measures text with the
/// backend (`measureText` on the canvas) instead.
fn draw_legend<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    plot: (std::ops::Range<i32>, std::ops::Range<i32>),
    entries: &[(&str, RGBColor, bool)],
    ink: &[(i32, i32)],
    palette: &Palette,
    room: LegendRoom,
) -> Result<usize, String> {
    if entries.is_empty() {
        return Ok(0);
    }
    let font: TextStyle = LEGEND_FONT.into();
    let (pad, line_w, gap, row_h) = (LEGEND_PAD, LEGEND_LINE, LEGEND_GAP, LEGEND_ROW);
    let labels: Vec<&str> = entries.iter().map(|e| e.0).collect();
    let (w, h) = legend_size(root, &labels)?;
    let (xs, ys) = plot;
    let corners = [
        (xs.end - 6 - w, ys.start + 6),
        (xs.start + 6, ys.start + 6),
        (xs.end - 6 - w, ys.end - 6 - h),
        (xs.start + 6, ys.end - 6 - h),
    ];
    let covered = |&(x0, y0): &(i32, i32)| {
        ink.iter()
            .filter(|&&(x, y)| x >= x0 - 3 && x <= x0 + w + 3 && y >= y0 - 3 && y <= y0 + h + 3)
            .count()
    };
    let (x0, y0, hits) = match room {
        // min_by_key keeps the first of equals: upper right, then upper left, lower right,
        // lower left.
        LegendRoom::Inside => {
            let c = *corners.iter().min_by_key(|c| covered(c)).unwrap();
            (c.0, c.1, covered(&c))
        }
        LegendRoom::Right(_) => (xs.end + 10, ys.start, 0),
        LegendRoom::Below(_) => {
            let (_, height) = root.dim_in_pixel();
            (xs.start, height as i32 - h - 4, 0)
        }
    };
    root.draw(&Rectangle::new(
        [(x0, y0), (x0 + w, y0 + h)],
        palette.bg.mix(0.85).filled(),
    ))
    .map_err(err)?;
    root.draw(&Rectangle::new(
        [(x0, y0), (x0 + w, y0 + h)],
        palette.frame.stroke_width(1),
    ))
    .map_err(err)?;
    let text_style = font
        .clone()
        .color(&palette.ink)
        .pos(plotters::style::text_anchor::Pos::new(
            plotters::style::text_anchor::HPos::Left,
            plotters::style::text_anchor::VPos::Center,
        ));
    for (i, (label, color, light)) in entries.iter().enumerate() {
        let y = y0 + pad + row_h * i as i32 + (row_h - 4) / 2;
        let style = if *light {
            color.mix(0.45).stroke_width(1)
        } else {
            color.stroke_width(2)
        };
        root.draw(&PathElement::new(
            vec![(x0 + pad, y), (x0 + pad + line_w, y)],
            style,
        ))
        .map_err(err)?;
        root.draw_text(label, &text_style, (x0 + pad + line_w + gap, y))
            .map_err(err)?;
    }
    Ok(hits)
}

/// An axis's coordinate, linear or logarithmic, as one type: plotters' chart code is generic
/// in its coordinates, and the four pairings of its linear and log types compiled it four
/// times (49 KB of the page's .wasm, measured by drawing every chart linear). The pixels and
/// ticks are plotters' own: each call goes to the type it wraps.
enum Axis {
    Linear(RangedCoordf64),
    Log(LogCoord<f64>),
}

impl Axis {
    fn new(range: (f64, f64), log: bool) -> Axis {
        if log {
            Axis::Log((range.0..range.1).log_scale().into())
        } else {
            Axis::Linear((range.0..range.1).into())
        }
    }
}

impl Ranged for Axis {
    type FormatOption = NoDefaultFormatting;
    type ValueType = f64;
    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        match self {
            Axis::Linear(a) => a.map(value, limit),
            Axis::Log(a) => a.map(value, limit),
        }
    }
    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        match self {
            Axis::Linear(a) => a.key_points(hint),
            Axis::Log(a) => a.key_points(hint),
        }
    }
    fn range(&self) -> Range<f64> {
        match self {
            Axis::Linear(a) => a.range(),
            Axis::Log(a) => a.range(),
        }
    }
    fn axis_pixel_range(&self, limit: (i32, i32)) -> Range<i32> {
        match self {
            Axis::Linear(a) => a.axis_pixel_range(limit),
            Axis::Log(a) => a.axis_pixel_range(limit),
        }
    }
}

/// Tick texts come from the mesh's label formatters ([`tick_label`]); this is the fallback.
impl ValueFormatter<f64> for Axis {
    fn format(value: &f64) -> String {
        short_number(*value)
    }
}

fn draw_in<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    spec: &ChartSpec,
    x: Axis,
    y: Axis,
    xr: (f64, f64),
    yr: (f64, f64),
    room: LegendRoom,
) -> Result<(PlotGeometry, usize), String> {
    let palette = Palette::of(spec);
    root.fill(&palette.bg).map_err(err)?;
    let area = match room {
        LegendRoom::Inside => root.clone(),
        LegendRoom::Right(w) => root.margin(0, 0, 0, w),
        LegendRoom::Below(h) => root.margin(0, h, 0, 0),
    };
    let mut chart = ChartBuilder::on(&area)
        .caption(
            &spec.title,
            (FontFamily::SansSerif, 15).into_font().color(&palette.ink),
        )
        .margin(10)
        .x_label_area_size(38)
        .y_label_area_size(62)
        .build_cartesian_2d(x, y)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc(&spec.x_label)
        .y_desc(&spec.y_label)
        .x_labels(6)
        .y_labels(6)
        .light_line_style(palette.grid_light)
        .bold_line_style(palette.grid_bold)
        .axis_style(palette.axis)
        .label_style((FontFamily::SansSerif, 12).into_font().color(&palette.ink))
        .axis_desc_style((FontFamily::SansSerif, 12).into_font().color(&palette.ink))
        .x_label_formatter(&|v| tick_label(*v, xr, spec.log_x))
        .y_label_formatter(&|v| tick_label(*v, yr, spec.log_y))
        .draw()
        .map_err(err)?;
    if spec.diagonal {
        let (lo, hi) = xr;
        chart
            .draw_series(LineSeries::new(
                [(lo, lo), (hi, hi)],
                RGBColor(160, 160, 160).stroke_width(1),
            ))
            .map_err(err)?;
    }
    let scatter = spec.kind == "scatter";
    let mut legend: Vec<(&str, RGBColor, bool)> = Vec::new();
    // Where the series are drawn, in pixels, for placing the legend: the points, and for
    // lines samples every few pixels along each segment.
    let mut ink: Vec<(i32, i32)> = Vec::new();
    for s in &spec.series {
        let color = parse_color(&s.color);
        let points: Vec<(f64, f64)> = s
            .points
            .iter()
            .copied()
            .filter(|p| usable(p.0, spec.log_x) && usable(p.1, spec.log_y))
            .collect();
        let pixels: Vec<(i32, i32)> = points.iter().map(|p| chart.backend_coord(p)).collect();
        let band: Vec<(f64, f64, f64)> = s
            .band
            .iter()
            .copied()
            .filter(|b| {
                usable(b.0, spec.log_x) && usable(b.1, spec.log_y) && usable(b.2, spec.log_y)
            })
            .collect();
        if band.len() >= 2 {
            let outline: Vec<(f64, f64)> = band
                .iter()
                .map(|b| (b.0, b.2))
                .chain(band.iter().rev().map(|b| (b.0, b.1)))
                .collect();
            chart
                .draw_series(std::iter::once(Polygon::new(
                    outline,
                    color.mix(0.18).filled(),
                )))
                .map_err(err)?;
        }
        if scatter {
            chart
                .draw_series(
                    points
                        .iter()
                        .map(|&p| Circle::new(p, 2, color.mix(0.6).filled())),
                )
                .map_err(err)?;
        } else if s.light {
            chart
                .draw_series(LineSeries::new(points, color.mix(0.45).stroke_width(1)))
                .map_err(err)?;
        } else {
            chart
                .draw_series(LineSeries::new(points, color.stroke_width(2)))
                .map_err(err)?;
        }
        if !s.label.is_empty() {
            legend.push((&s.label, color, s.light));
        }
        ink.extend(&pixels);
        if !scatter {
            for pair in pixels.windows(2) {
                let ((ax, ay), (bx, by)) = (pair[0], pair[1]);
                let steps = ((bx - ax).abs().max((by - ay).abs()) / 4).min(400);
                for k in 1..steps {
                    let t = k as f64 / steps as f64;
                    ink.push((
                        ax + (t * (bx - ax) as f64) as i32,
                        ay + (t * (by - ay) as f64) as i32,
                    ));
                }
            }
        }
    }
    let (px, py) = chart.plotting_area().get_pixel_range();
    let covered = draw_legend(
        root,
        (px.clone(), py.clone()),
        &legend,
        &ink,
        &palette,
        room,
    )?;
    root.present().map_err(err)?;
    let geometry = PlotGeometry {
        left: px.start,
        top: py.start,
        right: px.end,
        bottom: py.end,
        x_min: xr.0,
        x_max: xr.1,
        y_min: yr.0,
        y_max: yr.1,
        log_x: spec.log_x,
        log_y: spec.log_y,
    };
    Ok((geometry, covered))
}

/// A tick's text on an axis over `range`: [`short_number`], except that on a linear axis a
/// tick within a billionth of the axis's span of zero is zero ("0", not "-5.6e-17": ticks
/// are computed as start + k·step, and the sum leaves rounding where zero should be).
pub fn tick_label(v: f64, range: (f64, f64), log: bool) -> String {
    let span = (range.1 - range.0).abs();
    if !log && v.abs() <= 1e-9 * span {
        return "0".into();
    }
    short_number(v)
}

/// Axis tick text: short and readable across many decades (50k, 1.5M, 2e-7, 0.25).
pub fn short_number(v: f64) -> String {
    let a = v.abs();
    let trim = |s: String| {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    };
    if a == 0.0 {
        "0".into()
    } else if !(1e-3..1e9).contains(&a) {
        let s = format!("{v:.1e}");
        let (m, e) = s.split_once('e').unwrap();
        format!("{}e{e}", trim(m.to_string()))
    } else if a >= 1e6 {
        format!("{}M", trim(format!("{:.2}", v / 1e6)))
    } else if a >= 1e4 {
        format!("{}k", trim(format!("{:.1}", v / 1e3)))
    } else if a >= 100.0 {
        format!("{v:.0}")
    } else {
        trim(format!("{v:.3}"))
    }
}
