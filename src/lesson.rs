//! Lessons in the app: the catalogue (fetched from `assets/lessons/`), the
//! open lesson and its step, the step's own run, answers, hints and their
//! outcomes, and progress kept in the URL and in localStorage. The core
//! parses lessons, builds each step's scenario, renders its prose from the
//! run and grades answers; this module only moves state.
//!
//! While a step's question is open the run is shown only up to the step's
//! reveal point (`hold_s`): the playhead cannot pass it and the charts draw
//! up to the playhead. Answering (or "show me") settles the question, and
//! playback animates the rest of the run.

use crate::app::AppState;
use incident_core::checks::Check;
use incident_core::lesson::{Feedback, Lesson, Response, Verdict};
use incident_core::queries::QueryCard;
use incident_core::{Scenario, Trace};
use leptos::prelude::*;
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

/// How a step's question ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    FirstTry,
    AfterHint,
    Revealed,
}

impl Outcome {
    fn code(self) -> char {
        match self {
            Outcome::FirstTry => 'f',
            Outcome::AfterHint => 'h',
            Outcome::Revealed => 'r',
        }
    }

    fn from_code(c: char) -> Option<Outcome> {
        match c {
            'f' => Some(Outcome::FirstTry),
            'h' => Some(Outcome::AfterHint),
            'r' => Some(Outcome::Revealed),
            _ => None,
        }
    }

    pub fn right(self) -> bool {
        self != Outcome::Revealed
    }

    pub fn words(self) -> &'static str {
        match self {
            Outcome::FirstTry => "right first time",
            Outcome::AfterHint => "right after a hint",
            Outcome::Revealed => "answer shown",
        }
    }
}

/// A step's own scenario, as the lesson builds it.
#[derive(Clone, Debug, PartialEq)]
pub struct StepScenario {
    pub name: String,
    /// Compared with a run's scenario: the same JSON is the same run.
    pub json: String,
}

thread_local! {
    /// Runs a step's own scenario when the page shows another (a link with
    /// the learner's overrides or fixes).
    static STEP_RUNNER: crate::runner::Runner = crate::runner::Runner::default();
}

/// Each answered step and how it ended, in step order.
pub type Outcomes = Vec<(usize, Outcome)>;

#[derive(Clone, Copy)]
pub struct LessonState {
    pub catalogue: RwSignal<Vec<Entry>>,
    pub open: RwSignal<Option<Arc<Lesson>>>,
    pub feedback: RwSignal<Option<Feedback>>,
    /// Tries at the open question so far.
    pub attempts: RwSignal<u32>,
    /// The check whose output is shown.
    pub check: RwSignal<Option<Check>>,
    pub outcomes: RwSignal<Outcomes>,
    /// The step's own scenario (its name, and its JSON to recognise its
    /// run by), and its run once it has come back: what the step's question
    /// is graded on, whatever the learner changes.
    pub step_scenario: RwSignal<Option<StepScenario>>,
    pub step_trace: RwSignal<Option<Arc<Trace>>>,
    /// After an answer, playback runs on from the reveal point and the
    /// charts follow the playhead until it stops.
    pub animating: RwSignal<bool>,
    /// Instructor's switch: never hide any of the run.
    pub show_all: RwSignal<bool>,
    /// The whole dashboard instead of the step's own page.
    pub dashboard: RwSignal<bool>,
    /// The end-of-lesson summary is open.
    pub finished: RwSignal<bool>,
    /// The printable handout, once built (instructor mode).
    pub handout: RwSignal<Option<String>>,
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

    /// The step's own page is on screen (not the whole dashboard).
    pub fn step_page(&self) -> bool {
        self.open.with(|l| l.is_some()) && !self.dashboard.get() && !self.finished.get()
    }

    pub fn outcome_of(&self, step: usize) -> Option<Outcome> {
        self.outcomes
            .with(|o| o.iter().find(|(s, _)| *s == step).map(|(_, o)| *o))
    }

    /// Whether the open step's question is settled (or it has none).
    pub fn settled(&self, app: &AppState) -> bool {
        let step = self.step(app);
        let has_question = self.open.with(|l| {
            l.as_ref()
                .and_then(|l| l.steps.get(step))
                .is_some_and(|s| s.question.is_some())
        });
        !has_question
            || self.outcome_of(step).is_some()
            || self
                .feedback
                .with(|f| f.as_ref().is_some_and(|f| f.verdict != Verdict::TryAgain))
    }

