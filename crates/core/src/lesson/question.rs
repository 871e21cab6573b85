//! Questions and the feedback that teaches: a first wrong answer gets a
//! hint (which way, how far), the answer comes after a second try or when
//! the learner asks for it, and the explanation speaks to what the run
//! actually did.

use super::measure::{Measure, MeasureValue, Unit};
use crate::trace::Trace;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Question {
    pub prompt: String,
    pub answer: Answer,
    /// Shown once the answer is known, right or revealed.
    pub explanation: String,
    /// Said after a first wrong choice when `hints` has nothing for it.
    pub hint: Option<String>,
    /// A hint for each wrong choice, by the choice.
    pub hints: Vec<(String, String)>,
    /// More explanation for each possible answer, by the answer: a
    /// diagnosis explains the learner's own case.
    pub because: Vec<(String, String)>,
    /// The measure's arguments as written (`at = "5m"`), which the prompt
    /// may show: `{at}`.
    pub args: Vec<(String, String)>,
    /// Graded on the learner's own run (fixes, dragged controls and all),
    /// not the step's: `run = "yours"`. The page says so beside the question.
    pub on_learners_run: bool,
}

/// How a response is compared with the measure.
#[derive(Clone, Debug, PartialEq)]
pub enum Answer {
    /// A number within `tolerance_ratio` of the measure (0.25 = ±25 %).
    Number {
        measure: Measure,
        tolerance_ratio: f64,
    },
    /// One of `choices`; the right one is the measure's text.
    Choice {
        measure: Measure,
        choices: Vec<String>,
    },
    /// A moment on the time axis, within `tolerance_s` of the measure.
    Moment { measure: Measure, tolerance_s: f64 },
}

impl Answer {
    pub fn measure(&self) -> &Measure {
        match self {
            Answer::Number { measure, .. }
            | Answer::Choice { measure, .. }
            | Answer::Moment { measure, .. } => measure,
        }
    }
}

impl Default for Answer {
    fn default() -> Self {
        Answer::Number {
            measure: Measure::LatencyP95Ms,
            tolerance_ratio: 0.25,
        }
    }
}

/// The learner's answer.
#[derive(Clone, Debug, PartialEq)]
pub enum Response {
    Number(f64),
    Choice(String),
    MomentS(f64),
}

/// Where a question stands after an attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Right,
    /// Wrong, with a hint; the learner may try again.
    TryAgain,
    /// The answer is shown: a second wrong try, or "show me".
    Revealed,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Feedback {
    pub verdict: Verdict,
    pub correct: bool,
    /// What the run did, with its unit ("11.5 min", "9:15"); only once the
    /// question is settled, never with a hint.
    pub actual: Option<String>,
    pub hint: Option<String>,
    /// The question's explanation, then what is particular to this answer.
    pub explanation: Vec<String>,
}

/// Tries a learner gets: the first wrong one earns a hint, the second the answer.
pub const TRIES: u32 = 2;

impl Question {
    /// The answer this run gives, in words with its unit, if it has one.
    pub fn expected(&self, trace: &Trace) -> Option<String> {
        self.answer.measure().text(trace)
    }

    /// The answer as a bare value (a number, or the choice's text), for
    /// tools and tests that type it in.
    pub fn expected_value(&self, trace: &Trace) -> Option<String> {
        self.answer.measure().evaluate(trace).map(|v| match v {
            MeasureValue::Number(n) => format_number(n),
            MeasureValue::Text(t) => t,
        })
    }

