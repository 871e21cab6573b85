//! Controls: a slider and a typed input for each parameter the preset names,
//! a seed, and an "Advanced" fold with every other knob. Every change goes
//! through the core's `apply_set`, so a bad value gets the core's message.

use crate::app::AppState;
use crate::dom::clicked_attr;
use crate::html::{error_paragraph, Html};
use incident_core::scenario::{ParamInfo, ParamKind};
use incident_core::units::parse_f64;
use leptos::prelude::*;
// The core's maths functions: one copy of each in the wasm, not two.
use libm::{exp, log, log10, pow};

/// Slider position (0..=1000) to a value and back. Log scale maps through
/// log(1 + v − min), so a range that starts at 0 still works.
pub fn to_position(info: &ParamInfo, value: f64) -> f64 {
    let (min, max) = (info.min.unwrap_or(0.0), info.max.unwrap_or(1.0));
    let span = (max - min).max(1e-12);
    let p = if info.log_scale {
        log(1.0 + (value - min).max(0.0)) / log(1.0 + span)
    } else {
        (value - min) / span
    };
    (p.clamp(0.0, 1.0) * 1000.0).round()
}

pub fn from_position(info: &ParamInfo, position: f64) -> f64 {
    let (min, max) = (info.min.unwrap_or(0.0), info.max.unwrap_or(1.0));
    let p = (position / 1000.0).clamp(0.0, 1.0);
    let raw = if info.log_scale {
        min + exp(log(1.0 + (max - min)) * p) - 1.0
    } else {
        min + (max - min) * p
    };
    nice(info.kind, raw.clamp(min, max))
}

/// Rounds a slider value to something a person would type.
fn nice(kind: ParamKind, v: f64) -> f64 {
    let round_to = |step: f64| (v / step).round() * step;
    match kind {
        ParamKind::Int => v.round(),
        ParamKind::Bytes => {
            let mi = 1024.0 * 1024.0;
            if v >= 64.0 * mi {
                round_to(8.0 * mi)
            } else if v >= mi {
                round_to(mi)
            } else {
                round_to(1024.0)
            }
        }
        ParamKind::Duration => {
            if v >= 60e6 {
                round_to(10e6)
            } else if v >= 1e6 {
                round_to(1e6)
            } else {
                round_to(1e3)
            }
        }
        ParamKind::Cpu => round_to(10.0),
        _ => {
            let magnitude = pow(10.0, log10(v.abs().max(1e-9)).floor() - 1.0);
            (v / magnitude).round() * magnitude
        }
    }
}

fn label_of(path: &str) -> String {
    let known = [
        (
            "flags.kafkaQueueProblems.variants.on",
            "kafkaQueueProblems (on value)",
        ),
        ("workload.users", "Users"),
        ("workload.spawn_rate", "Spawn rate (users/s)"),
        ("workload.think_time.max", "Think time, max"),
        ("workload.think_time.min", "Think time, min"),
        ("kafka.throughput_msgs_per_s", "Broker throughput (msg/s)"),
        ("kafka.error_ratio", "Failed broker writes (ratio)"),
        ("seed", "Seed"),
    ];
    if let Some((_, l)) = known.iter().find(|(p, _)| *p == path) {
        return l.to_string();
    }
    let parts: Vec<&str> = path.split('.').collect();
    match parts.as_slice() {
        ["services", svc, rest @ ..] => format!("{svc}: {}", rest.join(" ").replace('_', " ")),
        _ => path.replace(['.', '_'], " "),
    }
}

fn enum_options(options: &[&str], current: &str) -> String {
    let mut h = Html::new();
    for &o in options {
        let mut attrs = vec![("value", o)];
        if o == current {
            attrs.push(("selected", ""));
        }
        h.el("option", &attrs, o);
    }
    h.finish()
}

/// A parameter's control. Its elements are built once per *shape* (kind,
/// range, scale) and the value flows into them as properties: a slider that
/// was rebuilt on every change would drop the learner's drag after one step.
#[component]
pub fn Control(path: String) -> impl IntoView {
    let app = expect_context::<AppState>();
    let p = path.clone();
    let info = Memo::new(move |_| app.param(&p));
    let shape = Memo::new(move |_| {
        info.with(|i| {
            i.as_ref()
                .map(|i| (i.kind, i.min, i.max, i.log_scale, i.allowed.clone()))
        })
    });
    let value = move || info.with(|i| i.as_ref().map(|i| i.value.clone()).unwrap_or_default());
    let id = format!("ctl-{}", path.replace('.', "-"));
    let label = label_of(&path);
    let error = {
        let path = path.clone();
        move || app.control_errors.with(|e| e.get(&path).cloned())
    };
    let body_path = path.clone();
    let body_id = id.clone();
    let body = move || {
        shape.track();
        let Some(i) = info.get_untracked() else {
            return view! { <span class="muted">"not in this scenario"</span> }.into_any();
        };
        control_input(app, info, value, i, body_id.clone(), body_path.clone())
    };
    view! {
        <div class="control" data-param=path.clone()>
            <label for=id>{label}</label>
            {body}
            <div inner_html=move || error_paragraph(error().as_deref())></div>
        </div>
    }
}

