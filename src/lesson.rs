//! Lessons in the app: the catalogue (fetched from `assets/lessons/`), the
//! open lesson and its step, answers and their feedback, and progress kept
//! in the URL and in localStorage. The core parses lessons, builds each
//! step's scenario and checks answers; this module only moves state.

use crate::app::AppState;
use incident_core::checks::Check;
use incident_core::lesson::{Feedback, Lesson, Response};
use incident_core::queries::QueryCard;
use leptos::prelude::*;
use std::collections::BTreeSet;
use std::sync::Arc;

/// Where the data files live, relative to the page (works from any sub-path).
const LESSONS_DIR: &str = "assets/lessons/";
const QUERIES_FILE: &str = "assets/queries.toml";
/// The case of a diagnostic step is `seed % cases`; seeds are drawn below this.
const LEARNER_SEED_RANGE: u64 = 1000;

/// A catalogue entry: the lesson, or why its file could not be used.
#[derive(Clone)]
pub struct Entry {
    pub name: String,
    pub lesson: Result<Arc<Lesson>, String>,
}

#[derive(Clone, Copy)]
pub struct LessonState {
    pub catalogue: RwSignal<Vec<Entry>>,
    pub open: RwSignal<Option<Arc<Lesson>>>,
    pub feedback: RwSignal<Option<Feedback>>,
    /// The check whose output is shown.
    pub check: RwSignal<Option<Check>>,
    /// Steps answered correctly, for the open lesson.
    pub done: RwSignal<BTreeSet<usize>>,
    pub queries: RwSignal<Arc<Vec<QueryCard>>>,
}

impl LessonState {
    pub fn step(&self, app: &AppState) -> usize {
        app.share.with(|s| s.step.unwrap_or(0))
    }

    /// What the current step points at, for highlighting.
    pub fn highlights(&self, app: &AppState) -> Vec<String> {
        let step = self.step(app);
        self.open.with(|l| {
            l.as_ref()
                .and_then(|l| l.steps.get(step))
                .map(|s| s.highlight.clone())
                .unwrap_or_default()
        })
    }
}

fn storage_key(name: &str) -> String {
    format!("incident-lab-lesson-{name}")
}

/// Progress as stored: `step|done,done`.
fn load_progress(name: &str) -> (Option<usize>, BTreeSet<usize>) {
    let Some(text) = crate::dom::storage_get(&storage_key(name)) else {
        return (None, BTreeSet::new());
    };
    let (step, done) = text.split_once('|').unwrap_or((&text, ""));
    let done = done
        .split(',')
        .filter_map(|n| n.parse().ok())
        .filter(|&n: &usize| n < incident_core::lesson::MAX_STEPS)
        .collect();
    (step.parse().ok(), done)
}

fn save_progress(name: &str, step: usize, done: &BTreeSet<usize>) {
    let done: Vec<String> = done.iter().map(|d| d.to_string()).collect();
    crate::dom::storage_set(&storage_key(name), &format!("{step}|{}", done.join(",")));
}

/// Stored progress for the catalogue: answered steps of a lesson.
pub fn stored_done(name: &str) -> usize {
    load_progress(name).1.len()
}

pub fn provide(app: AppState) -> LessonState {
    let ls = LessonState {
        catalogue: RwSignal::new(Vec::new()),
        open: RwSignal::new(None),
        feedback: RwSignal::new(None),
        check: RwSignal::new(None),
        done: RwSignal::new(BTreeSet::new()),
        queries: RwSignal::new(Arc::new(Vec::new())),
    };
    provide_context(ls);
    let from_link = app.share.with_untracked(|s| s.lesson.clone());
    leptos::task::spawn_local(async move {
        load_catalogue(app, ls, from_link).await;
    });
    leptos::task::spawn_local(async move {
        match crate::dom::fetch_text(QUERIES_FILE).await {
            Ok(text) => match incident_core::queries::parse(&text) {
                Ok(cards) => ls.queries.set(Arc::new(cards)),
                Err(e) => app
                    .notices
                    .update(|n| n.push(format!("{QUERIES_FILE} has problems: {}", e.0[0]))),
            },
            // Query cards are a help, not the app: say so once and go on.
            Err(e) => app
                .notices
                .update(|n| n.push(format!("Query cards are unavailable: {e}"))),
        }
    });
    ls
}