    /// Checks a response; `attempt` counts from 1.
    pub fn check(&self, trace: &Trace, response: &Response, attempt: u32) -> Feedback {
        let measured = self.answer.measure().evaluate(trace);
        let correct = match (&self.answer, response, &measured) {
            (
                Answer::Number {
                    tolerance_ratio, ..
                },
                Response::Number(n),
                Some(MeasureValue::Number(a)),
            ) => (n - a).abs() <= tolerance_ratio * a.abs().max(1e-9),
            (
                Answer::Moment { tolerance_s, .. },
                Response::MomentS(at),
                Some(MeasureValue::Number(a)),
            ) => (at - a).abs() <= *tolerance_s,
            (Answer::Choice { .. }, Response::Choice(c), Some(MeasureValue::Text(a))) => c == a,
            (Answer::Choice { .. }, Response::Choice(c), Some(MeasureValue::Number(a))) => {
                crate::units::parse_f64(c) == Some(*a)
            }
            _ => false,
        };
        if correct {
            return self.settled(trace, Verdict::Right);
        }
        if attempt >= TRIES || measured.is_none() {
            return self.settled(trace, Verdict::Revealed);
        }
        Feedback {
            verdict: Verdict::TryAgain,
            correct: false,
            actual: None,
            hint: Some(self.hint_for(response, measured.as_ref())),
            explanation: Vec::new(),
        }
    }

    /// One of the question's texts as the run renders it, its own
    /// arguments (`{at}`) filled in.
    pub fn render(&self, text: &str, trace: &Trace) -> String {
        super::prose::render_plain_with(text, trace, &self.args)
    }

    /// The answer without a try: "show me".
    pub fn reveal(&self, trace: &Trace) -> Feedback {
        self.settled(trace, Verdict::Revealed)
    }

    fn settled(&self, trace: &Trace, verdict: Verdict) -> Feedback {
        let actual = self
            .expected(trace)
            .unwrap_or_else(|| super::prose::NEVER.to_string());
        let mut explanation = vec![self.render(&self.explanation, trace)];
        let raw = self.expected_value(trace).unwrap_or_default();
        if let Some((_, why)) = self.because.iter().find(|(k, _)| *k == raw) {
            explanation.push(self.render(why, trace));
        }
        Feedback {
            verdict,
            correct: verdict == Verdict::Right,
            actual: Some(actual),
            hint: None,
            explanation,
        }
    }

    /// Which way and how far, without the answer itself.
    fn hint_for(&self, response: &Response, measured: Option<&MeasureValue>) -> String {
        let unit = self.answer.measure().unit();
        match (response, measured) {
            (Response::Choice(c), _) => self
                .hints
                .iter()
                .find(|(k, _)| k == c)
                .map(|(_, h)| h.clone())
                .or_else(|| self.hint.clone())
                .unwrap_or_else(|| {
                    "Not that one. Look again at the charts this step points at.".into()
                }),
            (Response::MomentS(at), Some(MeasureValue::Number(actual))) => {
                let (later, earlier) = unit.directions();
                let gap_s = (actual - at).abs();
                let dir = if actual > at { later } else { earlier };
                if gap_s < 90.0 {
                    format!("{dir}, by less than a minute and a half.")
                } else {
                    format!("{dir}, by about {:.0} minutes.", gap_s / 60.0)
                }
            }
            (Response::Number(n), Some(MeasureValue::Number(actual))) => {
                number_hint(unit, *n, *actual, self.tolerance())
            }
            _ => "That kind of answer does not fit this question.".into(),
        }
    }

    fn tolerance(&self) -> f64 {
        match self.answer {
            Answer::Number {
                tolerance_ratio, ..
            } => tolerance_ratio,
            _ => 0.25,
        }
    }
}

fn number_hint(unit: Unit, response: f64, actual: f64, tolerance: f64) -> String {
    let (more, less) = unit.directions();
    let dir = if actual > response { more } else { less };
    let error = (response - actual).abs() / actual.abs().max(1e-9);
    if error <= 2.0 * tolerance {
        format!("{dir}, but not by much.")
    } else if actual > 2.0 * response {
        format!("{dir}: more than twice your answer.")
    } else if actual < 0.5 * response {
        format!("{dir}: less than half your answer.")
    } else {
        format!("{dir}.")
    }
}

