//! Incident Lab in the browser: Leptos components that render what the
//! core computes and dispatch what the learner does. No model logic here.

use incident_core::{presets, simulate};
use leptos::prelude::*;

#[component]
pub fn App() -> impl IntoView {
    let (preset, set_preset) = signal("checkout-spike".to_string());
    let trace = Memo::new(move |_| presets::load(&preset.get()).map(|sc| simulate(&sc).summary));
    let hash = move || trace.get().map(|s| s.trace_hash).unwrap_or_default();
    view! {
        <main id="app" data-trace-hash=hash>
            <h1>"Incident Lab"</h1>
            <label for="preset">"Scenario"</label>
            <select id="preset" on:change=move |ev| set_preset.set(event_target_value(&ev))>
                {presets::names().into_iter().map(|n| view! { <option value=n>{n}</option> }).collect_view()}
            </select>
            <p>"Trace " <code>{hash}</code></p>
        </main>
    }
}

pub fn start() {
    console_error_panic_hook::set_once();
    if let Some(boot) = document().get_element_by_id("boot") {
        boot.remove();
    }
    mount_to_body(App);
}
