//! The app's state (signals), what changes it, and the effects that follow:
//! re-simulate on a scenario change, keep the URL in step, play back.

use crate::charts::registry::Embed;
use crate::runner::Runner;
use crate::share_link::{self, ShareState};
use incident_core::scenario::{apply_set, list_params, Action, ParamInfo};
use incident_core::{presets, Scenario, Trace};
use leptos::prelude::*;
use std::sync::Arc;

/// What the page shows: the landing page for a newcomer, or the lab.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Page {
    Landing,
    Dashboard,
}

#[derive(Clone, Copy)]
pub struct AppState {
    pub page: RwSignal<Page>,
    pub share: RwSignal<ShareState>,
    pub scenario: RwSignal<Scenario>,
    /// Every parameter of the scenario, computed once per change; controls
    /// look theirs up here rather than walking the scenario each.
    pub params: Memo<Arc<Vec<ParamInfo>>>,
    pub trace: RwSignal<Option<Arc<Trace>>>,
    /// The run in progress so far, while it streams in: what the charts
    /// draw until `trace` has the whole run. Only the charts read it; every
    /// text on the page comes from whole runs. Tagged with the `changed_at`
    /// of the change that started the run.
    pub running: RwSignal<Option<Running>>,
    /// Wall time of the last run, milliseconds.
    pub run_ms: RwSignal<f64>,
    pub pinned: RwSignal<Option<Arc<Trace>>>,
    pub imported: RwSignal<Option<Arc<Trace>>>,
    /// Some(fraction) while a run is in progress.
    pub progress: RwSignal<Option<f64>>,
    pub scrub_s: RwSignal<f64>,
    pub hover_s: RwSignal<Option<f64>>,
    pub playing: RwSignal<bool>,
    pub speed: RwSignal<f64>,
    pub notices: RwSignal<Vec<String>>,
    /// Problems with the last control change, by parameter path.
    pub control_errors: RwSignal<ByKey>,
    pub dark: RwSignal<bool>,
    /// Bumped when the layout changes size: charts redraw.
    pub layout: RwSignal<u64>,
    pub headlines: RwSignal<ByKey>,
    pub service: RwSignal<String>,
    /// When the last change was made (performance.now), for redraw timing.
    pub changed_at: RwSignal<Option<f64>>,
    /// The playhead may not pass this while a lesson's question is open.
    pub scrub_max_s: RwSignal<Option<f64>>,
    /// Charts draw the run only up to here (a lesson holding back the future).
    pub cutoff_s: RwSignal<Option<f64>>,
}

/// A partial trace of the run in progress, and the change that started it.
#[derive(Clone)]
pub struct Running {
    pub changed_at: Option<f64>,
    pub trace: Arc<Trace>,
}

/// Runs `run` now and again whenever a signal it read changes. Boxed: one
/// copy of leptos's effect code for all of the app's effects.
pub fn effect(run: impl Fn() + 'static) {
    effect_boxed(Box::new(run));
}

fn effect_boxed(run: Box<dyn Fn()>) {
    Effect::new(move |_| run());
}

/// A few texts by name (a control's error, a preset's headline). A short
/// list: one per parameter or preset, so a map's code is not worth its size.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ByKey(Vec<(String, String)>);

impl ByKey {
    pub fn get(&self, key: &str) -> Option<&String> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub fn insert(&mut self, key: &str, value: String) {
        self.remove(key);
        self.0.push((key.to_string(), value));
    }

    pub fn remove(&mut self, key: &str) {
        self.0.retain(|(k, _)| k != key);
    }
}

thread_local! {
    static RUNNER: Runner = Runner::default();
    static PIN_RUNNER: Runner = Runner::default();
}

impl AppState {
    pub fn embed(&self) -> Option<Embed> {
        self.share.with(|s| s.embed)
    }