/// A number as a learner would type it.
pub fn format_number(n: f64) -> String {
    if n == n.round() {
        format!("{n:.0}")
    } else {
        format!("{n:.1}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{presets, simulate};

    fn gradual() -> (Trace, Question) {
        let trace = simulate(&presets::load("checkout-gradual").unwrap());
        let q = Question {
            prompt: "When?".into(),
            answer: Answer::Number {
                measure: Measure::parse("first_oom_after_load_min(checkout)").unwrap(),
                tolerance_ratio: 0.2,
            },
            explanation: "Because {restarts(checkout)} restarts.".into(),
            ..Question::default()
        };
        (trace, q)
    }

    #[test]
    fn a_first_wrong_answer_gets_a_hint_and_no_answer() {
        let (trace, q) = gradual();
        let f = q.check(&trace, &Response::Number(1.0), 1);
        assert_eq!(f.verdict, Verdict::TryAgain);
        assert_eq!(f.actual, None, "a hint never gives the answer away");
        assert!(f
            .hint
            .unwrap()
            .starts_with("It takes longer than that: more than twice"));
        let f = q.check(&trace, &Response::Number(1.0), 2);
        assert_eq!(f.verdict, Verdict::Revealed);
        assert!(f.actual.unwrap().ends_with(" min"));
        assert!(
            f.explanation[0].contains(" restarts."),
            "the explanation is rendered"
        );
    }

    #[test]
    fn the_runs_own_answer_is_right_and_close_answers_hear_so() {
        let (trace, q) = gradual();
        let value: f64 = q.expected_value(&trace).unwrap().parse().unwrap();
        assert_eq!(
            q.check(&trace, &Response::Number(value), 1).verdict,
            Verdict::Right
        );
        let f = q.check(&trace, &Response::Number(value * 1.3), 1);
        assert_eq!(
            f.hint.as_deref(),
            Some("It comes sooner than that, but not by much.")
        );
        assert_eq!(q.reveal(&trace).verdict, Verdict::Revealed);
    }

    #[test]
    fn choice_hints_speak_to_the_choice_and_because_to_the_answer() {
        let trace = simulate(&presets::load("not-growing-flag-off").unwrap());
        let q = Question {
            prompt: "Why?".into(),
            answer: Answer::Choice {
                measure: Measure::parse("not_growing_cause(checkout)").unwrap(),
                choices: vec!["flag off".into(), "limit too high".into()],
            },
            explanation: "The checklist.".into(),
            hints: vec![(
                "limit too high".into(),
                "kubectl top would show it climbing.".into(),
            )],
            because: vec![("flag off".into(), "flagd serves 0.".into())],
            ..Question::default()
        };
        let f = q.check(&trace, &Response::Choice("limit too high".into()), 1);
        assert_eq!(
            f.hint.as_deref(),
            Some("kubectl top would show it climbing.")
        );
        let f = q.check(&trace, &Response::Choice("flag off".into()), 2);
        assert_eq!(f.verdict, Verdict::Right);
        assert_eq!(
            f.explanation,
            vec!["The checklist.".to_string(), "flagd serves 0.".to_string()]
        );
    }

    #[test]
    fn moment_hints_say_which_way_and_how_far() {
        let trace = simulate(&presets::load("checkout-spike").unwrap());
        let q = Question {
            answer: Answer::Moment {
                measure: Measure::parse("first_oom_at_s(checkout)").unwrap(),
                tolerance_s: 20.0,
            },
            ..Question::default()
        };
        let at: f64 = q.expected_value(&trace).unwrap().parse().unwrap();
        let f = q.check(&trace, &Response::MomentS(at + 600.0), 1);
        assert_eq!(
            f.hint.as_deref(),
            Some("Earlier than that, by about 10 minutes.")
        );
        let Some(MeasureValue::Number(exact)) = q.answer.measure().evaluate(&trace) else {
            panic!("the spike OOMs");
        };
        assert_eq!(
            q.expected(&trace).unwrap(),
            super::super::measure::clock(exact)
        );
    }
}
