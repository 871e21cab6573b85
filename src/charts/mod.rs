//! Charts: a chart is data (`ChartSpec`, built by `specs`) drawn straight
//! onto a 2D canvas sized by devicePixelRatio (no chart library: the few
//! shapes needed cost far less code than one). The scrub and hover
//! lines live on a second canvas laid over it, so playback never redraws
//! the plots.

pub mod specs;

use libm::{log10, pow};
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
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
            Some(v) => current.push((t, if log { log10(v.max(0.1)) } else { v })),
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
        (log10(lo).floor(), log10(hi).ceil())
    } else {
        (0.0, if hi > 0.0 { hi * 1.08 } else { 1.0 })
    }
}

type DrawResult<T> = Result<T, String>;

/// The 2D context of a canvas, with CSS pixels as units.
fn context(canvas: &HtmlCanvasElement, dpr: f64) -> DrawResult<CanvasRenderingContext2d> {
    let ctx = canvas
        .get_context("2d")
        .ok()
        .flatten()
        .ok_or("no 2d context")?;
    let ctx: CanvasRenderingContext2d =
        wasm_bindgen::JsCast::dyn_into(ctx).map_err(|_| "not a 2d context")?;
    ctx.set_transform(dpr, 0.0, 0.0, dpr, 0.0, 0.0)
        .map_err(|_| "the canvas refused a transform")?;
    Ok(ctx)
}

/// A plot area in CSS pixels and the data ranges it shows.
struct Area {
    left: f64,
    right: f64,
    top: f64,
    bottom: f64,
    x_max: f64,
    lo: f64,
    hi: f64,
}

impl Area {
    fn x(&self, t: f64) -> f64 {
        self.left + (self.right - self.left) * (t / self.x_max)
    }
    fn y(&self, v: f64) -> f64 {
        self.bottom - (self.bottom - self.top) * ((v - self.lo) / (self.hi - self.lo))
    }
}

fn set_dash(ctx: &CanvasRenderingContext2d, dash: &[f64]) {
    let array = js_sys::Array::new();
    for d in dash {
        array.push(&(*d).into());
    }
    let _ = ctx.set_line_dash(&array);
}

fn stroke_line(ctx: &CanvasRenderingContext2d, points: &[(f64, f64)]) {
    ctx.begin_path();
    for (i, &(x, y)) in points.iter().enumerate() {
        if i == 0 {
            ctx.move_to(x, y);
        } else {
            ctx.line_to(x, y);
        }
    }
    ctx.stroke();
}

/// Grid, axes and tick labels; the x labels only when `x_labels`.
fn draw_frame(ctx: &CanvasRenderingContext2d, area: &Area, theme: &Theme, x_labels: bool) {
    ctx.set_line_width(1.0);
    set_dash(ctx, &[]);
    ctx.set_stroke_style_str(&theme.grid.css());
    for t in incident_core::view::time_ticks(area.x_max, 7) {
        let x = area.x(t).round() + 0.5;
        stroke_line(ctx, &[(x, area.top), (x, area.bottom)]);
    }
    ctx.set_stroke_style_str(&theme.axis.css());
    stroke_line(
        ctx,
        &[
            (area.left + 0.5, area.top),
            (area.left + 0.5, area.bottom + 0.5),
            (area.right, area.bottom + 0.5),
        ],
    );
    if x_labels {
        ctx.set_fill_style_str(&theme.text.css());
        ctx.set_font("11px sans-serif");
        ctx.set_text_align("center");
        ctx.set_text_baseline("top");
        for t in incident_core::view::time_ticks(area.x_max, 7) {
            let _ = ctx.fill_text(&crate::format::clock(t), area.x(t), area.bottom + 4.0);
        }
    }
}

