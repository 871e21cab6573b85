//! The k6 script: a ramp to the scenario's users, then a hold, with each
//! iteration picking a task by weight as Locust does.

use super::routes::{http_of, product_ids};
use super::{header, secs};
use incident_core::scenario::{StepSpec, TaskSpec};
use incident_core::Scenario;
use std::fmt::Write as _;

/// Sends one request and checks its status (and its speed, when the step
/// judges slowness).
const CALL_FN: &str = "function call(method, path, body, name, slowerThanS) {\n  const url = BASE_URL + path.replace('{id}', id());\n  const payload = body ? body.replace('{id}', id()) : null;\n  const res = http.request(method, url, payload, Object.assign({ tags: { name } }, PARAMS));\n  check(res, { 'status is 2xx': (r) => r.status >= 200 && r.status < 300 });\n  if (slowerThanS && res.timings.duration > slowerThanS * 1000) {\n    check(res, { 'fast enough': () => false });\n  }\n}\n\n";

pub fn k6_script(sc: &Scenario) -> String {
    let w = &sc.workload;
    let mut out = header(sc, "//", "k6");
    let ramp_s = (w.users as f64 / w.spawn_rate.max(0.001)).ceil().max(1.0);
    let hold_s = (sc.duration.0.as_secs_f64() - ramp_s).max(1.0);
    out.push_str("// Run: k6 run -e BASE_URL=http://127.0.0.1:PORT script.js\n\n");
    out.push_str("import http from 'k6/http';\nimport { check, sleep } from 'k6';\n\n");
    let _ = writeln!(
        out,
        "export const options = {{\n  stages: [\n    {{ duration: '{ramp_s}s', target: {users} }},\n    {{ duration: '{hold_s:.0}s', target: {users} }},\n  ],\n}};\n",
        users = w.users
    );
    out.push_str("const BASE_URL = __ENV.BASE_URL || 'http://127.0.0.1:8080';\n");
    let ids: Vec<String> = product_ids(sc).iter().map(|i| format!("'{i}'")).collect();
    let _ = writeln!(out, "const PRODUCT_IDS = [{}];", ids.join(", "));
    let _ = writeln!(
        out,
        "const PARAMS = {{ timeout: '{}s', headers: {{ 'Content-Type': 'application/json' }} }};",
        secs(w.request_timeout)
    );
    out.push_str(
        "const id = () => PRODUCT_IDS[Math.floor(Math.random() * PRODUCT_IDS.length)];\n\n",
    );
    out.push_str(CALL_FN);
    out.push_str("const TASKS = [\n");
    for task in &w.tasks {
        k6_task(&mut out, task);
    }
    out.push_str("];\nconst TOTAL = TASKS.reduce((s, [w]) => s + w, 0);\n\n");
    let _ = writeln!(
        out,
        "export default function () {{\n  let r = Math.random() * TOTAL;\n  for (const [weight, run] of TASKS) {{\n    if ((r -= weight) < 0) {{ run(); break; }}\n  }}\n  sleep({} + Math.random() * {});\n}}",
        secs(w.think_time.min),
        secs(w.think_time.max) - secs(w.think_time.min)
    );
    out
}

/// One entry of `TASKS`: its weight and the calls it makes.
fn k6_task(out: &mut String, task: &TaskSpec) {
    let _ = writeln!(out, "  [{}, () => {{ // {}", task.weight, task.name);
    for step in &task.steps {
        k6_step(out, step);
    }
    out.push_str("  }],\n");
}

fn k6_step(out: &mut String, step: &StepSpec) {
    let http = http_of(&step.call);
    let body = http
        .body
        .map(|b| format!("'{}'", b.replace('\'', "\\'")))
        .unwrap_or_else(|| "null".into());
    let slower = step
        .fail_slower_than
        .map(|d| secs(d).to_string())
        .unwrap_or_else(|| "0".into());
    let line = format!(
        "call('{}', '{}', {body}, '{}', {slower});",
        http.method, http.path, http.name
    );
    match step.repeat {
        Some([lo, hi]) => {
            let _ = writeln!(
                out,
                "    for (let i = 0, n = {lo} + Math.floor(Math.random() * {}); i < n; i++) {line}",
                hi - lo + 1
            );
        }
        None => {
            let _ = writeln!(out, "    {line}");
        }
    }
}
