//! The chart code draws to SVG natively: lines, dashes, legends, log axes, scatter.

use blackbox_playground::plot::{draw_chart, parse_color, short_number, ChartSpec, Series};
use plotters::prelude::*;

fn render(spec: &ChartSpec) -> (String, blackbox_playground::plot::PlotGeometry) {
    let mut svg = String::new();
    let geometry = {
        let root = SVGBackend::with_string(&mut svg, (640, 360)).into_drawing_area();
        draw_chart(&root, spec).unwrap()
    };
    (svg, geometry)
}

fn loss_spec() -> ChartSpec {
    ChartSpec {
        title: "Loss against F-evaluations".into(),
        x_label: "F-evaluations".into(),
        y_label: "loss".into(),
        log_y: true,
        series: vec![
            Series {
                label: "Central differences".into(),
                color: "#1f77b4".into(),
                points: vec![(0.0, 1.0), (1e4, 0.1), (2e4, 0.01)],
                light: false,
                band: vec![],
            },
            Series {
                label: "test".into(),
                color: "#1f77b4".into(),
                points: vec![(0.0, 1.2), (1e4, 0.2), (2e4, -1.0)],
                light: true,
                band: vec![],
            },
        ],
        ..ChartSpec::default()
    }
}

#[test]
fn a_loss_chart_has_its_title_axis_labels_legend_and_lines() {
    let (svg, g) = render(&loss_spec());
    for text in [
        "Loss against F-evaluations",
        "F-evaluations",
        "loss",
        "Central differences",
    ] {
        assert!(svg.contains(text), "missing {text:?}");
    }
    assert!(
        svg.contains("<polyline") || svg.contains("<path"),
        "no line drawn"
    );
    assert!(
        svg.contains("#1F77B4")
            || svg.to_lowercase().contains("#1f77b4")
            || svg.contains("rgb(31,119,180)")
    );
    // The log axis spans the positive data in whole decades and ignores the negative point.
    assert!(g.y_min > 0.0 && g.y_min <= 0.01 && g.y_max > 1.2, "{g:?}");
    assert!(g.left < g.right && g.top < g.bottom);
}

#[test]
fn an_empty_chart_still_draws_its_axes() {
    let (svg, g) = render(&ChartSpec {
        title: "empty".into(),
        log_y: true,
        ..ChartSpec::default()
    });
    assert!(svg.contains("empty"));
    assert_eq!((g.y_min, g.y_max), (1e-3, 1.0));
}

#[test]
fn a_scatter_chart_with_a_diagonal_draws_circles_on_square_axes() {
    let spec = ChartSpec {
        kind: "scatter".into(),
        diagonal: true,
        series: vec![Series {
            label: "y1".into(),
            color: "#ff7f0e".into(),
            points: vec![(0.0, 0.1), (1.0, 0.9), (2.0, 2.2)],
            ..Series::default()
        }],
        ..ChartSpec::default()
    };
    let (svg, g) = render(&spec);
    assert!(svg.matches("<circle").count() >= 3);
    assert_eq!((g.x_min, g.x_max), (g.y_min, g.y_max));
}

#[test]
fn colours_and_numbers_are_read_and_written_robustly() {
    assert_eq!(parse_color("#102030"), RGBColor(16, 32, 48));
    assert_eq!(parse_color("nonsense"), RGBColor(128, 128, 128));
    assert_eq!(short_number(0.0), "0");
    assert_eq!(short_number(0.25), "0.25");
    assert_eq!(short_number(2e-7), "2e-7");
    assert_eq!(short_number(1.5e-5), "1.5e-5");
    assert_eq!(short_number(150000.0), "150k");
    assert_eq!(short_number(50000.0), "50k");
    assert_eq!(short_number(2_500_000.0), "2.5M");
    assert_eq!(short_number(1234.0), "1234");
}

