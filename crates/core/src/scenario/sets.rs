//! `path=value` overrides, one or many. Every override is put into the
//! scenario first and the result is validated once, so their order does
//! not matter: `workload.think_time.min=20s` and `workload.think_time.max=30s`
//! work either way round. Each problem is reported under a path the caller
//! wrote: one found elsewhere in the scenario (a timeline action after a
//! shortened duration) is reported as a conflict of the override that
//! caused it.

use super::params::{put_set, revalidated};
use super::{Problem, Problems, Scenario};
use serde_json::Value;

/// Overrides tried without one another to find which caused a problem;
/// with more, a problem no override names is put on all of them.
const MAX_SEARCHED: usize = 32;

/// Others a conflict lists by name before "and N more".
const MAX_LISTED: usize = 3;

/// Applies `path=value` and revalidates. The scenario is unchanged on error.
pub fn apply_set(scenario: &mut Scenario, path: &str, value: &str) -> Result<(), Problems> {
    apply_sets(scenario, &[(path.to_string(), value.to_string())])
}

/// Applies every `(path, value)` as a whole, then validates the result
/// once; a later override of the same path wins. The scenario is unchanged
/// on error. Every problem is reported, each under one of the paths of
/// `sets`: a value a path does not take, or else what the result breaks.
pub fn apply_sets(scenario: &mut Scenario, sets: &[(String, String)]) -> Result<(), Problems> {
    let base = serde_json::to_value(&*scenario).map_err(|_| {
        let path = sets.first().map_or("", |(path, _)| path.as_str());
        Problems::from(Problem::new(
            path,
            "the scenario cannot be represented as data",
        ))
    })?;
    let mut tree = base.clone();
    let refused: Vec<Problem> = sets
        .iter()
        .filter_map(|(path, value)| put_set(&mut tree, scenario, path, value).err())
        .collect();
    if !refused.is_empty() {
        return Err(Problems(refused));
    }
    match revalidated(&tree) {
        Ok(updated) => {
            *scenario = updated;
            Ok(())
        }
        Err(found) => Err(attribute(scenario, &base, sets, found)),
    }
}

/// Each problem of the result under the path of an override: as it is when
/// it names one, else as a conflict of the overrides without which it goes
/// away (all of them when none or too many to try).
fn attribute(
    scenario: &Scenario,
    base: &Value,
    sets: &[(String, String)],
    found: Problems,
) -> Problems {
    let mut without: Option<Vec<Vec<Problem>>> = None;
    let all = || (0..sets.len()).collect::<Vec<usize>>();
    let problems = found.0.into_iter().map(|problem| {
        if sets.iter().any(|(path, _)| *path == problem.path) {
            return problem;
        }
        let culprits = if sets.len() == 1 || sets.len() > MAX_SEARCHED {
            all()
        } else {
            let without =
                without.get_or_insert_with(|| problems_without_each(scenario, base, sets));
            let needed: Vec<usize> = (0..sets.len())
                .filter(|&k| !without[k].contains(&problem))
                .collect();
            if needed.is_empty() {
                all()
            } else {
                needed
            }
        };
        conflict(&problem, sets, &culprits)
    });
    Problems(problems.collect())
}

/// For each override, the problems of the result of all the others.
fn problems_without_each(
    scenario: &Scenario,
    base: &Value,
    sets: &[(String, String)],
) -> Vec<Vec<Problem>> {
    (0..sets.len())
        .map(|left_out| {
            let mut tree = base.clone();
            for (i, (path, value)) in sets.iter().enumerate() {
                if i != left_out {
                    // Each was put once already: none is refused now.
                    let _ = put_set(&mut tree, scenario, path, value);
                }
            }
            revalidated(&tree).err().map_or_else(Vec::new, |p| p.0)
        })
        .collect()
}