async fn load_catalogue(app: AppState, ls: LessonState, from_link: Option<String>) {
    let index = match crate::dom::fetch_text(&format!("{LESSONS_DIR}index.toml")).await {
        Ok(text) => incident_core::lesson::parse_index(&text).map_err(|e| e.to_string()),
        Err(e) => Err(e),
    };
    let mut names = match index {
        Ok(names) => names,
        Err(e) => {
            app.notices
                .update(|n| n.push(format!("The lesson list could not be read: {e}")));
            Vec::new()
        }
    };
    // A link may name a lesson the index does not list (a course's own).
    if let Some(name) = &from_link {
        if !names.contains(name) {
            names.push(name.clone());
        }
    }
    for name in names {
        let lesson = match crate::dom::fetch_text(&format!("{LESSONS_DIR}{name}.toml")).await {
            // Only the file's shape here: building every step's scenario
            // takes tens of milliseconds per lesson, so it waits for `open`.
            Ok(text) => Lesson::read(&text)
                .map(Arc::new)
                .map_err(|e| first_problem(&e)),
            Err(e) => Err(e),
        };
        if from_link.as_deref() == Some(name.as_str()) {
            match &lesson {
                Ok(l) => restore(app, ls, l.clone()),
                Err(e) => refuse_link(app, &name, e),
            }
        }
        ls.catalogue.update(|c| c.push(Entry { name, lesson }));
    }
}

fn first_problem(e: &incident_core::Problems) -> String {
    e.0.first().map(|p| p.to_string()).unwrap_or_default()
}

/// The scenario a lesson state describes: the step's own, the fixes the
/// learner applied, then their overrides. Unusable parts become notices.
fn scenario_for_state(
    lesson: &Lesson,
    share: &mut crate::state::ShareState,
    notices: &mut Vec<String>,
) -> Option<incident_core::Scenario> {
    let step = share
        .step
        .unwrap_or(0)
        .min(lesson.steps.len().saturating_sub(1));
    share.step = Some(step);
    let mut scenario = match lesson.scenario_for(step, share.seed) {
        Ok(sc) => sc,
        Err(e) => {
            notices.push(format!("This step cannot run: {}", first_problem(&e)));
            return None;
        }
    };
    let fixes = &lesson.steps[step].fixes;
    share.fixes.retain(|&f| {
        fixes
            .get(f)
            .is_some_and(|fix| fix.apply(&mut scenario).is_ok())
    });
    Some(crate::state::apply_state(scenario, share, notices))
}

/// Whether every step of the lesson builds its scenario; if not, says why.
fn openable(app: AppState, lesson: &Lesson) -> bool {
    match lesson.scenario_problems().first() {
        None => true,
        Some(p) => {
            say_cannot_open(app, &lesson.name, &p.to_string());
            false
        }
    }
}

fn say_cannot_open(app: AppState, name: &str, why: &str) {
    app.notices
        .update(|n| n.push(format!("The lesson “{name}” could not be opened: {why}")));
}

/// The lesson a link names cannot be opened: say why and drop it from the link.
fn refuse_link(app: AppState, name: &str, why: &str) {
    say_cannot_open(app, name, why);
    app.share.update(|s| {
        s.lesson = None;
        s.step = None;
        s.fixes.clear();
    });
}

/// Opens a lesson from a link: its step, fixes, overrides and seed.
fn restore(app: AppState, ls: LessonState, lesson: Arc<Lesson>) {
    if let Some(p) = lesson.scenario_problems().first() {
        refuse_link(app, &lesson.name, &p.to_string());
        return;
    }
    let (stored_step, done) = load_progress(&lesson.name);
    let mut share = app.share.get_untracked();
    if share.step.is_none() {
        share.step = stored_step;
    }
    ensure_seed(&lesson, &mut share);
    let mut notices = Vec::new();
    if let Some(sc) = scenario_for_state(&lesson, &mut share, &mut notices) {
        ls.done.set(done);
        ls.open.set(Some(lesson));
        show(app, share, sc);
    }
    if !notices.is_empty() {
        app.notices.update(|n| n.extend(notices));
    }
}

