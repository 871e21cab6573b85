//! The lesson list, the open lesson's step (prose, checks, fixes, question,
//! feedback), instructor mode and the printable handout.

use crate::app::AppState;
use crate::format::{clock, paragraphs};
use crate::lesson::{self, LessonState};
use incident_core::lesson::{Answer, Lesson, Response, Step};
use incident_core::units::{parse_f64, SimTime};
use leptos::prelude::*;
use std::sync::Arc;

#[component]
pub fn LessonList() -> impl IntoView {
    let app = expect_context::<AppState>();
    let ls = expect_context::<LessonState>();
    let items = move || {
        ls.catalogue
            .get()
            .into_iter()
            .map(|entry| match entry.lesson {
                Ok(l) => {
                    let steps = l.steps.len();
                    let done = lesson::stored_done(&l.name).min(steps);
                    let name = l.name.clone();
                    let current = move || ls.open.with(|o| o.as_ref().is_some_and(|o| o.name == name));
                    let doc = l.seed_doc.clone().map(|d| format!("seed {d} · "));
                    let l2 = l.clone();
                    view! {
                        <li>
                            <button class="card lesson-card" class:current=current data-lesson=l.name.clone()
                                on:click=move |_| lesson::open(app, ls, l2.clone())>
                                <span class="card-title">{l.title.clone()}</span>
                                <span class="card-desc">{l.summary.clone()}</span>
                                <span class="card-doc">{doc}{format!("{done} of {steps} answered")}</span>
                            </button>
                        </li>
                    }
                    .into_any()
                }
                Err(e) => view! {
                    <li class="broken">{format!("{}: {e}", entry.name)}</li>
                }
                .into_any(),
            })
            .collect_view()
    };
    view! {
        <nav class="gallery lessons" aria-label="Lessons">
            <h2>"Lessons"</h2>
            <ul>{items}</ul>
        </nav>
    }
}

#[component]
pub fn LessonPanel() -> impl IntoView {
    let app = expect_context::<AppState>();
    let ls = expect_context::<LessonState>();
    move || {
        let lesson = ls.open.get()?;
        let step_index = ls.step(&app);
        let step = lesson.steps.get(step_index)?.clone();
        let count = lesson.steps.len();
        let instructor = app.share.with(|s| s.instructor);
        let kicker = format!(
            "Lesson{} · step {} of {count}",
            lesson
                .seed_doc
                .as_ref()
                .map(|d| format!(" · seed {d}"))
                .unwrap_or_default(),
            step_index + 1
        );
        let prose = paragraphs(&step.prose)
            .into_iter()
            .map(|p| view! { <p>{p}</p> })
            .collect_view();
        let next = step_index + 1 < count;
        Some(view! {
            <section class="lesson" aria-labelledby="lesson-h" data-lesson=lesson.name.clone() data-step=step_index + 1>
                <p class="kicker">{kicker}</p>
                <h2 id="lesson-h">{step.title.clone()}</h2>
                <p class="lesson-title">{lesson.title.clone()}</p>
                <div class="prose">{prose}</div>
                <Checks step=step.clone() />
                <Fixes step=step.clone() />
                <QuestionForm step=step.clone() />
                <nav class="lesson-nav" aria-label="Lesson steps">
                    <button disabled=step_index == 0 on:click=move |_| lesson::go_to(app, ls, step_index.saturating_sub(1))>"← Back"</button>
                    <button class="primary" disabled=!next data-action="next" on:click=move |_| lesson::go_to(app, ls, step_index + 1)>"Next step →"</button>
                    <button class="link" on:click=move |_| lesson::leave(app, ls)>"Leave lesson"</button>
                </nav>
                {instructor.then(|| view! { <Instructor lesson=lesson.clone() /> })}
            </section>
        })
    }
}

/// The service a step's checks and answers are about.
fn step_service(app: &AppState, step: &Step) -> String {
    step.question
        .as_ref()
        .and_then(|q| q.answer.measure().service().map(str::to_string))
        .unwrap_or_else(|| app.service.get_untracked())
}

