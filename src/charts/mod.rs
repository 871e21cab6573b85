//! Charts: a chart is data (`ChartSpec`, built by `specs`) drawn with
//! plotters on a canvas sized by devicePixelRatio. The scrub and hover
//! lines live on a second canvas laid over it, so playback never redraws
//! the plots.

pub mod specs;

use plotters::prelude::*;
use plotters_canvas::CanvasBackend;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    fn plot(self) -> RGBColor {
        RGBColor(self.0, self.1, self.2)
    }
    pub fn css(self) -> String {
        format!("rgb({},{},{})", self.0, self.1, self.2)
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Theme {
    pub background: Rgb,
    pub text: Rgb,
    pub grid: Rgb,
    pub axis: Rgb,
    pub muted: Rgb,
    pub warning: Rgb,
    pub critical: Rgb,
    pub oom: Rgb,
    pub scrub: Rgb,
    pub pinned: Rgb,
    pub imported: Rgb,
    pub series: [Rgb; 6],
    pub running: Rgb,
    pub creating: Rgb,
    pub backoff: Rgb,
}

pub const LIGHT: Theme = Theme {
    background: Rgb(255, 255, 255),
    text: Rgb(31, 41, 51),
    grid: Rgb(231, 235, 240),
    axis: Rgb(120, 130, 142),
    muted: Rgb(110, 119, 129),
    warning: Rgb(196, 120, 0),
    critical: Rgb(205, 45, 45),
    oom: Rgb(205, 45, 45),
    scrub: Rgb(37, 99, 235),
    pinned: Rgb(140, 148, 158),
    imported: Rgb(147, 51, 234),
    series: [
        Rgb(37, 99, 235),
        Rgb(217, 95, 2),
        Rgb(27, 158, 119),
        Rgb(176, 60, 160),
        Rgb(90, 90, 90),
        Rgb(180, 150, 0),
    ],
    running: Rgb(45, 160, 90),
    creating: Rgb(160, 168, 178),
    backoff: Rgb(230, 140, 20),
};

pub const DARK: Theme = Theme {
    background: Rgb(22, 27, 34),
    text: Rgb(220, 226, 232),
    grid: Rgb(44, 52, 62),
    axis: Rgb(140, 150, 162),
    muted: Rgb(150, 160, 170),
    warning: Rgb(240, 170, 40),
    critical: Rgb(255, 100, 100),
    oom: Rgb(255, 100, 100),
    scrub: Rgb(96, 165, 250),
    pinned: Rgb(150, 158, 168),
    imported: Rgb(200, 140, 255),
    series: [
        Rgb(96, 165, 250),
        Rgb(255, 150, 70),
        Rgb(60, 200, 150),
        Rgb(230, 120, 220),
        Rgb(200, 200, 200),
        Rgb(230, 200, 60),
    ],
    running: Rgb(70, 190, 110),
    creating: Rgb(110, 118, 128),
    backoff: Rgb(245, 160, 40),
};

/// How a panel prints its values.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Unit {
    Bytes,
    Millis,
    Count,
    PerSecond,
    Ratio,
}