/// The input for a parameter of this kind: a checkbox, a select, the text
/// itself, or a slider with a typed value.
fn control_input(
    app: AppState,
    info: Memo<Option<ParamInfo>>,
    value: impl Fn() -> String + Copy + Send + Sync + 'static,
    i: ParamInfo,
    id: String,
    path: String,
) -> AnyView {
    match i.kind {
        ParamKind::Bool => view! {
            <input type="checkbox" id=id prop:checked=move || value() == "true"
                on:change=move |ev| app.set_param(&path, if event_target_checked(&ev) { "true" } else { "false" }) />
        }
        .into_any(),
        ParamKind::Enum(options) => view! {
            <select id=id inner_html=enum_options(options, &i.value) prop:value=value
                on:change=move |ev| app.set_param(&path, &event_target_value(&ev))></select>
        }
        .into_any(),
        ParamKind::Text => view! { <code>{value}</code> }.into_any(),
        _ => slider_input(app, info, value, i, id, path),
    }
}

/// The slider's position for the parameter's value (its minimum when it
/// has no number).
fn slider_position(info: Memo<Option<ParamInfo>>) -> String {
    info.with(|i| {
        i.as_ref()
            .map(|i| to_position(i, i.number.unwrap_or(i.min.unwrap_or(0.0))))
            .unwrap_or(0.0)
            .to_string()
    })
}

/// A slider and a typed input for one number, and its allowed range.
fn slider_input(
    app: AppState,
    info: Memo<Option<ParamInfo>>,
    value: impl Fn() -> String + Copy + Send + Sync + 'static,
    i: ParamInfo,
    id: String,
    path: String,
) -> AnyView {
    let position = move || slider_position(info);
    let path2 = path.clone();
    let scale = if i.log_scale { "log scale" } else { "" };
    let range_id = format!("{id}-range");
    let typed_label = format!("{} value", label_of(&path));
    let allowed = i.allowed.clone();
    view! {
        <div class="slider-row">
            <input type="range" id=id min="0" max="1000" step="1" prop:value=position
                aria-describedby=range_id.clone() aria-valuetext=value
                on:input=move |ev| {
                    let pos = parse_f64(&event_target_value(&ev)).unwrap_or(0.0);
                    let v = from_position(&i, pos);
                    app.set_param(&path, &i.format(v));
                } />
            <input type="text" class="typed" inputmode="decimal" aria-label=typed_label
                prop:value=value
                on:change=move |ev| app.set_param(&path2, event_target_value(&ev).trim()) />
        </div>
        <small id=range_id class="muted">{allowed} " " {scale}</small>
    }
    .into_any()
}

/// The loaded scenario's own controls (the seed has its own row), at most
/// `max` of them. The side panel and the embed share this one list.
#[component]
pub fn ControlList(max: usize) -> impl IntoView {
    let app = expect_context::<AppState>();
    let controls = Memo::new(move |_| {
        app.scenario.with(|s| {
            s.controls
                .iter()
                .filter(|c| c.as_str() != "seed")
                .take(max)
                .cloned()
                .collect::<Vec<_>>()
        })
    });
    view! { <For each=move || controls.get() key=|c| c.clone() children=move |c| view! { <Control path=c /> } /> }
}

#[component]
pub fn Controls() -> impl IntoView {
    let app = expect_context::<AppState>();
    let new_seed = move |_| app.set_param("seed", &crate::dom::random_seed().to_string());
    let seed = move || app.scenario.with(|s| s.seed.to_string());
    view! {
        <section class="controls" aria-labelledby="controls-h">
            <h2 id="controls-h">"Controls"</h2>
            <ControlList max=usize::MAX />
            <div class="control" data-param="seed">
                <label for="ctl-seed">"Seed"</label>
                <div class="slider-row">
                    <input type="text" id="ctl-seed" class="typed" inputmode="numeric" prop:value=seed
                        on:change=move |ev| app.set_param("seed", event_target_value(&ev).trim()) />
                    <button on:click=new_seed>"New seed"</button>
                </div>
                <div inner_html=move || app.control_errors.with(|e| error_paragraph(e.get("seed").map(String::as_str)))></div>
            </div>
            <Advanced />
        </section>
    }
}