    /// Applies `path=value`; on error the control shows why, and nothing changes.
    pub fn set_param(&self, path: &str, value: &str) {
        let mut scenario = self.scenario.get_untracked();
        match apply_set(&mut scenario, path, value) {
            Ok(()) => {
                self.control_errors.update(|e| {
                    e.remove(path);
                });
                self.share
                    .update(|s| share_link::set_override(s, path, value));
                if path == "seed" {
                    self.share.update(|s| {
                        s.overrides.retain(|(p, _)| p != "seed");
                        s.seed = value.parse().ok();
                    });
                }
                self.changed_at.set(Some(crate::dom::now_ms()));
                self.scenario.set(scenario);
            }
            Err(problems) => {
                let message = problems
                    .0
                    .iter()
                    .map(|p| p.message.clone())
                    .collect::<Vec<_>>()
                    .join("; ");
                self.control_errors.update(|e| {
                    e.insert(path, message);
                });
            }
        }
    }

    pub fn load_preset(&self, name: &str) {
        if let Some(sc) = presets::load(name) {
            self.page.set(Page::Dashboard);
            self.share.update(|s| {
                s.preset = name.to_string();
                s.overrides.clear();
                s.scenario_json = None;
                s.seed = None;
                s.t_s = None;
                s.service = None;
                s.compare = None;
                s.map = None;
            });
            self.pinned.set(None);
            self.control_errors.set(ByKey::default());
            self.service.set(incident_core::view::focus_service(&sc));
            self.scrub_s.set(0.0);
            self.changed_at.set(Some(crate::dom::now_ms()));
            self.scenario.set(sc);
        }
    }

    /// A scenario from a file the learner chose.
    pub fn load_scenario_text(&self, filename: &str, text: &str) {
        match Scenario::parse(text) {
            Ok(sc) => {
                self.share.update(|s| {
                    s.scenario_json = Some(sc.to_json());
                    s.overrides.clear();
                    s.seed = None;
                    s.compare = None;
                });
                self.notices
                    .set(vec![format!("Loaded {filename}: {}.", sc.title)]);
                self.service.set(incident_core::view::focus_service(&sc));
                self.pinned.set(None);
                self.changed_at.set(Some(crate::dom::now_ms()));
                self.scenario.set(sc);
            }
            Err(problems) => {
                let mut lines = vec![format!("{filename} is not a valid scenario:")];
                lines.extend(problems.0.iter().take(20).map(|p| p.to_string()));
                self.notices.set(lines);
            }
        }
    }

    pub fn import_trace_text(&self, filename: &str, text: &str) {
        match incident_core::trace::import_series(text) {
            Ok(trace) => {
                let partial = if trace.summary.partial {
                    " (partial: the run did not finish writing it)"
                } else {
                    ""
                };
                self.notices.set(vec![format!(
                    "Overlaying {filename}: {} trace of {}, {} samples{partial}.",
                    trace.source,
                    trace.scenario.name,
                    trace.sample_times_us.len()
                )]);
                self.imported.set(Some(Arc::new(trace)));
            }
            Err(e) => self
                .notices
                .set(vec![format!("{filename} is not a trace: {e}")]),
        }
    }

    pub fn pin(&self) {
        let overrides = self.share.with_untracked(|s| s.overrides.clone());
        self.share.update(|s| s.compare = Some(overrides));
        self.pinned.set(self.trace.get_untracked());
    }

    pub fn unpin(&self) {
        self.share.update(|s| s.compare = None);
        self.pinned.set(None);
    }

    /// Adds a timeline action at the current scrub time (lessons use this).
    pub fn add_action(&self, action: Action) {
        let mut sc = self.scenario.get_untracked();
        sc.timeline.push(action);
        if sc.validate().is_empty() {
            self.scenario.set(sc);
        }
    }

    pub fn param(&self, path: &str) -> Option<ParamInfo> {
        self.params
            .with(|ps| ps.iter().find(|p| p.path == path).cloned())
    }

    pub fn duration_s(&self) -> f64 {
        self.scenario.with(|s| s.duration.as_secs_f64())
    }

    /// The furthest the playhead may go now: the run's end, or a lesson's
    /// reveal point while its question is open.
    pub fn scrub_end_s(&self) -> f64 {
        let end = self.duration_s();
        self.scrub_max_s.get().map_or(end, |m| m.min(end))
    }

    /// Moves the playhead, no further than it may go.
    pub fn scrub_to(&self, t: f64) {
        let end = self.scrub_max_s.get_untracked().unwrap_or(f64::INFINITY);
        self.scrub_s.set(t.clamp(0.0, end.min(self.duration_s())));
    }

