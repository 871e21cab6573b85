//! Draws a `ChartSpec` with plotters. Generic over the drawing backend:
//! the page draws on a canvas (plotters-canvas), the native tests draw the
//! same charts to SVG and read them back.
//!
//! plotters-canvas draws in the canvas's own pixels and knows nothing of
//! HiDPI screens, so the canvas is sized by devicePixelRatio (`fit`) and every
//! length here (fonts, margins, line widths) is given in CSS pixels and
//! scaled by `Px`. The geometry handed back is in CSS pixels again.

use super::{
    Body, ChartSpec, Geometry, Line, Marker, MarkerKind, Panel, Rgb, Status, StripRow, Theme, Unit,
};
use libm::{log10, pow};
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::ops::Range;

pub type DrawResult<T> = Result<T, String>;

/// Text on the charts, in CSS pixels (at least 14 px to read on a projector).
pub const FONT_PX: f64 = 14.0;
/// Room on the left for the y labels ("20Mi", "12.5k", "100 %").
const Y_LABELS_PX: f64 = 62.0;
/// Room under the last panel for the time labels.
const X_LABELS_PX: f64 = 24.0;
/// Room on the right: the last time label is centred on the plot's edge.
const RIGHT_PX: f64 = 24.0;

/// CSS pixels to the backend's pixels: `dpr` device pixels per CSS pixel,
/// and every length `zoom` times larger (projector mode).
#[derive(Clone, Copy, Debug)]
pub struct Px {
    pub dpr: f64,
    pub zoom: f64,
}

impl Px {
    pub fn new(dpr: f64) -> Px {
        Px { dpr, zoom: 1.0 }
    }
    fn scale(self) -> f64 {
        self.dpr * self.zoom
    }
    /// A length in CSS pixels, in the backend's.
    pub fn i(self, css: f64) -> i32 {
        (css * self.scale()).round() as i32
    }
    /// A position (not a length): CSS pixels to device pixels, unzoomed.
    pub fn at(self, css: f64) -> i32 {
        (css * self.dpr).round() as i32
    }
    pub fn u(self, css: f64) -> u32 {
        (css * self.scale()).round().max(1.0) as u32
    }
    fn font(self, color: Rgb) -> TextStyle<'static> {
        ("sans-serif", FONT_PX * self.scale())
            .into_font()
            .color(&rgb(color))
    }
}

pub fn rgb(c: Rgb) -> RGBColor {
    RGBColor(c.0, c.1, c.2)
}

fn failed<E: std::fmt::Debug>(e: E) -> String {
    format!("{e:?}")
}

/// Draws the whole chart on `root`; returns where the plots are (CSS px).
pub fn chart<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    spec: &ChartSpec,
    theme: &Theme,
    px: Px,
) -> DrawResult<Geometry> {
    root.fill(&rgb(theme.background)).map_err(failed)?;
    let x_max = spec.x_max_s.max(1.0);
    let plot = match &spec.body {
        Body::Panels(panels) => {
            let areas = root.split_evenly((panels.len().max(1), 1));
            let mut plot: Option<Plot> = None;
            for (i, (area, panel)) in areas.iter().zip(panels).enumerate() {
                let last = i + 1 == panels.len();
                let p = draw_panel(area, panel, spec, x_max, theme, px, last)?;
                plot = Some(match plot {
                    None => p,
                    Some(first) => Plot {
                        bottom: p.bottom,
                        ..first
                    },
                });
            }
            plot
        }
        Body::Strip(rows) => Some(draw_strip(
            root,
            rows,
            spec.hidden_from_s,
            x_max,
            theme,
            px,
        )?),
    };
    root.present().map_err(failed)?;
    let plot = plot.unwrap_or_default();
    let css = |v: i32| f64::from(v) / px.dpr;
    Ok(Geometry {
        left: css(plot.left),
        right: css(plot.right),
        top: css(plot.top),
        bottom: css(plot.bottom),
        x_max_s: spec.x_max_s,
    })
}

/// A linear axis whose ticks are given: core's time ticks (15 s, 1 min,
/// 5 min …) and binary byte steps read better than plotters' decimal ones.
#[derive(Clone, Debug)]
pub struct Ticked {
    lo: f64,
    hi: f64,
    ticks: Vec<f64>,
}