/// Draws a chart; returns the plot geometry for the overlay.
pub fn draw(
    canvas: &HtmlCanvasElement,
    spec: &ChartSpec,
    theme: &Theme,
    dpr: f64,
) -> DrawResult<Geometry> {
    let (css_w, css_h) = fit(canvas, dpr);
    let ctx = context(canvas, dpr)?;
    ctx.set_fill_style_str(&theme.background.css());
    ctx.fill_rect(0.0, 0.0, css_w, css_h);
    let x_max = spec.x_max_s.max(1.0);
    let mut geometry = Geometry {
        left: 0.0,
        right: css_w,
        top: 0.0,
        bottom: css_h,
        x_max_s: spec.x_max_s,
    };
    match &spec.body {
        Body::Panels(panels) => {
            let n = panels.len().max(1);
            let panel_h = css_h / n as f64;
            for (i, panel) in panels.iter().enumerate() {
                let last = i + 1 == n;
                let (lo, hi) = y_range(panel);
                let y0 = panel_h * i as f64;
                let area = Area {
                    left: 54.0,
                    right: (css_w - 12.0).max(60.0),
                    top: y0 + 8.0,
                    bottom: y0 + panel_h - if last { 22.0 } else { 4.0 },
                    x_max,
                    lo,
                    hi,
                };
                if i == 0 {
                    geometry.left = area.left;
                    geometry.right = area.right;
                    geometry.top = area.top;
                }
                geometry.bottom = area.bottom;
                draw_panel(&ctx, &area, panel, spec, theme, last);
            }
        }
        Body::Strip(rows) => {
            let n = rows.len().max(1) as f64;
            let area = Area {
                left: 150.0_f64.min(css_w * 0.3),
                right: (css_w - 12.0).max(60.0),
                top: 6.0,
                bottom: css_h - 22.0,
                x_max,
                lo: 0.0,
                hi: n,
            };
            geometry = Geometry {
                left: area.left,
                right: area.right,
                top: area.top,
                bottom: area.bottom,
                x_max_s: spec.x_max_s,
            };
            draw_strip(&ctx, &area, rows, theme);
        }
    }
    Ok(geometry)
}

fn draw_panel(
    ctx: &CanvasRenderingContext2d,
    area: &Area,
    panel: &Panel,
    spec: &ChartSpec,
    theme: &Theme,
    last: bool,
) {
    let ticks: Vec<f64> = if panel.log {
        let (lo, hi) = (area.lo as i32, area.hi as i32);
        (lo..=hi.min(lo + 12)).map(f64::from).collect()
    } else {
        // About one tick per 22 px, at most four; bytes on binary steps.
        let target = (((area.bottom - area.top) / 22.0) as usize).clamp(2, 4);
        let scale = if panel.unit == Unit::Bytes {
            1024.0 * 1024.0
        } else {
            1.0
        };
        incident_core::view::nice_ticks(area.lo / scale, area.hi / scale, target)
            .into_iter()
            .map(|v| v * scale)
            .collect()
    };
    ctx.set_line_width(1.0);
    set_dash(ctx, &[]);
    ctx.set_stroke_style_str(&theme.grid.css());
    for v in &ticks {
        let y = area.y(*v).round() + 0.5;
        stroke_line(ctx, &[(area.left, y), (area.right, y)]);
    }
    draw_frame(ctx, area, theme, last);
    ctx.set_fill_style_str(&theme.text.css());
    ctx.set_font("11px sans-serif");
    ctx.set_text_align("right");
    ctx.set_text_baseline("middle");
    for v in &ticks {
        let value = if panel.log { pow(10.0, *v) } else { *v };
        let _ = ctx.fill_text(&panel.unit.format(value), area.left - 6.0, area.y(*v));
    }
    // Everything else stays inside the plot.
    ctx.save();
    ctx.begin_path();
    ctx.rect(
        area.left,
        area.top,
        area.right - area.left,
        area.bottom - area.top,
    );
    ctx.clip();
    let y_of = |v: f64| {
        if panel.log {
            area.y(log10(v.max(0.1)))
        } else {
            area.y(v)
        }
    };
    ctx.set_font("10px sans-serif");
    ctx.set_text_align("left");
    ctx.set_text_baseline("bottom");
    for h in &panel.hlines {
        let y = y_of(h.value);
        ctx.set_stroke_style_str(&h.color.css());
        ctx.set_line_width(1.0);
        set_dash(ctx, &[4.0, 4.0]);
        stroke_line(ctx, &[(area.left, y), (area.right, y)]);
        ctx.set_fill_style_str(&h.color.css());
        // Above the line, or below it when the line is at the very top.
        let label_y = if y - 12.0 < area.top {
            y + 13.0
        } else {
            y - 2.0
        };
        let _ = ctx.fill_text(&h.label, area.left + 4.0, label_y);
    }
    set_dash(ctx, &[]);
    ctx.set_line_width(1.5);
    ctx.set_global_alpha(0.75);
    for m in &spec.markers {
        let x = area.x(m.at_s);
        ctx.set_stroke_style_str(&m.color.css());
        stroke_line(ctx, &[(x, area.top), (x, area.bottom)]);
    }
    ctx.set_global_alpha(1.0);
    ctx.set_line_join("round");
    for line in &panel.lines {
        let color = line.color.css();
        ctx.set_stroke_style_str(&color);
        ctx.set_fill_style_str(&color);
        ctx.set_line_width(line.width as f64);
        set_dash(ctx, if line.dashed { &[5.0, 4.0] } else { &[] });
        for seg in segments(&line.points, panel.log) {
            let points: Vec<(f64, f64)> =
                seg.iter().map(|&(t, v)| (area.x(t), area.y(v))).collect();
            if let [(x, y)] = points.as_slice() {
                ctx.begin_path();
                let _ = ctx.arc(*x, *y, 2.0, 0.0, std::f64::consts::TAU);
                ctx.fill();
            } else {
                stroke_line(ctx, &points);
            }
        }
    }
    ctx.restore();
}

