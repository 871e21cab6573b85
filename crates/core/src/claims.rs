//! A scenario's claims, checked on its own run: what its description says
//! the run does, written as lessons write claims (`restarts(front-end) >=
//! 3`). The tests check every preset's; `incident simulate` prints them.

use crate::lesson::prose::Claim;
use crate::scenario::Scenario;
use crate::trace::Trace;

/// One claim and whether the run makes it true (the error says why not).
#[derive(Clone, Debug, PartialEq)]
pub struct Verdict {
    pub claim: String,
    pub result: Result<(), String>,
}

/// Every claim of the scenario, checked on `trace` (its run).
pub fn check(scenario: &Scenario, trace: &Trace) -> Vec<Verdict> {
    scenario
        .claims
        .iter()
        .map(|text| Verdict {
            claim: text.clone(),
            result: Claim::parse(text).and_then(|c| c.check(trace)),
        })
        .collect()
}

/// Whether the word before a number makes it a name: the lessons' own
/// ordinals ("seed 001", "check 2", "incident 4"), and a table's "row 300".
fn names_a_thing(previous: &str) -> bool {
    crate::lesson::prose::ORDINALS.contains(&previous) || previous == "row"
}

/// Numbers in the description that no claim states: a number the
/// description asserts without the run backing it. A parameter the
/// description quotes is claimed too (`param(workload.users) == 50`).
pub fn unbacked_numbers(scenario: &Scenario) -> Vec<String> {
    let backed: Vec<String> = scenario.claims.iter().flat_map(|t| numbers(t)).collect();
    let mut out = Vec::new();
    let mut previous = String::new();
    for word in scenario.description.split_whitespace() {
        let naming = names_a_thing(&previous);
        for n in numbers(word) {
            if !naming && !backed.contains(&n) {
                out.push(n);
            }
        }
        previous = word
            .trim_matches(|c: char| !c.is_alphanumeric())
            .to_ascii_lowercase();
    }
    out
}

/// The decimal numbers in a text, as written (`10–15` gives 10 and 15).
fn numbers(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for c in text.chars().chain([' ']) {
        if c.is_ascii_digit() || (c == '.' && !current.is_empty()) {
            current.push(c);
        } else if !current.is_empty() {
            out.push(current.trim_end_matches('.').to_string());
            current.clear();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{presets, simulate};

    #[test]
    fn a_false_claim_is_reported_with_both_sides() {
        let mut scenario = presets::load("checkout-spike").unwrap();
        scenario.duration = crate::units::Dur::secs(5 * 60);
        scenario.claims = vec![
            "restarts(checkout) >= 1".into(),
            "restarts(checkout) == 0".into(),
            "no_such(checkout) > 1".into(),
            "param(workload.users) == 50".into(),
            "param(workload.users) > 60".into(),
        ];
        let verdicts = check(&scenario, &simulate(&scenario));
        assert!(verdicts[0].result.is_ok(), "{verdicts:?}");
        let false_claim = verdicts[1].result.as_ref().unwrap_err();
        assert!(
            false_claim.contains("is false of this run"),
            "{false_claim}"
        );
        assert!(verdicts[2].result.is_err());
        // A parameter's text compares as the number it is.
        assert!(verdicts[3].result.is_ok(), "{verdicts:?}");
        assert!(verdicts[4].result.is_err(), "{verdicts:?}");
    }

    #[test]
    fn a_file_with_its_own_description_does_not_inherit_claims() {
        let own = "extends = \"checkout-gradual\"\nname = \"x\"\ndescription = \"mine\"\n";
        assert!(Scenario::parse(own).unwrap().claims.is_empty());
        let same = "extends = \"checkout-gradual\"\nname = \"x\"\n";
        let inherited = Scenario::parse(same).unwrap().claims;
        assert_eq!(inherited, presets::load("checkout-gradual").unwrap().claims);
    }

    #[test]
    fn a_number_no_claim_or_parameter_backs_is_named() {
        let mut scenario = presets::load("checkout-gradual").unwrap();
        scenario.claims = vec![
            "first_oom_after_load_min(checkout) >= 10".into(),
            "param(workload.users) == 25".into(),
        ];
        scenario.description =
            "Seed 001, row 300: flag 300, 25 users, OOM after 10–15 minutes and 7 restarts.".into();
        assert_eq!(unbacked_numbers(&scenario), ["300", "15", "7"]);
    }
}