    /// Until when the run is shown while the open question waits: the
    /// step's reveal point on its own run. `None` when nothing is held back.
    pub fn hold_s(&self, app: &AppState) -> Option<f64> {
        if self.show_all.get() || self.settled(app) {
            return None;
        }
        let lesson = self.open.get()?;
        let trace = self.step_trace.get()?;
        lesson.reveal_at_s(self.step(app), &trace)
    }
}

fn storage_key(name: &str) -> String {
    format!("incident-lab-lesson-{name}")
}

/// Progress as stored: `step|0f,2h,3r` (an older `step|0,2` counts as right).
fn load_progress(name: &str) -> (Option<usize>, Outcomes) {
    let Some(text) = crate::dom::storage_get(&storage_key(name)) else {
        return (None, Vec::new());
    };
    let (step, done) = text.split_once('|').unwrap_or((&text, ""));
    let mut outcomes: Outcomes = Vec::new();
    for item in done.split(',').take(incident_core::lesson::MAX_STEPS) {
        let digits: String = item.chars().take_while(char::is_ascii_digit).collect();
        let outcome = item[digits.len()..]
            .chars()
            .next()
            .map_or(Some(Outcome::FirstTry), Outcome::from_code);
        if let (Ok(n), Some(o)) = (digits.parse::<usize>(), outcome) {
            if n < incident_core::lesson::MAX_STEPS && !outcomes.iter().any(|(s, _)| *s == n) {
                outcomes.push((n, o));
            }
        }
    }
    outcomes.sort_by_key(|(s, _)| *s);
    (step.parse().ok(), outcomes)
}

fn save_progress(name: &str, step: usize, outcomes: &Outcomes) {
    let done: Vec<String> = outcomes
        .iter()
        .map(|(s, o)| format!("{s}{}", o.code()))
        .collect();
    crate::dom::storage_set(&storage_key(name), &format!("{step}|{}", done.join(",")));
}

/// Stored progress for the catalogue: steps answered right.
pub fn stored_right(name: &str) -> usize {
    load_progress(name)
        .1
        .iter()
        .filter(|(_, o)| o.right())
        .count()
}