/// The x of the first SVG `<text>` element whose content is `label`.
fn text_x(svg: &str, label: &str) -> f64 {
    for chunk in svg.split("<text").skip(1) {
        let (attrs, rest) = chunk.split_once('>').unwrap();
        let content = rest.split("</text>").next().unwrap().trim();
        if content == label {
            let x = attrs
                .split(" x=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap();
            return x.parse().unwrap();
        }
    }
    panic!("no text {label:?}");
}

fn one_line(label: &str, points: Vec<(f64, f64)>) -> ChartSpec {
    ChartSpec {
        title: "t".into(),
        series: vec![Series {
            label: label.into(),
            color: "#dc2626".into(),
            points,
            light: false,
            ..Series::default()
        }],
        ..ChartSpec::default()
    }
}

#[test]
fn the_legend_goes_to_the_corner_the_lines_leave_free() {
    // A falling curve (a loss) leaves the upper right free: the legend goes there.
    let (svg, g) = render(&one_line(
        "falling",
        vec![(0.0, 1.0), (0.5, 0.1), (1.0, 0.0)],
    ));
    let mid = (g.left + g.right) as f64 / 2.0;
    assert!(
        text_x(&svg, "falling") > mid,
        "legend should be at the right"
    );
    // A rising one runs into the upper right: the legend moves to the upper left.
    let (svg, g) = render(&one_line(
        "rising",
        vec![(0.0, 0.0), (0.5, 0.1), (1.0, 1.0)],
    ));
    let mid = (g.left + g.right) as f64 / 2.0;
    assert!(text_x(&svg, "rising") < mid, "legend should be at the left");
}

#[test]
fn a_band_of_repeats_is_drawn_filled_under_its_line() {
    let with_band = |band: Vec<(f64, f64, f64)>| {
        let spec = ChartSpec {
            title: "Loss".into(),
            log_y: true,
            series: vec![Series {
                label: "SPSA".into(),
                color: "#ea580c".into(),
                points: vec![(0.0, 1.0), (1e4, 0.1), (2e4, 0.01)],
                band,
                ..Series::default()
            }],
            ..ChartSpec::default()
        };
        render(&spec).0
    };
    let plain = with_band(vec![]);
    let banded = with_band(vec![(0.0, 0.8, 1.3), (1e4, 0.05, 0.2), (2e4, 0.004, 0.03)]);
    assert!(!plain.contains("<polygon"), "no band, no polygon");
    assert!(banded.contains("<polygon"), "the band is a filled polygon");
}

fn one_series(points: Vec<(f64, f64)>, log_y: bool, y_limits: Option<(f64, f64)>) -> ChartSpec {
    ChartSpec {
        title: "t".into(),
        log_y,
        y_limits,
        series: vec![Series {
            label: "s".into(),
            color: "#1f77b4".into(),
            points,
            light: false,
            band: vec![],
        }],
        ..ChartSpec::default()
    }
}

#[test]
fn a_log_axis_over_less_than_a_decade_still_spans_three_powers_of_ten() {
    let (_, g) = render(&one_series(vec![(0.0, 0.031), (1.0, 0.047)], true, None));
    let decades = (g.y_max / g.y_min).log10();
    assert!(decades >= 2.0 - 1e-9, "{g:?}");
    assert!(g.y_min <= 0.031 && g.y_max >= 0.047, "{g:?}");
}

#[test]
fn a_cosine_axis_stays_within_minus_one_and_one() {
    // All ones: the old padding ran the axis to 1.5.
    let (_, g) = render(&one_series(
        vec![(0.0, 1.0), (1.0, 1.0)],
        false,
        Some((-1.0, 1.0)),
    ));
    assert!(g.y_max <= 1.0 && g.y_min >= -1.0 && g.y_min < 1.0, "{g:?}");
    let (_, g) = render(&one_series(
        vec![(0.0, -0.2), (1.0, 0.99)],
        false,
        Some((-1.0, 1.0)),
    ));
    assert!(g.y_max <= 1.0 && g.y_min <= -0.2, "{g:?}");
}

#[test]
fn a_dark_chart_has_a_dark_background_and_light_text() {
    let mut spec = one_series(vec![(0.0, 1.0), (1.0, 2.0)], false, None);
    spec.dark = true;
    let (svg, _) = render(&spec);
    assert!(
        svg.contains("#181B26") || svg.to_lowercase().contains("#181b26"),
        "dark background"
    );
    assert!(svg.to_lowercase().contains("#e2e5ee"), "light text");
    let (light, _) = render(&one_series(vec![(0.0, 1.0), (1.0, 2.0)], false, None));
    assert!(!light.to_lowercase().contains("#181b26"));
}

#[test]
fn a_legend_that_would_cover_a_line_in_every_corner_goes_beside_the_plot() {
    // Lines through all four corners of the plot.
    let line = |label: &str, points: Vec<(f64, f64)>| Series {
        label: label.into(),
        color: "#1f77b4".into(),
        points,
        light: false,
        band: vec![],
    };
    let crossing = |labels: bool| ChartSpec {
        title: "t".into(),
        series: vec![
            line(
                if labels { "rising" } else { "" },
                vec![(0.0, 0.0), (1.0, 1.0)],
            ),
            line(
                if labels { "falling" } else { "" },
                vec![(0.0, 1.0), (1.0, 0.0)],
            ),
        ],
        ..ChartSpec::default()
    };
    let (_, without) = render(&crossing(false));
    let (svg, with) = render(&crossing(true));
    assert!(svg.contains("rising") && svg.contains("falling"));
    assert!(
        with.right < without.right - 40,
        "the plot makes room for the legend: {} against {}",
        with.right,
        without.right
    );
    // A legend that fits in a free corner stays inside: the loss chart's plot is full width.
    let (_, loss) = render(&loss_spec());
    assert_eq!(loss.right, without.right);
}

/// Every SVG `<text>` element's content.
fn texts(svg: &str) -> Vec<String> {
    svg.split("<text")
        .skip(1)
        .map(|chunk| {
            let rest = chunk.split_once('>').unwrap().1;
            rest.split("</text>").next().unwrap().trim().to_string()
        })
        .collect()
}

#[test]
fn a_tick_at_zero_reads_0_never_a_rounding_residue() {
    use blackbox_playground::plot::tick_label;
    assert_eq!(tick_label(-5.551115123125783e-17, (-0.3, 0.25), false), "0");
    assert_eq!(tick_label(5.551115123125783e-17, (-0.3, 0.25), false), "0");
    assert_eq!(tick_label(-0.05, (-0.3, 0.25), false), "-0.05");
    // A log axis has no zero: a tiny value is a value.
    assert_eq!(tick_label(1e-17, (1e-18, 1.0), true), "1e-17");
    // Charts over ranges through zero (cosines, fits, linear losses), both axes: where a
    // tick falls on zero it reads "0", and no label is a residue like "-5.6e-17".
    let mut zeros = 0;
    for (lo, hi) in [
        (-0.3, 0.2),
        (-0.7, 0.9),
        (-1.0, 1.0),
        (-0.13, 0.41),
        (-2.2, 0.7),
        (-0.03, 0.06),
        (-0.95, 0.35),
        (-1.3e-4, 2.9e-4),
    ] {
        let spec = ChartSpec {
            title: "t".into(),
            series: vec![Series {
                label: String::new(),
                color: "#1f77b4".into(),
                points: vec![(lo, lo), (hi, hi)],
                light: false,
                band: vec![],
            }],
            ..ChartSpec::default()
        };
        let (svg, _) = render(&spec);
        let labels = texts(&svg);
        for t in &labels {
            let residue = t
                .parse::<f64>()
                .is_ok_and(|v| v != 0.0 && v.abs() < 1e-9 * (hi - lo));
            assert!(!residue, "range {lo}..{hi}: a tick reads {t:?}: {labels:?}");
        }
        zeros += labels.iter().filter(|t| *t == "0").count();
    }
    assert!(zeros > 0, "some tick falls on zero");
}
