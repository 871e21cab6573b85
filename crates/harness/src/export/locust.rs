//! The locustfile: the scenario's users, think time, timeouts and weighted
//! tasks, as Locust runs them.

use super::routes::{http_of, product_ids};
use super::{header, py_string, secs};
use incident_core::scenario::{StepSpec, TaskSpec};
use incident_core::Scenario;
use std::fmt::Write as _;

fn locust_step(out: &mut String, step: &StepSpec, indent: &str) {
    let http = http_of(&step.call);
    let path = if http.path.contains("{id}") {
        format!(
            "{}.replace(\"{{id}}\", random.choice(PRODUCT_IDS))",
            py_string(http.path)
        )
    } else {
        py_string(http.path)
    };
    let body = http.body.map(|b| {
        format!(
            ", data={}.replace(\"{{id}}\", random.choice(PRODUCT_IDS)), headers={{\"Content-Type\": \"application/json\"}}",
            py_string(b)
        )
    });
    let method = http.method.to_ascii_lowercase();
    let (inner, extra) = match step.repeat {
        Some([lo, hi]) => (
            format!("{indent}    "),
            format!("{indent}for _ in range(random.randint({lo}, {hi})):\n"),
        ),
        None => (indent.to_string(), String::new()),
    };
    out.push_str(&extra);
    let args = format!(
        "{path}{}, name={}",
        body.unwrap_or_default(),
        py_string(http.name)
    );
    match step.fail_slower_than {
        // Locust's catch_response, as seed 003's locustfile judges slowness.
        Some(limit) => {
            let _ = writeln!(
                out,
                "{inner}with self.client.{method}({args}, catch_response=True) as resp:\n{inner}    if resp.elapsed.total_seconds() > {}:\n{inner}        resp.failure(f\"Slow response: {{resp.elapsed.total_seconds():.2f}}s\")",
                secs(limit)
            );
        }
        None => {
            let _ = writeln!(out, "{inner}self.client.{method}({args})");
        }
    }
}

fn locust_task(out: &mut String, task: &TaskSpec) {
    let name: String = task
        .name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let _ = writeln!(out, "\n    @task({})\n    def {name}(self):", task.weight);
    if task.steps.is_empty() {
        let _ = writeln!(
            out,
            "        pass  # picked, issues nothing (as in the model)"
        );
    }
    for step in &task.steps {
        locust_step(out, step, "        ");
    }
}

pub fn locustfile(sc: &Scenario) -> String {
    let w = &sc.workload;
    let mut out = header(sc, "#", "locust");
    let _ = writeln!(
        out,
        "# Run: locust -f locustfile.py --headless -u {} -r {} --host http://127.0.0.1:PORT\n",
        w.users, w.spawn_rate
    );
    out.push_str("import random\n\nfrom locust import HttpUser, between, task\n\n");
    let ids: Vec<String> = product_ids(sc).iter().map(|i| py_string(i)).collect();
    let _ = writeln!(out, "PRODUCT_IDS = [{}]\n\n", ids.join(", "));
    out.push_str("class ScenarioUser(HttpUser):\n");
    let _ = writeln!(
        out,
        "    wait_time = between({}, {})\n    network_timeout = {}\n    connection_timeout = {}",
        secs(w.think_time.min),
        secs(w.think_time.max),
        secs(w.request_timeout),
        secs(w.connect_timeout)
    );
    if !w.on_start.is_empty() {
        out.push_str("\n    def on_start(self):\n");
        for step in &w.on_start {
            locust_step(&mut out, step, "        ");
        }
    }
    for task in &w.tasks {
        locust_task(&mut out, task);
    }
    out
}