/// A lesson with cases gives each learner their own seed, so they may get a
/// different broken setup; the link keeps it.
fn ensure_seed(lesson: &Lesson, share: &mut crate::state::ShareState) {
    let has_cases = lesson.steps.iter().any(|s| !s.cases.is_empty());
    if has_cases && share.seed.is_none() {
        share.seed = Some(crate::dom::random_seed() % LEARNER_SEED_RANGE);
    }
}

fn show(app: AppState, share: crate::state::ShareState, scenario: incident_core::Scenario) {
    app.service
        .set(incident_core::view::focus_service(&scenario));
    app.pinned.set(None);
    app.control_errors.set(Default::default());
    app.share.set(share);
    app.changed_at.set(Some(crate::dom::now_ms()));
    app.scenario.set(scenario);
}

/// Opens a lesson where the learner left it (or at the start).
pub fn open(app: AppState, ls: LessonState, lesson: Arc<Lesson>) {
    if !openable(app, &lesson) {
        return;
    }
    let (stored_step, done) = load_progress(&lesson.name);
    app.share.update(|s| {
        s.lesson = Some(lesson.name.clone());
        s.seed = None;
    });
    ls.done.set(done);
    ls.open.set(Some(lesson));
    go_to(app, ls, stored_step.unwrap_or(0));
}

/// Moves to a step: its scenario from scratch, no fixes, no overrides.
pub fn go_to(app: AppState, ls: LessonState, step: usize) {
    let Some(lesson) = ls.open.get_untracked() else {
        return;
    };
    let step = step.min(lesson.steps.len().saturating_sub(1));
    let mut share = app.share.get_untracked();
    share.step = Some(step);
    share.fixes.clear();
    share.overrides.clear();
    share.scenario_json = None;
    share.compare = None;
    share.t_s = None;
    ensure_seed(&lesson, &mut share);
    let mut notices = Vec::new();
    if let Some(sc) = scenario_for_state(&lesson, &mut share, &mut notices) {
        share.preset = sc.name.clone();
        ls.feedback.set(None);
        ls.check.set(None);
        app.scrub_s.set(0.0);
        app.playing.set(false);
        save_progress(&lesson.name, step, &ls.done.get_untracked());
        show(app, share, sc);
    }
    if !notices.is_empty() {
        app.notices.set(notices);
    }
}

pub fn leave(app: AppState, ls: LessonState) {
    ls.open.set(None);
    ls.feedback.set(None);
    ls.check.set(None);
    app.share.update(|s| {
        s.lesson = None;
        s.step = None;
        s.fixes.clear();
        s.instructor = false;
    });
}

/// Applies fix `index` of the current step to the run on screen.
pub fn apply_fix(app: AppState, ls: LessonState, index: usize) {
    let Some(lesson) = ls.open.get_untracked() else {
        return;
    };
    let step = ls.step(&app);
    let Some(fix) = lesson.steps.get(step).and_then(|s| s.fixes.get(index)) else {
        return;
    };
    let mut scenario = app.scenario.get_untracked();
    match fix.apply(&mut scenario) {
        Ok(()) => {
            app.share.update(|s| s.fixes.push(index));
            ls.feedback.set(None);
            app.changed_at.set(Some(crate::dom::now_ms()));
            app.scenario.set(scenario);
        }
        Err(e) => app.notices.set(vec![format!(
            "“{}” does not apply to this run: {}",
            fix.label,
            first_problem(&e)
        )]),
    }
}

/// Checks the learner's answer against the run on screen.
pub fn answer(app: AppState, ls: LessonState, response: Response) {
    let Some(lesson) = ls.open.get_untracked() else {
        return;
    };
    let step = ls.step(&app);
    let Some(question) = lesson.steps.get(step).and_then(|s| s.question.as_ref()) else {
        return;
    };
    // Answers are checked against a finished run only.
    if app.progress.get_untracked().is_some() {
        return;
    }
    let Some(trace) = app.trace.get_untracked() else {
        return;
    };
    let feedback = question.check(&trace, &response);
    if feedback.correct {
        ls.done.update(|d| {
            d.insert(step);
        });
        save_progress(&lesson.name, step, &ls.done.get_untracked());
    }
    ls.feedback.set(Some(feedback));
}