fn draw_strip(ctx: &CanvasRenderingContext2d, area: &Area, rows: &[StripRow], theme: &Theme) {
    draw_frame(ctx, area, theme, true);
    let n = area.hi;
    ctx.set_fill_style_str(&theme.text.css());
    ctx.set_font("10.5px sans-serif");
    ctx.set_text_align("right");
    ctx.set_text_baseline("middle");
    for (i, row) in rows.iter().enumerate() {
        let _ = ctx.fill_text(&row.label, area.left - 6.0, area.y(n - i as f64 - 0.5));
    }
    for (i, row) in rows.iter().enumerate() {
        let y_top = area.y(n - i as f64 - 0.15);
        let y_bottom = area.y(n - i as f64 - 0.85);
        for &(from, to, status) in &row.spans {
            let color = match status {
                Status::Running => theme.running,
                Status::NotReady => theme.warning,
                Status::Creating => theme.creating,
                Status::Killed => theme.oom,
                Status::BackOff => theme.backoff,
                Status::Gone => continue,
            };
            let x0 = area.x(from);
            let x1 = area.x(to.max(from + area.x_max * 0.002));
            ctx.set_fill_style_str(&color.css());
            ctx.fill_rect(x0, y_top, (x1 - x0).max(1.0), y_bottom - y_top);
        }
        ctx.set_stroke_style_str(&theme.text.css());
        ctx.set_line_width(1.5);
        for &t in &row.restarts {
            let x = area.x(t);
            stroke_line(ctx, &[(x, y_top - 2.0), (x, y_bottom + 2.0)]);
        }
    }
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
    let Ok(ctx) = context(canvas, dpr) else {
        return;
    };
    ctx.clear_rect(0.0, 0.0, canvas.width() as f64, canvas.height() as f64);
    let line = |x: f64, color: &str, width: f64, dashed: bool| {
        ctx.begin_path();
        ctx.set_stroke_style_str(color);
        ctx.set_line_width(width);
        set_dash(&ctx, if dashed { &[3.0, 3.0] } else { &[] });
        ctx.move_to(x, geometry.top);
        ctx.line_to(x, geometry.bottom);
        ctx.stroke();
    };
    if let Some(h) = hover_s {
        line(geometry.x_of(h), &theme.muted.css(), 1.0, true);
    }
    line(geometry.x_of(scrub_s), &theme.scrub.css(), 2.0, false);
}