impl Unit {
    pub fn format(self, v: f64) -> String {
        match self {
            Unit::Bytes => crate::format::bytes(v),
            Unit::Millis => crate::format::millis(v),
            Unit::Count => crate::format::count(v),
            Unit::PerSecond => format!("{}/s", crate::format::count(v)),
            Unit::Ratio => crate::format::percent(v),
        }
    }
    pub fn axis_name(self) -> &'static str {
        match self {
            Unit::Bytes => "Mi",
            Unit::Millis => "ms",
            Unit::Count => "",
            Unit::PerSecond => "/s",
            Unit::Ratio => "%",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    pub label: String,
    pub color: Rgb,
    /// (seconds, value); None is a gap.
    pub points: Vec<(f64, Option<f64>)>,
    pub dashed: bool,
    pub width: u32,
}

#[derive(Clone, Debug, PartialEq)]
pub struct HLine {
    pub value: f64,
    pub color: Rgb,
    pub label: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Panel {
    pub title: String,
    pub unit: Unit,
    pub lines: Vec<Line>,
    pub hlines: Vec<HLine>,
    pub y_max: Option<f64>,
    /// Plot log10 of the values (latency spans decades).
    pub log: bool,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Status {
    Creating,
    Running,
    NotReady,
    Killed,
    BackOff,
    Gone,
}

#[derive(Clone, Debug, PartialEq)]
pub struct StripRow {
    pub label: String,
    /// (from s, to s, status)
    pub spans: Vec<(f64, f64, Status)>,
    /// Restart moments, seconds.
    pub restarts: Vec<f64>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Marker {
    pub at_s: f64,
    pub color: Rgb,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Body {
    Panels(Vec<Panel>),
    Strip(Vec<StripRow>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct ChartSpec {
    pub x_max_s: f64,
    pub body: Body,
    /// Vertical markers (OOM kills) across every panel.
    pub markers: Vec<Marker>,
}

/// Where the plot areas ended up, in CSS pixels, for the overlay.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Geometry {
    pub left: f64,
    pub right: f64,
    pub top: f64,
    pub bottom: f64,
    pub x_max_s: f64,
}

impl Geometry {
    pub fn x_of(&self, t_s: f64) -> f64 {
        self.left + (self.right - self.left) * (t_s / self.x_max_s.max(1e-9)).clamp(0.0, 1.0)
    }
    pub fn t_of(&self, x: f64) -> Option<f64> {
        if x < self.left || x > self.right || self.right <= self.left {
            return None;
        }
        Some((x - self.left) / (self.right - self.left) * self.x_max_s)
    }
}

/// Sizes the canvas backing store to its CSS size times the pixel ratio.
pub fn fit(canvas: &HtmlCanvasElement, dpr: f64) -> (f64, f64) {
    let w = canvas.client_width().max(1) as f64;
    let h = canvas.client_height().max(1) as f64;
    let (pw, ph) = ((w * dpr).round() as u32, (h * dpr).round() as u32);
    if canvas.width() != pw {
        canvas.set_width(pw);
    }
    if canvas.height() != ph {
        canvas.set_height(ph);
    }
    (w, h)
}

fn segments(points: &[(f64, Option<f64>)], log: bool) -> Vec<Vec<(f64, f64)>> {
    let mut out = Vec::new();
    let mut current = Vec::new();
    for &(t, v) in points {
        match v {
            Some(v) => current.push((t, if log { v.max(0.1).log10() } else { v })),
            None => {
                if !current.is_empty() {
                    out.push(std::mem::take(&mut current));
                }
            }
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

fn y_range(panel: &Panel) -> (f64, f64) {
    let mut hi = panel.y_max.unwrap_or(0.0);
    let mut lo = f64::INFINITY;
    for line in &panel.lines {
        for (_, v) in &line.points {
            if let Some(v) = v {
                hi = hi.max(*v);
                lo = lo.min(*v);
            }
        }
    }
    for h in &panel.hlines {
        hi = hi.max(h.value);
    }
    if panel.log {
        let lo = if lo.is_finite() { lo.max(0.1) } else { 1.0 };
        let hi = hi.max(lo * 10.0);
        (lo.log10().floor(), hi.log10().ceil())
    } else {
        (0.0, if hi > 0.0 { hi * 1.08 } else { 1.0 })
    }
}

type DrawResult<T> = Result<T, String>;

/// Plotters' errors only say the canvas refused; which call failed is
/// enough, and skipping their Debug text keeps the bundle small.
fn err<E>(_: E) -> String {
    "the canvas refused a drawing call".to_string()
}

/// Draws a chart; returns the plot geometry for the overlay.
pub fn draw(
    canvas: &HtmlCanvasElement,
    spec: &ChartSpec,
    theme: &Theme,
    dpr: f64,
) -> DrawResult<Geometry> {
    let (css_w, css_h) = fit(canvas, dpr);
    let backend = CanvasBackend::with_canvas_object(canvas.clone()).ok_or("no 2d context")?;
    let root = backend.into_drawing_area();
    root.fill(&theme.background.plot()).map_err(err)?;
    let px = |v: f64| (v * dpr).round() as u32;
    let font = |size: f64| {
        ("sans-serif", size * dpr)
            .into_font()
            .color(&theme.text.plot())
    };
    let mut geometry = Geometry {
        left: f64::MAX,
        right: 0.0,
        top: f64::MAX,
        bottom: 0.0,
        x_max_s: spec.x_max_s,
    };
    let mut note = |x: std::ops::Range<i32>, y: std::ops::Range<i32>| {
        geometry.left = geometry.left.min(x.start as f64 / dpr);
        geometry.right = geometry.right.max(x.end as f64 / dpr);
        geometry.top = geometry.top.min(y.start as f64 / dpr);
        geometry.bottom = geometry.bottom.max(y.end as f64 / dpr);
    };
    let x_max = spec.x_max_s.max(1.0);
    match &spec.body {
        Body::Panels(panels) => {
            let areas = root.split_evenly((panels.len().max(1), 1));
            for (i, (panel, area)) in panels.iter().zip(areas.iter()).enumerate() {
                let last = i + 1 == panels.len();
                let (lo, hi) = y_range(panel);
                let mut chart = ChartBuilder::on(area)
                    .margin_top(px(8.0))
                    .margin_right(px(12.0))
                    .margin_bottom(px(if last { 2.0 } else { 4.0 }))
                    .x_label_area_size(px(if last { 20.0 } else { 0.0 }))
                    .y_label_area_size(px(54.0))
                    .build_cartesian_2d(0f64..x_max, lo..hi)
                    .map_err(err)?;
                let unit = panel.unit;
                let log = panel.log;
                let y_fmt = move |v: &f64| {
                    let value = if log { 10f64.powf(*v) } else { *v };
                    unit.format(value)
                };
                let x_fmt = |v: &f64| crate::format::clock(*v);
                let mut mesh = chart.configure_mesh();
                mesh.light_line_style(theme.grid.plot())
                    .bold_line_style(theme.grid.plot())
                    .axis_style(theme.axis.plot())
                    .label_style(font(11.0))
                    .y_labels(if log { (hi - lo) as usize + 1 } else { 4 })
                    .y_label_formatter(&y_fmt)
                    .x_labels(7)
                    .x_label_formatter(&x_fmt);
                if !last {
                    mesh.disable_x_axis();
                }
                mesh.draw().map_err(err)?;
                for h in &panel.hlines {
                    let y = if log {
                        h.value.max(0.1).log10()
                    } else {
                        h.value
                    };
                    chart
                        .draw_series(DashedLineSeries::new(
                            [(0.0, y), (x_max, y)],
                            px(4.0),
                            px(4.0),
                            h.color.plot().stroke_width(px(1.0)),
                        ))
                        .map_err(err)?;
                    chart
                        .draw_series(std::iter::once(Text::new(
                            h.label.clone(),
                            (x_max * 0.005, y),
                            font(10.0).color(&h.color.plot()),
                        )))
                        .map_err(err)?;
                }
                for m in &spec.markers {
                    chart
                        .draw_series(LineSeries::new(
                            [(m.at_s, lo), (m.at_s, hi)],
                            m.color.plot().mix(0.75).stroke_width(px(1.5)),
                        ))
                        .map_err(err)?;
                }
                for line in &panel.lines {
                    let style = line.color.plot().stroke_width(px(line.width as f64));
                    for seg in segments(&line.points, log) {
                        if line.dashed {
                            chart
                                .draw_series(DashedLineSeries::new(seg, px(5.0), px(4.0), style))
                                .map_err(err)?;
                        } else if seg.len() == 1 {
                            chart
                                .draw_series(std::iter::once(Circle::new(
                                    seg[0],
                                    px(2.0),
                                    style.filled(),
                                )))
                                .map_err(err)?;
                        } else {
                            chart
                                .draw_series(LineSeries::new(seg, style))
                                .map_err(err)?;
                        }
                    }
                }
                let (xr, yr) = chart.plotting_area().get_pixel_range();
                note(xr, yr);
            }
        }
        Body::Strip(rows) => {
            let n = rows.len().max(1) as f64;
            let mut chart = ChartBuilder::on(&root)
                .margin_top(px(6.0))
                .margin_right(px(12.0))
                .x_label_area_size(px(20.0))
                .y_label_area_size(px(150.0_f64.min(css_w * 0.3)))
                .build_cartesian_2d(0f64..x_max, 0f64..n)
                .map_err(err)?;
            let labels: Vec<String> = rows.iter().map(|r| r.label.clone()).collect();
            let y_fmt = move |v: &f64| {
                let i = (n - v - 0.5).round();
                if (v.fract() - 0.5).abs() < 0.01 && i >= 0.0 {
                    labels.get(i as usize).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            };
            let x_fmt = |v: &f64| crate::format::clock(*v);
            chart
                .configure_mesh()
                .disable_y_mesh()
                .light_line_style(theme.grid.plot())
                .bold_line_style(theme.grid.plot())
                .axis_style(theme.axis.plot())
                .label_style(font(10.5))
                .y_labels((n as usize) * 2 + 1)
                .y_label_formatter(&y_fmt)
                .x_labels(7)
                .x_label_formatter(&x_fmt)
                .draw()
                .map_err(err)?;
            for (i, row) in rows.iter().enumerate() {
                let y0 = n - i as f64 - 0.85;
                let y1 = n - i as f64 - 0.15;
                for &(from, to, status) in &row.spans {
                    let color = match status {
                        Status::Running => theme.running,
                        Status::NotReady => theme.warning,
                        Status::Creating => theme.creating,
                        Status::Killed => theme.oom,
                        Status::BackOff => theme.backoff,
                        Status::Gone => continue,
                    };
                    chart
                        .draw_series(std::iter::once(Rectangle::new(
                            [(from, y0), (to.max(from + x_max * 0.002), y1)],
                            color.plot().filled(),
                        )))
                        .map_err(err)?;
                }
                for &t in &row.restarts {
                    chart
                        .draw_series(LineSeries::new(
                            [(t, y0 - 0.05), (t, y1 + 0.05)],
                            theme.text.plot().stroke_width(px(1.5)),
                        ))
                        .map_err(err)?;
                }
            }
            let (xr, yr) = chart.plotting_area().get_pixel_range();
            note(xr, yr);
        }
    }
    root.present().map_err(err)?;
    if geometry.left > geometry.right {
        geometry = Geometry {
            left: 0.0,
            right: css_w,
            top: 0.0,
            bottom: css_h,
            x_max_s: spec.x_max_s,
        };
    }
    Ok(geometry)
}

/// The overlay: a scrub line, and a hover line when the pointer is over the plot.
pub fn draw_overlay(
    canvas: &HtmlCanvasElement,
    geometry: &Geometry,
    scrub_s: f64,
    hover_s: Option<f64>,
    theme: &Theme,
    dpr: f64,
) {
    fit(canvas, dpr);
    let Ok(Some(ctx)) = canvas.get_context("2d") else {
        return;
    };
    let Ok(ctx) = wasm_bindgen::JsCast::dyn_into::<CanvasRenderingContext2d>(ctx) else {
        return;
    };
    ctx.set_transform(dpr, 0.0, 0.0, dpr, 0.0, 0.0).ok();
    ctx.clear_rect(0.0, 0.0, canvas.width() as f64, canvas.height() as f64);
    let line = |x: f64, color: &str, width: f64, dashed: bool| {
        ctx.begin_path();
        ctx.set_stroke_style_str(color);
        ctx.set_line_width(width);
        if dashed {
            let dash = js_sys::Array::of2(&3.0.into(), &3.0.into());
            ctx.set_line_dash(&dash).ok();
        } else {
            ctx.set_line_dash(&js_sys::Array::new()).ok();
        }
        ctx.move_to(x, geometry.top);
        ctx.line_to(x, geometry.bottom);
        ctx.stroke();
    };
    if let Some(h) = hover_s {
        line(geometry.x_of(h), &theme.muted.css(), 1.0, true);
    }
    line(geometry.x_of(scrub_s), &theme.scrub.css(), 2.0, false);
}