#[component]
fn Checks(step: Step) -> impl IntoView {
    let app = expect_context::<AppState>();
    let ls = expect_context::<LessonState>();
    if step.checks.is_empty() {
        return None;
    }
    let service = step_service(&app, &step);
    let buttons = step
        .checks
        .iter()
        .map(|&check| {
            let pressed = move || (ls.check.get() == Some(check)).to_string();
            view! {
                <button class="chip" aria-pressed=pressed data-check=check.name() on:click=move |_| ls.check.set(Some(check))>
                    {check.label()}
                </button>
            }
        })
        .collect_view();
    let output = move || {
        let check = ls.check.get()?;
        let trace = app.trace.get()?;
        let t = SimTime::from_secs_f64(app.scrub_s.get());
        let command = check.command(&trace, &service);
        let printed = check.output(&trace, &service, t);
        Some(view! {
            <figure class="check-output" data-check=check.name()>
                <figcaption>{if t.0 == 0 {
                    "At the start of the run (drag the time slider to run it later):".to_string()
                } else {
                    format!("At {} into the run:", clock(t.as_secs_f64()))
                }}</figcaption>
                <pre><code><span class="prompt">"$ "</span>{command}"\n"{printed}</code></pre>
            </figure>
        })
    };
    Some(view! {
        <div class="checks" class:highlight=move || ls.highlights(&app).iter().any(|h| h == "checks")>
            <h3>"The checklist"</h3>
            <div class="chips">{buttons}</div>
            {output}
        </div>
    })
}

#[component]
fn Fixes(step: Step) -> impl IntoView {
    let app = expect_context::<AppState>();
    let ls = expect_context::<LessonState>();
    if step.fixes.is_empty() {
        return None;
    }
    let buttons = step
        .fixes
        .iter()
        .enumerate()
        .map(|(i, fix)| {
            let applied = move || app.share.with(|s| s.fixes.contains(&i));
            view! {
                <button class="chip" data-fix=i disabled=applied aria-pressed=move || applied().to_string()
                    on:click=move |_| lesson::apply_fix(app, ls, i)>
                    {fix.label.clone()}
                </button>
            }
        })
        .collect_view();
    Some(view! {
        <div class="fixes">
            <h3>"Try a fix"</h3>
            <div class="chips">{buttons}</div>
        </div>
    })
}

#[component]
fn QuestionForm(step: Step) -> impl IntoView {
    let app = expect_context::<AppState>();
    let ls = expect_context::<LessonState>();
    let question = step.question.clone()?;
    let (typed, set_typed) = signal(String::new());
    let (chosen, set_chosen) = signal(Option::<String>::None);
    let (error, set_error) = signal(Option::<String>::None);
    let running = move || app.progress.get().is_some();
    let kind = match question.answer {
        Answer::Number { .. } => "number",
        Answer::Choice { .. } => "choice",
        Answer::Moment { .. } => "moment",
    };
    let input = match &question.answer {
        Answer::Number { .. } => view! {
            <label class="answer">"Your prediction "
                <input name="answer" type="text" inputmode="decimal" autocomplete="off" prop:value=typed
                    on:input=move |ev| set_typed.set(event_target_value(&ev)) />
            </label>
        }
        .into_any(),
        Answer::Choice { choices, .. } => {
            let options = choices
                .iter()
                .map(|c| {
                    let value = c.clone();
                    let c2 = c.clone();
                    view! {
                        <label class="choice">
                            <input type="radio" name="answer" value=c.clone()
                                prop:checked=move || chosen.get().as_deref() == Some(c2.as_str())
                                on:change=move |_| set_chosen.set(Some(value.clone())) />
                            " " {c.clone()}
                        </label>
                    }
                })
                .collect_view();
            view! { <fieldset class="choices"><legend class="sr-only">"Choices"</legend>{options}</fieldset> }
                .into_any()
        }
        Answer::Moment { .. } => view! {
            <p class="hint">"Click a chart or drag the time slider to the moment, then answer."</p>
        }
        .into_any(),
    };
    let answer_kind = question.answer.clone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let response = match &answer_kind {
            Answer::Number { .. } => match parse_f64(typed.get_untracked().trim()) {
                Some(n) if n.is_finite() => Response::Number(n),
                _ => {
                    set_error.set(Some("Type a number, like 11.5.".into()));
                    return;
                }
            },
            Answer::Choice { .. } => match chosen.get_untracked() {
                Some(c) => Response::Choice(c),
                None => {
                    set_error.set(Some("Pick one of the choices.".into()));
                    return;
                }
            },
            Answer::Moment { .. } => Response::MomentS(app.scrub_s.get_untracked()),
        };
        set_error.set(None);
        lesson::answer(app, ls, response);
    };
    let button_text = move || match kind {
        "moment" => format!("Answer with {}", clock(app.scrub_s.get())),
        _ => "Check my answer".to_string(),
    };
    let feedback = move || {
        let f = ls.feedback.get()?;
        let verdict = if f.correct { "Right." } else { "Not quite." };
        Some(view! {
            <div class="feedback" data-correct=f.correct.to_string() role="status">
                <p><strong>{verdict}</strong>" The run says: "<span class="actual">{f.actual}</span></p>
                {paragraphs(&f.explanation).into_iter().map(|p| view! { <p>{p}</p> }).collect_view()}
            </div>
        })
    };
    Some(view! {
        <form class="question" data-kind=kind on:submit=submit>
            <p class="prompt">{question.prompt.clone()}</p>
            {input}
            <button type="submit" class="primary" disabled=running>{button_text}</button>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        </form>
        {feedback}
    })
}