    /// Goes from the landing page into the lab.
    pub fn enter(&self) {
        self.page.set(Page::Dashboard);
    }
}

/// The theme remembered from the last visit, else the system's.
fn initial_dark() -> bool {
    match crate::dom::storage_get("incident-lab-theme").as_deref() {
        Some("dark") => true,
        Some("light") => false,
        _ => crate::dom::prefers_dark(),
    }
}

/// The service the link names, if the scenario has it; else the one the
/// scenario is about.
fn initial_service(loaded: &share_link::Loaded) -> String {
    loaded
        .state
        .service
        .clone()
        .filter(|s| loaded.scenario.services.contains_key(s))
        .unwrap_or_else(|| incident_core::view::focus_service(&loaded.scenario))
}

/// A bare address is a newcomer: the landing page. Any link is the lab.
fn initial_page() -> Page {
    if crate::dom::query().trim_start_matches('?').is_empty() {
        Page::Landing
    } else {
        Page::Dashboard
    }
}

/// The signals, as the link and the last visit left them.
fn new_state(loaded: &share_link::Loaded, dark: bool, service: String) -> AppState {
    let scenario = RwSignal::new(loaded.scenario.clone());
    let page = initial_page();
    AppState {
        page: RwSignal::new(page),
        share: RwSignal::new(loaded.state.clone()),
        scenario,
        params: Memo::new(move |_| Arc::new(scenario.with(list_params))),
        trace: RwSignal::new(None),
        running: RwSignal::new(None),
        run_ms: RwSignal::new(0.0),
        pinned: RwSignal::new(None),
        imported: RwSignal::new(None),
        progress: RwSignal::new(None),
        scrub_s: RwSignal::new(loaded.state.t_s.unwrap_or(0.0)),
        hover_s: RwSignal::new(None),
        playing: RwSignal::new(false),
        speed: RwSignal::new(60.0),
        notices: RwSignal::new(loaded.notices.clone()),
        control_errors: RwSignal::new(ByKey::default()),
        dark: RwSignal::new(dark),
        layout: RwSignal::new(0),
        headlines: RwSignal::new(ByKey::default()),
        service: RwSignal::new(service),
        changed_at: RwSignal::new(Some(crate::dom::now_ms())),
        scrub_max_s: RwSignal::new(None),
        cutoff_s: RwSignal::new(None),
    }
}

/// Builds the state from the URL and wires the effects.
pub fn provide() -> AppState {
    let loaded = share_link::load(&crate::dom::query());
    let dark = initial_dark();
    let service = initial_service(&loaded);
    let app = new_state(&loaded, dark, service);
    provide_context(app);
    simulate_pinned(app, &loaded.state);
    simulate_on_change(app);
    keep_url_in_step(app);
    apply_theme(app);
    redraw_on_resize(app);
    play_while_playing(app);
    app
}

/// A pinned run from the link: re-simulate it.
fn simulate_pinned(app: AppState, state: &ShareState) {
    let Some(compare) = state.compare.clone() else {
        return;
    };
    let mut pinned_state = ShareState {
        overrides: compare,
        compare: None,
        ..state.clone()
    };
    let mut ignored = Vec::new();
    let sc = share_link::scenario_of(&mut pinned_state, &mut ignored);
    PIN_RUNNER.with(|r| {
        r.start(
            &sc,
            |_| {},
            move |trace, _| app.pinned.set(Some(Arc::new(trace))),
        )
    });
}

/// Re-simulate whenever the scenario changes (not on the landing page,
/// which shows no run).
fn simulate_on_change(app: AppState) {
    effect(move || {
        let sc = app.scenario.get();
        if app.page.get() == Page::Landing {
            return;
        }
        app.progress.set(Some(0.0));
        let changed_at = app.changed_at.get_untracked();
        RUNNER.with(|r| {
            r.start_streaming(
                &sc,
                move |p| app.progress.set(Some(p)),
                move |partial| {
                    let trace = Arc::new(partial);
                    app.running.set(Some(Running { changed_at, trace }));
                },
                move |trace, ms| {
                    app.progress.set(None);
                    app.running.set(None);
                    app.run_ms.set(ms);
                    crate::dom::record_metric("simMs", ms);
                    let end = trace.scenario.duration.as_secs_f64();
                    if app.scrub_s.get_untracked() > end {
                        app.scrub_s.set(end);
                    }
                    app.trace.set(Some(Arc::new(trace)));
                },
            )
        });
    });
}