pub fn provide(app: AppState) -> LessonState {
    let ls = LessonState {
        catalogue: RwSignal::new(Vec::new()),
        open: RwSignal::new(None),
        feedback: RwSignal::new(None),
        attempts: RwSignal::new(0),
        check: RwSignal::new(None),
        outcomes: RwSignal::new(Vec::new()),
        step_scenario: RwSignal::new(None),
        step_trace: RwSignal::new(None),
        animating: RwSignal::new(false),
        show_all: RwSignal::new(false),
        dashboard: RwSignal::new(false),
        finished: RwSignal::new(false),
        handout: RwSignal::new(None),
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
    capture_step_runs(app, ls);
    hold_the_future(app, ls);
    ls
}

/// The first run of a step's own scenario is the step's run: keep it.
fn capture_step_runs(app: AppState, ls: LessonState) {
    crate::app::effect(move || {
        let Some(trace) = app.trace.get() else { return };
        if ls.step_trace.with_untracked(|t| t.is_some()) {
            return;
        }
        let ours = ls.step_scenario.with_untracked(|s| {
            s.as_ref()
                .is_some_and(|s| s.json == trace.scenario.to_json())
        });
        if ours {
            keep_step_run(app, ls, trace);
        }
    });
}

/// The step's own run is in: keep it, then put the playhead at the reveal
/// point (or show the answer of a step answered before).
fn keep_step_run(app: AppState, ls: LessonState, trace: Arc<Trace>) {
    ls.step_trace.set(Some(trace.clone()));
    let Some(lesson) = ls.open.get_untracked() else {
        return;
    };
    let step = ls.step(&app);
    match ls.outcome_of(step) {
        // A step answered before: show its answer, and the whole run.
        Some(outcome) => {
            if let Some(q) = lesson.steps.get(step).and_then(|s| s.question.as_ref()) {
                let mut f = q.reveal(&trace);
                if outcome.right() {
                    f.verdict = Verdict::Right;
                    f.correct = true;
                }
                ls.feedback.set(Some(f));
            }
        }
        None => {
            if let Some(r) = lesson.reveal_at_s(step, &trace) {
                app.scrub_s.set(r);
            }
        }
    }
}

/// Keeps the app's playhead limit and the charts' cutoff in step with the
/// open question, the playhead and playback.
fn hold_the_future(app: AppState, ls: LessonState) {
    crate::app::effect(move || {
        let hold = ls.hold_s(&app);
        app.scrub_max_s.set(hold);
        if let Some(h) = hold {
            if app.scrub_s.get_untracked() > h {
                app.scrub_s.set(h);
            }
        }
    });
    crate::app::effect(move || {
        let lesson_open = ls.open.with(|l| l.is_some());
        let hold = app.scrub_max_s.get();
        let animating = ls.animating.get() && app.playing.get();
        if ls.animating.get_untracked() && !app.playing.get() {
            ls.animating.set(false);
        }
        let cutoff = match (lesson_open, hold, animating) {
            (false, _, _) => None,
            (true, Some(h), _) => Some(app.scrub_s.get().min(h)),
            (true, None, true) => Some(app.scrub_s.get()),
            (true, None, false) => None,
        };
        // Charts redraw per sample, not per frame.
        let interval = app
            .scenario
            .with_untracked(|s| s.sample_interval.as_secs_f64().max(0.1));
        let cutoff = cutoff.map(|c| (c / interval).ceil() * interval);
        if app.cutoff_s.get_untracked() != cutoff {
            app.cutoff_s.set(cutoff);
        }
    });
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
/// Also returns the step's own scenario, before fixes and overrides.
fn scenario_for_state(
    lesson: &Lesson,
    share: &mut crate::share_link::ShareState,
    notices: &mut Vec<String>,
) -> Option<(Scenario, Scenario)> {
    let step = share
        .step
        .unwrap_or(0)
        .min(lesson.steps.len().saturating_sub(1));
    share.step = Some(step);
    let own = match lesson.scenario_for(step, share.seed) {
        Ok(sc) => sc,
        Err(e) => {
            notices.push(format!("This step cannot run: {}", first_problem(&e)));
            return None;
        }
    };
    let mut scenario = own.clone();
    let fixes = &lesson.steps[step].fixes;
    share.fixes.retain(|&f| {
        fixes
            .get(f)
            .is_some_and(|fix| fix.apply(&mut scenario).is_ok())
    });
    let shown = crate::share_link::apply_state(scenario, share, notices);
    Some((own, shown))
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
    let (stored_step, outcomes) = load_progress(&lesson.name);
    let mut share = app.share.get_untracked();
    if share.step.is_none() {
        share.step = stored_step;
    }
    ensure_seed(&lesson, &mut share);
    let mut notices = Vec::new();
    if let Some((own, shown)) = scenario_for_state(&lesson, &mut share, &mut notices) {
        ls.outcomes.set(outcomes);
        ls.open.set(Some(lesson));
        start_step(app, ls, &own, &shown);
        show(app, share, shown);
    }
    if !notices.is_empty() {
        app.notices.update(|n| n.extend(notices));
    }
}

/// A lesson with cases gives each learner their own seed, so they may get a
/// different broken setup; the link keeps it.
fn ensure_seed(lesson: &Lesson, share: &mut crate::share_link::ShareState) {
    let has_cases = lesson.steps.iter().any(|s| !s.cases.is_empty());
    if has_cases && share.seed.is_none() {
        share.seed = Some(crate::dom::random_seed() % LEARNER_SEED_RANGE);
    }
}

/// A step starts over: no tries, no feedback, its own run still to come:
/// the page's run when it shows the step as it is, else a run of its own.
fn start_step(app: AppState, ls: LessonState, own: &Scenario, shown: &Scenario) {
    ls.feedback.set(None);
    ls.attempts.set(0);
    ls.check.set(None);
    ls.animating.set(false);
    ls.finished.set(false);
    ls.step_trace.set(None);
    let json = own.to_json();
    let same = json == shown.to_json();
    ls.step_scenario.set(Some(StepScenario {
        name: own.name.clone(),
        json,
    }));
    app.playing.set(false);
    app.scrub_s.set(0.0);
    STEP_RUNNER.with(|r| {
        if same {
            r.cancel();
        } else {
            r.start(
                own,
                |_| {},
                move |trace, _| keep_step_run(app, ls, Arc::new(trace)),
            );
        }
    });
}

fn show(app: AppState, share: crate::share_link::ShareState, scenario: Scenario) {
    app.service
        .set(incident_core::view::focus_service(&scenario));
    app.pinned.set(None);
    app.control_errors.set(Default::default());
    app.share.set(share);
    app.page.set(crate::app::Page::Dashboard);
    app.changed_at.set(Some(crate::dom::now_ms()));
    app.scenario.set(scenario);
}

/// Opens a lesson where the learner left it (or at the start).
pub fn open(app: AppState, ls: LessonState, lesson: Arc<Lesson>) {
    if !openable(app, &lesson) {
        return;
    }
    let (stored_step, outcomes) = load_progress(&lesson.name);
    app.share.update(|s| {
        s.lesson = Some(lesson.name.clone());
        s.seed = None;
    });
    ls.outcomes.set(outcomes);
    ls.dashboard.set(false);
    ls.open.set(Some(lesson));
    go_to(app, ls, stored_step.unwrap_or(0));
    crate::dom::scroll_to_top();
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
    if let Some((own, shown)) = scenario_for_state(&lesson, &mut share, &mut notices) {
        share.preset = shown.name.clone();
        save_progress(&lesson.name, step, &ls.outcomes.get_untracked());
        start_step(app, ls, &own, &shown);
        show(app, share, shown);
    }
    if !notices.is_empty() {
        app.notices.set(notices);
    }
}

pub fn leave(app: AppState, ls: LessonState) {
    ls.open.set(None);
    ls.feedback.set(None);
    ls.check.set(None);
    ls.step_trace.set(None);
    ls.step_scenario.set(None);
    ls.finished.set(false);
    ls.animating.set(false);
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

/// The run a question is graded on: the step's own, or the learner's
/// current one for a question that says so. `None` while it is computing.
fn graded_run(app: &AppState, ls: &LessonState, on_learners_run: bool) -> Option<Arc<Trace>> {
    if on_learners_run {
        // Only a finished run of what is on screen.
        if app.progress.get_untracked().is_some() {
            return None;
        }
        app.trace.get_untracked()
    } else {
        ls.step_trace.get_untracked()
    }
}

/// Checks the learner's answer against the step's run: a first wrong try
/// gets a hint, the second the answer.
pub fn answer(app: AppState, ls: LessonState, response: Response) {
    let Some(lesson) = ls.open.get_untracked() else {
        return;
    };
    let step = ls.step(&app);
    let Some(question) = lesson.steps.get(step).and_then(|s| s.question.as_ref()) else {
        return;
    };
    let Some(trace) = graded_run(&app, &ls, question.on_learners_run) else {
        return;
    };
    let attempt = ls.attempts.get_untracked() + 1;
    ls.attempts.set(attempt);
    let feedback = question.check(&trace, &response, attempt);
    let outcome = match feedback.verdict {
        Verdict::Right if attempt == 1 => Some(Outcome::FirstTry),
        Verdict::Right => Some(Outcome::AfterHint),
        Verdict::Revealed => Some(Outcome::Revealed),
        Verdict::TryAgain => None,
    };
    settle(app, ls, &lesson, step, outcome, feedback);
}

/// "Show me": the answer without a try.
pub fn show_answer(app: AppState, ls: LessonState) {
    let Some(lesson) = ls.open.get_untracked() else {
        return;
    };
    let step = ls.step(&app);
    let Some(question) = lesson.steps.get(step).and_then(|s| s.question.as_ref()) else {
        return;
    };
    let Some(trace) = graded_run(&app, &ls, question.on_learners_run) else {
        return;
    };
    let feedback = question.reveal(&trace);
    settle(app, ls, &lesson, step, Some(Outcome::Revealed), feedback);
}

/// Records the feedback; a settled question reveals the rest of the run and
/// plays it from the reveal point.
fn settle(
    app: AppState,
    ls: LessonState,
    lesson: &Lesson,
    step: usize,
    outcome: Option<Outcome>,
    feedback: Feedback,
) {
    let held = ls.hold_s(&app);
    ls.feedback.set(Some(feedback));
    let Some(outcome) = outcome else { return };
    if ls.outcome_of(step).is_none() {
        ls.outcomes.update(|o| {
            o.push((step, outcome));
            o.sort_by_key(|(s, _)| *s);
        });
    }
    save_progress(&lesson.name, step, &ls.outcomes.get_untracked());
    if let Some(from) = held {
        app.scrub_s.set(from);
        ls.animating.set(true);
        app.playing.set(true);
    }
}

/// The end-of-lesson summary.
pub fn finish(ls: LessonState) {
    ls.finished.set(true);
    crate::dom::scroll_to_top();
}

#[cfg(test)]
mod tests {
    use super::Outcome;

    #[test]
    fn outcomes_read_back_from_their_codes() {
        for o in [Outcome::FirstTry, Outcome::AfterHint, Outcome::Revealed] {
            assert_eq!(Outcome::from_code(o.code()), Some(o));
        }
        assert!(Outcome::AfterHint.right() && !Outcome::Revealed.right());
        assert_eq!(Outcome::from_code('x'), None);
    }
}