/// `duration: 10s conflicts with timeline.0: at 30s is after the end of
/// the run (10s)`, under the first culprit's path.
fn conflict(problem: &Problem, sets: &[(String, String)], culprits: &[usize]) -> Problem {
    let (path, value) = &sets[culprits[0]];
    let others: Vec<String> = culprits[1..]
        .iter()
        .take(MAX_LISTED)
        .map(|&i| format!("{} = {}", sets[i].0, sets[i].1.trim()))
        .collect();
    let more = culprits.len().saturating_sub(1 + MAX_LISTED);
    let with = match (others.is_empty(), more) {
        (true, _) => String::new(),
        (false, 0) => format!(", with {},", others.join(", ")),
        (false, n) => format!(", with {} and {n} more,", others.join(", ")),
    };
    Problem::new(
        path.clone(),
        format!("{}{with} conflicts with {problem}", value.trim()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spike() -> Scenario {
        crate::presets::load("checkout-spike").expect("preset")
    }

    fn pairs(sets: &[(&str, &str)]) -> Vec<(String, String)> {
        sets.iter()
            .map(|(p, v)| (p.to_string(), v.to_string()))
            .collect()
    }

    fn refused(sc: &Scenario, sets: &[(&str, &str)]) -> Vec<String> {
        let mut changed = sc.clone();
        let e = apply_sets(&mut changed, &pairs(sets)).unwrap_err();
        assert_eq!(&changed, sc, "a refused set leaves the scenario unchanged");
        e.0.iter().map(|p| p.to_string()).collect()
    }

    #[test]
    fn sets_apply_as_a_whole_in_either_order() {
        let min = ("workload.think_time.min", "20s");
        let max = ("workload.think_time.max", "30s");
        for order in [[min, max], [max, min]] {
            let mut sc = spike();
            apply_sets(&mut sc, &pairs(&order)).unwrap_or_else(|e| panic!("{order:?}: {e}"));
            assert_eq!(sc.workload.think_time.min.to_string(), "20s");
            assert_eq!(sc.workload.think_time.max.to_string(), "30s");
        }
        // One at a time, the first of them is refused.
        assert!(apply_set(&mut spike(), min.0, min.1).is_err());
        let mut sc = spike();
        apply_sets(
            &mut sc,
            &pairs(&[("workload.users", "5"), ("workload.users", "7")]),
        )
        .unwrap();
        assert_eq!(sc.workload.users, 7, "the later set of a path wins");
    }

    #[test]
    fn a_bad_combination_is_one_problem_under_a_path_the_caller_wrote() {
        let sc = spike();
        let lines = refused(
            &sc,
            &[
                ("workload.think_time.min", "30s"),
                ("workload.think_time.max", "20s"),
            ],
        );
        assert_eq!(
            lines,
            ["workload.think_time.min: 30s is above think_time.max 20s"]
        );
        let lines = refused(&sc, &[("workload.think_time.max", "0s")]);
        assert_eq!(
            lines,
            ["workload.think_time.max: 0s conflicts with workload.think_time.min: 1s is above think_time.max 0s"]
        );
        // The culprit among several is found by leaving each out.
        let lines = refused(&sc, &[("workload.users", "5"), ("duration", "10s")]);
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert!(
            lines[0].starts_with("duration: 10s conflicts with timeline.0: at ")
                && lines[0].contains("is after the end of the run (10s)"),
            "{lines:?}"
        );
    }

    #[test]
    fn every_bad_value_is_reported_before_any_validation() {
        let lines = refused(
            &spike(),
            &[
                ("workload.users", "lots"),
                ("workload.userz", "5"),
                ("workload.think_time.max", "0s"),
            ],
        );
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(lines[0].starts_with("workload.users: `lots` is not a whole number"));
        assert!(lines[1].starts_with("workload.userz: unknown parameter"));
    }

    #[test]
    fn a_single_set_reads_as_before() {
        let mut sc = spike();
        let e = apply_set(&mut sc, "workload.users", "99999").unwrap_err();
        assert_eq!(
            e.to_string(),
            "workload.users: 99999 is above the maximum 20000; workload.users takes 0..=20000"
        );
        let e = apply_set(&mut sc, "workload.think_time.min", "20s").unwrap_err();
        assert_eq!(
            e.to_string(),
            "workload.think_time.min: 20s is above think_time.max 10s"
        );
    }
}