#[component]
fn Advanced() -> impl IntoView {
    let app = expect_context::<AppState>();
    let (filter, set_filter) = signal(String::new());
    let (open, set_open) = signal(false);
    let rows = Memo::new(move |_| {
        if !open.get() {
            return Vec::new();
        }
        let needle = filter.get().to_ascii_lowercase();
        let all = app.params.get();
        app.scenario.with(|s| {
            all.iter()
                .filter(|p| !s.controls.contains(&p.path))
                .filter(|p| !matches!(p.kind, ParamKind::Text))
                .filter(|p| {
                    needle.is_empty()
                        || p.path.to_ascii_lowercase().contains(&needle)
                        || p.help.to_ascii_lowercase().contains(&needle)
                })
                .take(80)
                .cloned()
                .collect::<Vec<_>>()
        })
    });
    let html = move || {
        let mut h = Html::new();
        app.control_errors.with(|errors| {
            for p in rows.get() {
                let id = format!("adv-{}", p.path.replace('.', "-"));
                h.open("li", &[])
                    .el("label", &[("for", &id), ("title", &p.help)], &p.path)
                    .open(
                        "input",
                        &[
                            ("id", &id),
                            ("type", "text"),
                            ("class", "typed"),
                            ("data-param", &p.path),
                            ("value", &p.value),
                        ],
                    )
                    .el("small", &[("class", "muted")], &p.allowed);
                if let Some(e) = errors.get(&p.path) {
                    h.error(e);
                }
                h.close("li");
            }
        });
        h.finish()
    };
    let change = move |ev: leptos::ev::Event| {
        if let Some(path) = clicked_attr(&ev, "data-param") {
            app.set_param(&path, event_target_value(&ev).trim());
        }
    };
    view! {
        <details class="advanced" on:toggle=move |ev| {
            let el: web_sys::HtmlDetailsElement = wasm_bindgen::JsCast::unchecked_into(event_target::<web_sys::HtmlElement>(&ev));
            set_open.set(el.open());
        }>
            <summary>"Advanced: every parameter"</summary>
            <label for="adv-filter" class="muted">"Filter"</label>
            <input id="adv-filter" type="search" placeholder="gogc, probe, limit…" on:input=move |ev| set_filter.set(event_target_value(&ev)) />
            <ul class="params" on:change=change inner_html=html></ul>
        </details>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use incident_core::presets;
    use incident_core::scenario::find_param;

    fn info(path: &str) -> ParamInfo {
        find_param(&presets::load("checkout-spike").unwrap(), path).unwrap()
    }

    #[test]
    fn log_slider_spans_zero_to_five_thousand() {
        let flag = info("flags.kafkaQueueProblems.variants.on");
        assert!(flag.log_scale);
        assert_eq!(from_position(&flag, 0.0), 0.0);
        assert_eq!(from_position(&flag, 1000.0), 5000.0);
        // The middle of a log slider is far below the middle value.
        let mid = from_position(&flag, 500.0);
        assert!(mid > 30.0 && mid < 120.0, "{mid}");
        for v in [0.0, 100.0, 300.0, 2000.0] {
            let back = from_position(&flag, to_position(&flag, v));
            assert!((back - v).abs() / v.max(1.0) < 0.05, "{v} -> {back}");
        }
    }

    #[test]
    fn slider_values_are_round_and_in_range() {
        let mem = info("services.checkout.memory_limit");
        for pos in [0.0, 137.0, 512.0, 999.0, 1000.0] {
            let v = from_position(&mem, pos);
            assert!(v >= mem.min.unwrap() && v <= mem.max.unwrap());
            assert_eq!(v % 1024.0, 0.0, "{v}");
            // The formatted value parses back through the core.
            let mut sc = presets::load("checkout-spike").unwrap();
            incident_core::scenario::apply_set(
                &mut sc,
                "services.checkout.memory_limit",
                &mem.format(v),
            )
            .unwrap();
        }
        let users = info("workload.users");
        assert_eq!(from_position(&users, 1000.0), 20000.0);
        assert_eq!(
            users
                .format(from_position(&users, 333.0))
                .parse::<f64>()
                .unwrap()
                .fract(),
            0.0
        );
    }

    #[test]
    fn labels_read_well() {
        assert_eq!(label_of("workload.users"), "Users");
        assert_eq!(
            label_of("services.checkout.memory_limit"),
            "checkout: memory limit"
        );
    }
}