impl Ticked {
    pub fn new(range: Range<f64>, ticks: Vec<f64>) -> Ticked {
        Ticked {
            lo: range.start,
            hi: range.end,
            ticks,
        }
    }
}

impl Ranged for Ticked {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let span = (self.hi - self.lo).max(f64::MIN_POSITIVE);
        let share = (value - self.lo) / span;
        limit.0 + (f64::from(limit.1 - limit.0) * share).round() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        // Bold points only: the light mesh is not drawn.
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> Range<f64> {
        self.lo..self.hi
    }
}

/// A plot area in the backend's pixels.
#[derive(Clone, Copy, Debug, Default)]
struct Plot {
    left: i32,
    right: i32,
    top: i32,
    bottom: i32,
}

fn plot_of<DB: DrawingBackend, CT: plotters::coord::CoordTranslate>(
    area: &DrawingArea<DB, CT>,
) -> Plot {
    let (x, y) = area.get_pixel_range();
    Plot {
        left: x.start,
        right: x.end,
        top: y.start,
        bottom: y.end,
    }
}

/// The y range a panel shows: from zero (or a decade below the data on a
/// log panel) to a little above the data, the lines and `y_max`.
pub fn y_range(panel: &Panel) -> (f64, f64) {
    let mut hi = panel.y_max.unwrap_or(0.0);
    let mut lo = f64::INFINITY;
    for line in &panel.lines {
        for v in line.points.iter().filter_map(|(_, v)| *v) {
            hi = hi.max(v);
            lo = lo.min(v);
        }
    }
    for h in &panel.hlines {
        hi = hi.max(h.value);
    }
    if panel.log {
        let lo = if lo.is_finite() { lo.max(0.1) } else { 1.0 };
        let hi = hi.max(lo * 10.0);
        (libm::floor(log10(lo)), libm::ceil(log10(hi)))
    } else {
        (0.0, if hi > 0.0 { hi * 1.08 } else { 1.0 })
    }
}

/// The y ticks: whole decades on a log panel, else core's 1-2-5 steps
/// (binary steps of MiB for bytes), about one per 24 px and at most four.
pub fn y_ticks(panel: &Panel, lo: f64, hi: f64, height_css: f64) -> Vec<f64> {
    if panel.log {
        let (lo, hi) = (lo as i32, hi as i32);
        return (lo..=hi.min(lo + 12)).map(f64::from).collect();
    }
    let target = ((height_css / 24.0) as usize).clamp(2, 4);
    let scale = if panel.unit == Unit::Bytes {
        1024.0 * 1024.0
    } else {
        1.0
    };
    incident_core::view::nice_ticks(lo / scale, hi / scale, target)
        .into_iter()
        .map(|v| v * scale)
        .collect()
}

