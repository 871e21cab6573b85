//! Charts: a chart is data (`ChartSpec`, built by `specs`) drawn by
//! plotters (`draw`) on a canvas through plotters-canvas, sized by
//! devicePixelRatio. The scrub and hover lines live on a second canvas laid
//! over it, so playback never redraws the plots.

pub mod draw;
pub mod registry;
pub mod specs;

use draw::DrawResult;
use plotters::drawing::{DrawingArea, IntoDrawingArea};
use plotters_canvas::CanvasBackend;
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
    // Purple, not orange: far from the amber of "not ready".
    backoff: Rgb(130, 80, 223),
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
    backoff: Rgb(176, 131, 240),
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

/// A shaded span of time behind a panel's lines.
#[derive(Clone, Debug, PartialEq)]
pub struct Band {
    pub from_s: f64,
    pub to_s: f64,
    pub color: Rgb,
    pub label: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Panel {
    pub title: String,
    pub unit: Unit,
    pub lines: Vec<Line>,
    pub hlines: Vec<HLine>,
    pub bands: Vec<Band>,
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

/// What a vertical mark on the time axis is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MarkerKind {
    /// An OOM kill of the run on screen: a solid red line.
    Oom,
    /// An OOM kill of a pinned or imported run: a dashed line in its colour.
    OtherOom,
    /// An alert firing: a small triangle at the top of the plot.
    Alert,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Marker {
    pub at_s: f64,
    pub color: Rgb,
    pub kind: MarkerKind,
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
    /// Vertical markers (OOM kills, alerts) across every panel.
    pub markers: Vec<Marker>,
    /// The run is held back from here on (a lesson's open question): the
    /// rest of the time axis is shaded and empty.
    pub hidden_from_s: Option<f64>,
}

/// One entry of a chart's legend.
#[derive(Clone, Debug, PartialEq)]
pub struct LegendItem {
    /// The panel it belongs to, for charts of several panels.
    pub panel: String,
    pub label: String,
    pub color: Rgb,
    pub style: LegendStyle,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LegendStyle {
    Line,
    Dashed,
    Threshold,
    Mark,
    Triangle,
    Band,
}

impl ChartSpec {
    /// What every colour and mark on the chart means, once each.
    pub fn legend(&self) -> Vec<LegendItem> {
        let mut out: Vec<LegendItem> = Vec::new();
        let mut push = |item: LegendItem| {
            if !out
                .iter()
                .any(|o| o.label == item.label && o.panel == item.panel)
            {
                out.push(item);
            }
        };
        let several = matches!(&self.body, Body::Panels(p) if p.len() > 1);
        if let Body::Panels(panels) = &self.body {
            for p in panels {
                let panel = if several {
                    p.title.clone()
                } else {
                    String::new()
                };
                for l in &p.lines {
                    push(LegendItem {
                        panel: panel.clone(),
                        label: l.label.clone(),
                        color: l.color,
                        style: if l.dashed {
                            LegendStyle::Dashed
                        } else {
                            LegendStyle::Line
                        },
                    });
                }
                for h in &p.hlines {
                    push(LegendItem {
                        panel: panel.clone(),
                        label: h.label.clone(),
                        color: h.color,
                        style: LegendStyle::Threshold,
                    });
                }
                for b in &p.bands {
                    push(LegendItem {
                        panel: panel.clone(),
                        label: b.label.clone(),
                        color: b.color,
                        style: LegendStyle::Band,
                    });
                }
            }
        }
        for m in &self.markers {
            let (label, style) = match m.kind {
                MarkerKind::Oom => ("OOM kill", LegendStyle::Mark),
                MarkerKind::OtherOom => ("OOM kill (other run)", LegendStyle::Dashed),
                MarkerKind::Alert => ("alert fired", LegendStyle::Triangle),
            };
            push(LegendItem {
                panel: String::new(),
                label: label.to_string(),
                color: m.color,
                style,
            });
        }
        out
    }
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

/// Sizes the canvas backing store to its CSS size times the pixel ratio;
/// returns the CSS size.
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

fn canvas_area(
    canvas: &HtmlCanvasElement,
) -> DrawResult<DrawingArea<CanvasBackend, plotters::coord::Shift>> {
    CanvasBackend::with_canvas_object(canvas.clone())
        .map(|b| b.into_drawing_area())
        .ok_or_else(|| "the canvas has no 2d context".to_string())
}

/// Draws a chart with plotters at the canvas's own CSS size; returns the
/// plot geometry for the overlay.
pub fn draw(
    canvas: &HtmlCanvasElement,
    spec: &ChartSpec,
    theme: &Theme,
    px: draw::Px,
) -> DrawResult<Geometry> {
    fit(canvas, px.dpr);
    draw::chart(&canvas_area(canvas)?, spec, theme, px)
}

/// Draws a chart on a canvas whose backing store is already sized (one off
/// the page, for the handout's images).
pub fn draw_sized(
    canvas: &HtmlCanvasElement,
    spec: &ChartSpec,
    theme: &Theme,
    px: draw::Px,
) -> DrawResult<Geometry> {
    draw::chart(&canvas_area(canvas)?, spec, theme, px)
}

/// The overlay: a scrub line, and a hover line when the pointer is over the plot.
pub fn draw_overlay(
    canvas: &HtmlCanvasElement,
    geometry: &Geometry,
    scrub_s: f64,
    hover_s: Option<f64>,
    theme: &Theme,
    px: draw::Px,
) {
    fit(canvas, px.dpr);
    // plotters paints, it does not erase: clearing to transparent is the
    // canvas's own call.
    let context = canvas
        .get_context("2d")
        .ok()
        .flatten()
        .and_then(|c| wasm_bindgen::JsCast::dyn_into::<CanvasRenderingContext2d>(c).ok());
    if let Some(context) = context {
        context.clear_rect(0.0, 0.0, canvas.width() as f64, canvas.height() as f64);
    }
    let drawn = canvas_area(canvas)
        .and_then(|area| draw::overlay(&area, geometry, scrub_s, hover_s, theme, px));
    if let Err(e) = drawn {
        leptos::logging::warn!("overlay not drawn: {e}");
    }
}