/// Keep the URL in step with what is on screen.
fn keep_url_in_step(app: AppState) {
    effect(move || {
        if app.page.get() == Page::Landing {
            return;
        }
        let mut s = app.share.get();
        s.t_s = Some(app.scrub_s.get()).filter(|t| *t > 0.0);
        let service = app.service.get();
        let default_service = app
            .scenario
            .with_untracked(incident_core::view::focus_service);
        s.service = (service != default_service).then_some(service);
        crate::dom::replace_query(&share_link::to_query(&s));
    });
}

/// Theme: remember it and tell the page.
fn apply_theme(app: AppState) {
    effect(move || {
        let dark = app.dark.get();
        if let Some(root) = document().document_element() {
            let _ = root.set_attribute("data-theme", if dark { "dark" } else { "light" });
        }
        crate::dom::storage_set("incident-lab-theme", if dark { "dark" } else { "light" });
    });
}

/// Layout changes redraw the charts.
fn redraw_on_resize(app: AppState) {
    let handle = window_event_listener(leptos::ev::resize, move |_| app.layout.update(|v| *v += 1));
    std::mem::forget(handle);
}

/// Playback: advance the scrub time while playing.
fn play_while_playing(app: AppState) {
    effect(move || {
        if app.playing.get() {
            play_frame(app, crate::dom::now_ms());
        }
    });
}

fn play_frame(app: AppState, last: f64) {
    request_animation_frame(move || {
        if !app.playing.get_untracked() {
            return;
        }
        let now = crate::dom::now_ms();
        let dt = ((now - last) / 1000.0).min(0.25);
        let end = app
            .scrub_max_s
            .get_untracked()
            .map_or(app.duration_s(), |m| m.min(app.duration_s()));
        let next = app.scrub_s.get_untracked() + dt * app.speed.get_untracked();
        if next >= end {
            app.scrub_s.set(end);
            app.playing.set(false);
            return;
        }
        app.scrub_s.set(next);
        play_frame(app, now);
    });
}

/// Simulates every preset in the background, one per idle slice, for the
/// gallery's headline numbers.
pub fn compute_headlines(app: AppState) {
    let names: Vec<&'static str> = presets::names();
    fn next(app: AppState, names: Vec<&'static str>, i: usize) {
        if i >= names.len() {
            return;
        }
        // Wait while the learner's own run is in progress.
        if app.progress.get_untracked().is_some() {
            set_timeout(
                move || next(app, names, i),
                std::time::Duration::from_millis(300),
            );
            return;
        }
        let name = names[i];
        if let Some(sc) = presets::load(name) {
            thread_local! { static GALLERY: Runner = Runner::background(); }
            GALLERY.with(|r| {
                r.start(
                    &sc,
                    |_| {},
                    move |trace, _| {
                        let h = incident_core::view::headline(&trace);
                        app.headlines.update(|m| {
                            m.insert(name, h);
                        });
                        set_timeout(
                            move || next(app, names, i + 1),
                            std::time::Duration::from_millis(30),
                        );
                    },
                )
            });
        }
    }
    set_timeout(
        move || next(app, names, 0),
        std::time::Duration::from_millis(800),
    );
}

#[cfg(test)]
mod tests {
    use super::ByKey;

    #[test]
    fn by_key_keeps_one_text_per_key() {
        let mut errors = ByKey::default();
        errors.insert("workload.users", "too many".into());
        errors.insert("seed", "not a number".into());
        errors.insert("workload.users", "below the minimum 1".into());
        assert_eq!(
            errors.get("workload.users").map(String::as_str),
            Some("below the minimum 1")
        );
        errors.remove("workload.users");
        assert_eq!(errors.get("workload.users"), None);
        assert_eq!(errors.get("seed").map(String::as_str), Some("not a number"));
    }
}