#[component]
fn Instructor(lesson: Arc<Lesson>) -> impl IntoView {
    let app = expect_context::<AppState>();
    let ls = expect_context::<LessonState>();
    let step_index = ls.step(&app);
    let question = lesson
        .steps
        .get(step_index)
        .and_then(|s| s.question.clone());
    let expected = move || {
        let q = question.as_ref()?;
        let trace = app.trace.get()?;
        Some(
            q.expected(&trace)
                .unwrap_or_else(|| "never happens in this run".into()),
        )
    };
    let case = move || {
        let n = lesson_case_count(&ls, &app);
        (n > 1).then(|| {
            format!(
                "Case: {} (seed {})",
                app.scenario.with(|s| s.name.clone()),
                app.share.with(|s| s.seed.unwrap_or(0))
            )
        })
    };
    let steps = lesson
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let done = move || ls.done.with(|d| d.contains(&i));
            view! {
                <li>
                    <button class="link" aria-current=move || (ls.step(&app) == i).then_some("step")
                        on:click=move |_| lesson::go_to(app, ls, i)>
                        {format!("{}. {}", i + 1, s.title)}
                    </button>
                    {move || done().then_some(" ✓")}
                </li>
            }
        })
        .collect_view();
    view! {
        <div class="instructor" aria-label="Instructor">
            <h3>"Instructor"</h3>
            <p class="instructor-answer">"Answer on this run: "<strong>{expected}</strong></p>
            <p>{case}</p>
            <ol class="lesson-steps">{steps}</ol>
            <button on:click=move |_| crate::dom::print()>"Print handout"</button>
        </div>
    }
}

fn lesson_case_count(ls: &LessonState, app: &AppState) -> usize {
    let step = ls.step(app);
    ls.open
        .with(|l| l.as_ref().map(|l| l.case_count(step)).unwrap_or(1))
}

/// One page for the room: every step and question, and a short link. Only
/// printed (see the print styles), and only in instructor mode.
#[component]
pub fn Handout() -> impl IntoView {
    let app = expect_context::<AppState>();
    let ls = expect_context::<LessonState>();
    move || {
        if !app.share.with(|s| s.instructor) {
            return None;
        }
        let lesson = ls.open.get()?;
        let link = crate::dom::url_with_query(&format!("?lesson={}", lesson.name));
        let steps = lesson
            .steps
            .iter()
            .map(|s| {
                let prompt = s.question.as_ref().map(|q| {
                    view! { <p class="handout-q">{q.prompt.clone()}" Your prediction: ________"</p> }
                });
                view! {
                    <li>
                        <strong>{s.title.clone()}</strong>
                        <p>{paragraphs(&s.prose).join(" ")}</p>
                        {prompt}
                    </li>
                }
            })
            .collect_view();
        Some(view! {
            <section class="handout" aria-hidden="true">
                <h1>{lesson.title.clone()}</h1>
                <p>{lesson.summary.clone()}</p>
                <p class="handout-link">"Open it: "<strong>{link}</strong></p>
                <ol>{steps}</ol>
            </section>
        })
    }
}