/// A line's points as drawable runs: a gap (None) ends a run; a log panel
/// plots log10 of the values.
pub fn segments(points: &[(f64, Option<f64>)], log: bool) -> Vec<Vec<(f64, f64)>> {
    let mut out = Vec::new();
    let mut current = Vec::new();
    for &(t, v) in points {
        match v {
            Some(v) => current.push((t, if log { log10(v.max(0.1)) } else { v })),
            None if !current.is_empty() => out.push(std::mem::take(&mut current)),
            None => {}
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    panel: &Panel,
    spec: &ChartSpec,
    x_max: f64,
    theme: &Theme,
    px: Px,
    last: bool,
) -> DrawResult<Plot> {
    let (lo, hi) = y_range(panel);
    let height_css = f64::from(area.dim_in_pixel().1) / px.scale();
    let y_ticks = y_ticks(panel, lo, hi, height_css - 12.0);
    let x_ticks = incident_core::view::time_ticks(x_max, 7);
    let mut chart = ChartBuilder::on(area)
        .margin_top(px.i(8.0))
        .margin_right(px.i(RIGHT_PX))
        .margin_bottom(if last { 0 } else { px.i(4.0) })
        .x_label_area_size(if last { px.i(X_LABELS_PX) } else { 0 })
        .y_label_area_size(px.i(Y_LABELS_PX))
        .build_cartesian_2d(
            Ticked::new(0.0..x_max, x_ticks),
            Ticked::new(lo..hi, y_ticks),
        )
        .map_err(failed)?;
    let unit = panel.unit;
    let log = panel.log;
    let y_label = move |v: &f64| unit.format(if log { pow(10.0, *v) } else { *v });
    let x_label = |t: &f64| crate::format::clock(*t);
    chart
        .configure_mesh()
        .bold_line_style(rgb(theme.grid).stroke_width(px.u(1.0)))
        .light_line_style(TRANSPARENT)
        .axis_style(rgb(theme.axis).stroke_width(px.u(1.0)))
        .set_all_tick_mark_size(px.i(3.0))
        .label_style(px.font(theme.text))
        .x_label_formatter(&x_label)
        .y_label_formatter(&y_label)
        .draw()
        .map_err(failed)?;
    draw_hidden(&mut chart, spec.hidden_from_s, x_max, lo, hi, theme)?;
    let bands = panel.bands.iter().map(|b| {
        Rectangle::new(
            [(b.from_s, lo), (b.to_s, hi)],
            rgb(b.color).mix(0.14).filled(),
        )
    });
    chart.draw_series(bands).map_err(failed)?;
    draw_hlines(&mut chart, panel, x_max, px)?;
    draw_markers(&mut chart, &spec.markers, (x_max, lo, hi), px)?;
    for line in &panel.lines {
        draw_line(&mut chart, line, log, px)?;
    }
    Ok(plot_of(chart.plotting_area()))
}

/// The held-back part of the time axis: shaded, and said so.
fn draw_hidden<DB: DrawingBackend>(
    chart: &mut Chart2d<'_, DB>,
    from: Option<f64>,
    x_max: f64,
    lo: f64,
    hi: f64,
    theme: &Theme,
) -> DrawResult<()> {
    let Some(from) = from.filter(|f| *f < x_max) else {
        return Ok(());
    };
    let shade = rgb(theme.muted).mix(0.12).filled();
    chart
        .draw_series(std::iter::once(Rectangle::new(
            [(from, lo), (x_max, hi)],
            shade,
        )))
        .map(|_| ())
        .map_err(failed)
}

/// Dashed threshold lines, each labelled above its line, or below it when
/// that would collide with a label already drawn (or the plot's top).
fn draw_hlines<DB: DrawingBackend>(
    chart: &mut Chart2d<'_, DB>,
    panel: &Panel,
    x_max: f64,
    px: Px,
) -> DrawResult<()> {
    let y_of = |v: f64| if panel.log { log10(v.max(0.1)) } else { v };
    let label_h = px.i(FONT_PX + 3.0);
    let mut taken: Vec<(i32, i32)> = Vec::new();
    for h in &panel.hlines {
        let y = y_of(h.value);
        let style = rgb(h.color).stroke_width(px.u(1.0));
        chart
            .draw_series(DashedLineSeries::new(
                [(0.0, y), (x_max, y)],
                px.i(4.0),
                px.i(4.0),
                style,
            ))
            .map_err(failed)?;
        let plotting = chart.plotting_area();
        let top = plot_of(plotting).top;
        let line_y = plotting.map_coordinate(&(0.0, y)).1;
        let above = (line_y - label_h - px.i(2.0), line_y - px.i(2.0));
        let below = (line_y + px.i(2.0), line_y + px.i(2.0) + label_h);
        let free = |r: (i32, i32)| r.0 >= top && !taken.iter().any(|t| r.0 < t.1 && t.0 < r.1);
        let Some((range, dy, v_pos)) = [
            (above, -px.i(2.0), VPos::Bottom),
            (below, px.i(2.0), VPos::Top),
        ]
        .into_iter()
        .find(|(r, _, _)| free(*r)) else {
            continue; // no room: the legend still names it
        };
        taken.push(range);
        let font = px.font(h.color).pos(Pos::new(HPos::Left, v_pos));
        plotting
            .draw(&(EmptyElement::at((0.0, y)) + Text::new(h.label.clone(), (px.i(4.0), dy), font)))
            .map_err(failed)?;
    }
    Ok(())
}

/// Vertical marks; `range` is the plot's (x_max, lo, hi).
fn draw_markers<DB: DrawingBackend>(
    chart: &mut Chart2d<'_, DB>,
    markers: &[Marker],
    range: (f64, f64, f64),
    px: Px,
) -> DrawResult<()> {
    let (x_max, lo, hi) = range;
    for m in markers {
        let color = rgb(m.color);
        match m.kind {
            MarkerKind::Oom => {
                let style = color.mix(0.75).stroke_width(px.u(1.5));
                chart
                    .draw_series(LineSeries::new([(m.at_s, lo), (m.at_s, hi)], style))
                    .map_err(failed)?;
            }
            MarkerKind::OtherOom => {
                let style = color.stroke_width(px.u(1.5));
                chart
                    .draw_series(DashedLineSeries::new(
                        [(m.at_s, lo), (m.at_s, hi)],
                        px.i(3.0),
                        px.i(3.0),
                        style,
                    ))
                    .map_err(failed)?;
            }
            MarkerKind::Alert => {
                // A triangle hanging from the top, 10 by 10 CSS px, in data units.
                let plot = plot_of(chart.plotting_area());
                let (w, h) = (
                    (plot.right - plot.left).max(1),
                    (plot.bottom - plot.top).max(1),
                );
                let half_s = f64::from(px.i(5.0)) / f64::from(w) * x_max;
                let depth = f64::from(px.i(10.0)) / f64::from(h) * (hi - lo);
                let triangle = Polygon::new(
                    vec![
                        (m.at_s - half_s, hi),
                        (m.at_s + half_s, hi),
                        (m.at_s, hi - depth),
                    ],
                    color.filled(),
                );
                chart
                    .draw_series(std::iter::once(triangle))
                    .map_err(failed)?;
            }
        }
    }
    Ok(())
}

type Chart2d<'a, DB> = ChartContext<'a, DB, Cartesian2d<Ticked, Ticked>>;

fn draw_line<DB: DrawingBackend>(
    chart: &mut Chart2d<'_, DB>,
    line: &Line,
    log: bool,
    px: Px,
) -> DrawResult<()> {
    let color = rgb(line.color);
    let style = color.stroke_width(px.u(f64::from(line.width)));
    for run in segments(&line.points, log) {
        let drawn = if let [point] = run.as_slice() {
            chart
                .draw_series(std::iter::once(Circle::new(
                    *point,
                    px.u(2.0),
                    color.filled(),
                )))
                .map(|_| ())
        } else if line.dashed {
            chart
                .draw_series(DashedLineSeries::new(run, px.i(5.0), px.i(4.0), style))
                .map(|_| ())
        } else {
            chart.draw_series(LineSeries::new(run, style)).map(|_| ())
        };
        drawn.map_err(failed)?;
    }
    Ok(())
}

fn status_color(status: Status, theme: &Theme) -> Option<Rgb> {
    Some(match status {
        Status::Running => theme.running,
        Status::NotReady => theme.warning,
        Status::Creating => theme.creating,
        Status::Killed => theme.oom,
        Status::BackOff => theme.backoff,
        Status::Gone => return None,
    })
}

fn draw_strip<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    rows: &[StripRow],
    hidden_from_s: Option<f64>,
    x_max: f64,
    theme: &Theme,
    px: Px,
) -> DrawResult<Plot> {
    let n = rows.len().max(1) as f64;
    let width_css = f64::from(root.dim_in_pixel().0) / px.scale();
    // Row i sits between n - i - 1 and n - i; its label at the middle.
    let centres: Vec<f64> = (0..rows.len()).map(|i| n - i as f64 - 0.5).collect();
    let x_ticks = incident_core::view::time_ticks(x_max, 7);
    let mut chart = ChartBuilder::on(root)
        .margin_top(px.i(6.0))
        .margin_right(px.i(RIGHT_PX))
        .x_label_area_size(px.i(X_LABELS_PX))
        .y_label_area_size(px.i(150.0_f64.min(width_css * 0.3)))
        .build_cartesian_2d(
            Ticked::new(0.0..x_max, x_ticks),
            Ticked::new(0.0..n, centres),
        )
        .map_err(failed)?;
    let row_label = |v: &f64| {
        let i = (n - v - 0.5).round();
        if i >= 0.0 {
            rows.get(i as usize)
                .map(|r| r.label.clone())
                .unwrap_or_default()
        } else {
            String::new()
        }
    };
    let x_label = |t: &f64| crate::format::clock(*t);
    chart
        .configure_mesh()
        .disable_y_mesh()
        .bold_line_style(rgb(theme.grid).stroke_width(px.u(1.0)))
        .light_line_style(TRANSPARENT)
        .axis_style(rgb(theme.axis).stroke_width(px.u(1.0)))
        .set_all_tick_mark_size(px.i(3.0))
        .label_style(px.font(theme.text))
        .x_label_formatter(&x_label)
        .y_label_formatter(&row_label)
        .draw()
        .map_err(failed)?;
    draw_hidden(&mut chart, hidden_from_s, x_max, 0.0, n, theme)?;
    let min_width_s = x_max * 0.002;
    for (i, row) in rows.iter().enumerate() {
        let (top, bottom) = (n - i as f64 - 0.15, n - i as f64 - 0.85);
        let spans = row.spans.iter().filter_map(|&(from, to, status)| {
            let color = status_color(status, theme)?;
            Some(Rectangle::new(
                [(from, top), (to.max(from + min_width_s), bottom)],
                rgb(color).filled(),
            ))
        });
        chart.draw_series(spans).map_err(failed)?;
        let tick = rgb(theme.text).stroke_width(px.u(1.5));
        let restarts = row
            .restarts
            .iter()
            .map(|&t| PathElement::new([(t, top + 0.1), (t, bottom - 0.1)], tick));
        chart.draw_series(restarts).map_err(failed)?;
    }
    Ok(plot_of(chart.plotting_area()))
}

/// The overlay: the scrub line, and a dashed hover line while the pointer
/// is over the plot, across the plot's height (CSS px in, backend px out).
pub fn overlay<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    geometry: &Geometry,
    scrub_s: f64,
    hover_s: Option<f64>,
    theme: &Theme,
    px: Px,
) -> DrawResult<()> {
    let (top, bottom) = (px.at(geometry.top), px.at(geometry.bottom));
    if let Some(h) = hover_s {
        let x = px.at(geometry.x_of(h));
        let style = rgb(theme.muted).stroke_width(px.u(1.0));
        root.draw(&plotters::element::DashedPathElement::new(
            [(x, top), (x, bottom)],
            px.i(3.0),
            px.i(3.0),
            style,
        ))
        .map_err(failed)?;
    }
    let x = px.at(geometry.x_of(scrub_s));
    let style = rgb(theme.scrub).stroke_width(px.u(2.0));
    root.draw(&PathElement::new([(x, top), (x, bottom)], style))
        .map_err(failed)?;
    root.present().map_err(failed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::charts::registry::charts_for;
    use crate::charts::specs::{self, Inputs};
    use crate::charts::LIGHT;
    use incident_core::{presets, simulate};
    use plotters::backend::SVGBackend;

    /// Draws one chart to SVG text, as the canvas would get it.
    fn svg(spec: &ChartSpec, size_css: (u32, u32), dpr: f64) -> (String, Geometry) {
        let mut out = String::new();
        let size = (
            (f64::from(size_css.0) * dpr) as u32,
            (f64::from(size_css.1) * dpr) as u32,
        );
        let geometry = {
            let root = SVGBackend::with_string(&mut out, size).into_drawing_area();
            chart(&root, spec, &LIGHT, Px::new(dpr)).expect("drawn")
        };
        (out, geometry)
    }

    fn spike_memory() -> ChartSpec {
        let sc = presets::load("checkout-spike").unwrap();
        let trace = simulate(&sc);
        let inputs = Inputs {
            trace: &trace,
            pinned: None,
            imported: None,
            theme: &LIGHT,
            buckets: 400,
            until_s: None,
        };
        specs::memory(&inputs, "checkout")
    }

    #[test]
    fn memory_chart_draws_limit_thresholds_ooms_and_time_labels() {
        let spec = spike_memory();
        let (text, g) = svg(&spec, (800, 200), 1.0);
        for label in ["limit 20Mi", "85 % critical", "70 % warning", "0:00", "Mi"] {
            assert!(text.contains(label), "no {label:?} in the drawing");
        }
        // One vertical line per OOM kill, drawn at 75 % opacity.
        let markers = text.matches("opacity=\"0.75\"").count();
        let ooms = spec
            .markers
            .iter()
            .filter(|m| m.kind == MarkerKind::Oom)
            .count();
        assert_eq!(markers, ooms);
        assert!(!spec.markers.is_empty());
        assert!(g.left > 40.0 && g.right < 800.0 && g.top >= 0.0 && g.bottom < 200.0);
        // The last time tick is drawn whole: its label fits inside the canvas.
        let last = incident_core::view::time_ticks(spec.x_max_s, 7)
            .last()
            .copied()
            .unwrap();
        assert!(text.contains(&format!(">\n{}\n<", crate::format::clock(last))));
        assert!(g.right + RIGHT_PX <= 800.0 + 0.5);
    }

    #[test]
    fn hidpi_draws_twice_the_pixels_and_hands_back_css_geometry() {
        let spec = spike_memory();
        let (one, g1) = svg(&spec, (800, 200), 1.0);
        let (two, g2) = svg(&spec, (800, 200), 2.0);
        assert!(one.contains("width=\"800\"") && two.contains("width=\"1600\""));
        let font = |svg: &str| -> f64 {
            let at = svg.find("font-size=\"").expect("text") + 11;
            svg[at..].split('"').next().unwrap().parse().unwrap()
        };
        assert!((font(&two) / font(&one) - 2.0).abs() < 1e-9);
        for (a, b) in [
            (g1.left, g2.left),
            (g1.right, g2.right),
            (g1.top, g2.top),
            (g1.bottom, g2.bottom),
        ] {
            assert!((a - b).abs() <= 1.0, "CSS geometry differs: {a} vs {b}");
        }
    }

    #[test]
    fn every_chart_of_every_preset_draws() {
        for name in presets::names() {
            let sc = presets::load(name).unwrap();
            let trace = simulate(&sc);
            let inputs = Inputs {
                trace: &trace,
                pinned: Some(&trace),
                imported: None,
                theme: &LIGHT,
                buckets: 300,
                until_s: None,
            };
            let service = incident_core::view::focus_service(&sc);
            for kind in charts_for(&sc) {
                let spec = kind.build(&inputs, &service);
                let (text, g) = svg(&spec, (600, kind.height_px.max(120)), 1.0);
                assert!(g.right > g.left && g.bottom > g.top, "{name}/{kind:?}");
                assert!(
                    text.contains("<polyline") || text.contains("<rect"),
                    "{name}/{kind:?}"
                );
            }
        }
    }

    #[test]
    fn pods_strip_labels_rows_and_marks_restarts() {
        // The crash loop at the seed's pace (sockshop-hybrid, on the manifest's
        // 300 s liveness delay, restarts twice).
        let sc = presets::load("sockshop-hybrid-seed-probes").unwrap();
        let trace = simulate(&sc);
        let inputs = Inputs {
            trace: &trace,
            pinned: None,
            imported: None,
            theme: &LIGHT,
            buckets: 300,
            until_s: None,
        };
        let spec = specs::pods(&inputs);
        let Body::Strip(rows) = &spec.body else {
            panic!("a strip")
        };
        let (text, _) = svg(&spec, (800, 34 + 22 * rows.len() as u32), 1.0);
        for row in rows {
            assert!(text.contains(&row.label), "row {} unlabelled", row.label);
        }
        let restarts: usize = rows.iter().map(|r| r.restarts.len()).sum();
        assert!(restarts >= 4);
        let ticks = text
            .matches(&format!(
                "stroke=\"#{:02X}{:02X}{:02X}\"",
                LIGHT.text.0, LIGHT.text.1, LIGHT.text.2
            ))
            .count();
        assert!(
            ticks >= restarts,
            "{ticks} restart ticks for {restarts} restarts"
        );
    }

    #[test]
    fn segments_break_at_gaps_and_take_logs() {
        let pts = [
            (0.0, Some(1.0)),
            (1.0, Some(10.0)),
            (2.0, None),
            (3.0, Some(100.0)),
        ];
        assert_eq!(
            segments(&pts, false),
            vec![vec![(0.0, 1.0), (1.0, 10.0)], vec![(3.0, 100.0)]]
        );
        assert_eq!(segments(&pts, true)[1], vec![(3.0, 2.0)]);
    }

    #[test]
    fn ticked_axis_maps_linearly_and_gives_its_ticks() {
        let axis = Ticked::new(0.0..100.0, vec![0.0, 50.0, 100.0]);
        assert_eq!(axis.map(&50.0, (10, 110)), 60);
        assert_eq!(axis.map(&0.0, (200, 0)), 200);
        assert_eq!(
            axis.key_points(plotters::coord::ranged1d::BoldPoints(3)),
            vec![0.0, 50.0, 100.0]
        );
    }
}
