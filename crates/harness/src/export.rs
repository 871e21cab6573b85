//! `incident export PRESET|FILE --to locust|k6|compose|k8s`: the scenario as
//! files for the tools the seeds use, so a simulated run can be repeated on
//! a real cluster or a laptop. Pure text generation; `write` does the I/O.

use crate::cli_error::CliError;
use incident_core::scenario::{ServiceKind, ServiceSpec, StepSpec, TaskSpec};
use incident_core::units::format_bytes_exact;
use incident_core::Scenario;
use std::fmt::Write as _;
use std::path::Path;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Target {
    Locust,
    K6,
    Compose,
    K8s,
}

/// A request the model calls `service/route`, as HTTP. The paths are the
/// ones the seeds' own locustfiles use (OTel demo, Sock Shop, the leak lab).
struct Http {
    method: &'static str,
    /// `{id}` is replaced by one of the scenario's product ids.
    path: &'static str,
    name: &'static str,
    body: Option<&'static str>,
}

const ROUTES: &[(&str, Http)] = &[
    (
        "frontend/index",
        Http {
            method: "GET",
            path: "/",
            name: "/",
            body: None,
        },
    ),
    (
        "frontend/product",
        Http {
            method: "GET",
            path: "/api/products/{id}",
            name: "/api/products/[id]",
            body: None,
        },
    ),
    (
        "frontend/recommendations",
        Http {
            method: "GET",
            path: "/api/recommendations?productIds={id}",
            name: "/api/recommendations",
            body: None,
        },
    ),
    (
        "frontend/ads",
        Http {
            method: "GET",
            path: "/api/data/?contextKeys=accessories",
            name: "/api/data",
            body: None,
        },
    ),
    (
        "frontend/cart_view",
        Http {
            method: "GET",
            path: "/api/cart",
            name: "/api/cart",
            body: None,
        },
    ),
    (
        "frontend/add_to_cart",
        Http {
            method: "POST",
            path: "/api/cart",
            name: "/api/cart",
            body: Some(
                r#"{"item": {"productId": "{id}", "quantity": 1}, "userId": "incident-lab"}"#,
            ),
        },
    ),
    (
        "checkout/place_order",
        Http {
            method: "POST",
            path: "/api/checkout",
            name: "/api/checkout",
            body: Some(
                r#"{"userId": "incident-lab", "userCurrency": "USD", "email": "learner@example.com"}"#,
            ),
        },
    ),
    (
        "front-end/catalogue",
        Http {
            method: "GET",
            path: "/catalogue",
            name: "Browse Catalogue",
            body: None,
        },
    ),
    (
        "front-end/item",
        Http {
            method: "GET",
            path: "/catalogue/{id}",
            name: "View Item",
            body: None,
        },
    ),
    (
        "front-end/basket",
        Http {
            method: "GET",
            path: "/basket.html",
            name: "View Cart",
            body: None,
        },
    ),
    (
        "front-end/login",
        Http {
            method: "GET",
            path: "/login",
            name: "Login Page",
            body: None,
        },
    ),
    (
        "front-end/cart_add",
        Http {
            method: "POST",
            path: "/cart",
            name: "Add to Cart",
            body: Some(r#"{"id": "{id}"}"#),
        },
    ),
    (
        "front-end/order",
        Http {
            method: "POST",
            path: "/orders",
            name: "Place Order",
            body: None,
        },
    ),
    (
        "front-end/orders_list",
        Http {
            method: "GET",
            path: "/orders",
            name: "Orders",
            body: None,
        },
    ),
    (
        "leaky/api_data",
        Http {
            method: "GET",
            path: "/api/data",
            name: "/api/data",
            body: None,
        },
    ),
];

/// Product ids the paths draw from: the OTel demo's, and Sock Shop's (the
/// ones seed 003's locustfile uses).
const OTEL_PRODUCT_IDS: &[&str] = &["OLJCESPC7Z", "66VCHSJNUP", "1YMWWN1N4O", "L9ECAV7KIM"];
const SOCK_SHOP_ITEM_IDS: &[&str] = &[
    "03fef6ac-1896-4ce8-bd69-b798f85c6e0b",
    "510a0d7e-8e83-4193-b483-e27e09ddc34d",
    "808a2de1-1aaa-4c25-a9b9-6612e8f29a38",
    "d3588630-ad8e-49df-bbd7-3167f7efb246",
];

fn product_ids(sc: &Scenario) -> &'static [&'static str] {
    if incident_core::queries::namespace_of(sc) == "sock-shop" {
        SOCK_SHOP_ITEM_IDS
    } else {
        OTEL_PRODUCT_IDS
    }
}

fn http_of(call: &str) -> Http {
    ROUTES
        .iter()
        .find(|(c, _)| *c == call)
        .map(|(_, h)| Http { ..*h })
        .unwrap_or(Http {
            method: "GET",
            path: "/",
            name: "/",
            body: None,
        })
}

/// A call as the harness sends it: method, path and body, with `{id}` filled
/// in by the scenario's first product id.
pub(crate) fn http_route(call: &str, sc: &Scenario) -> (&'static str, String, Option<String>) {
    let http = http_of(call);
    let id = product_ids(sc)[0];
    (
        http.method,
        http.path.replace("{id}", id),
        http.body.map(|b| b.replace("{id}", id)),
    )
}

/// The reference workload that plays a service, if there is one.
struct Workload {
    dir: &'static str,
    image: &'static str,
    port: u16,
}

fn workload_of(spec: &ServiceSpec) -> Option<Workload> {
    match spec.kind {
        ServiceKind::GoCheckout => Some(Workload {
            dir: "workloads/checkout",
            image: "incident-lab/checkout:dev",
            port: 8081,
        }),
        ServiceKind::PythonLeaky => Some(Workload {
            dir: "workloads/leaky",
            image: "incident-lab/leaky:dev",
            port: 8080,
        }),
        ServiceKind::NodeFrontend => Some(Workload {
            dir: "workloads/front-end",
            image: "incident-lab/front-end:dev",
            port: 8079,
        }),
        ServiceKind::WorkerPool => None,
    }
}

/// The service Locust aims at: the first one the tasks call.
fn entry_service(sc: &Scenario) -> Option<String> {
    sc.workload
        .tasks
        .iter()
        .flat_map(|t| t.steps.iter())
        .chain(sc.workload.on_start.iter())
        .find_map(|s| s.call.split_once('/').map(|(svc, _)| svc.to_string()))
}

fn py_string(text: &str) -> String {
    format!("{text:?}")
}

fn secs(d: incident_core::units::Dur) -> f64 {
    d.0.as_secs_f64()
}

fn header(sc: &Scenario, comment: &str, target: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{comment} Generated by `incident export {} --to {target}` from {}: {}.",
        sc.name, sc.name, sc.title
    );
    let _ = writeln!(
        out,
        "{comment} Users {}, spawn rate {}/s, think time {}–{} s.",
        sc.workload.users,
        sc.workload.spawn_rate,
        secs(sc.workload.think_time.min),
        secs(sc.workload.think_time.max)
    );
    // The timeline is what the instructor does by hand during the run.
    if !sc.timeline.is_empty() {
        let _ = writeln!(out, "{comment} Timeline, by hand as the seed does it:");
        for action in &sc.timeline {
            let _ = writeln!(out, "{comment}   {action}");
        }
    }
    out
}

// ----- Locust ---------------------------------------------------------------

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

// ----- k6 -------------------------------------------------------------------

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
    out.push_str("function call(method, path, body, name, slowerThanS) {\n  const url = BASE_URL + path.replace('{id}', id());\n  const payload = body ? body.replace('{id}', id()) : null;\n  const res = http.request(method, url, payload, Object.assign({ tags: { name } }, PARAMS));\n  check(res, { 'status is 2xx': (r) => r.status >= 200 && r.status < 300 });\n  if (slowerThanS && res.timings.duration > slowerThanS * 1000) {\n    check(res, { 'fast enough': () => false });\n  }\n}\n\n");
    out.push_str("const TASKS = [\n");
    for task in &w.tasks {
        let _ = writeln!(out, "  [{}, () => {{ // {}", task.weight, task.name);
        for step in &task.steps {
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
        out.push_str("  }],\n");
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

// ----- flagd ----------------------------------------------------------------

/// flagd's flag file: every flag with its variants and default.
pub fn flagd_json(sc: &Scenario) -> String {
    let flags: serde_json::Map<String, serde_json::Value> = sc
        .flags
        .iter()
        .map(|(name, f)| {
            (
                name.clone(),
                serde_json::json!({
                    "state": "ENABLED",
                    "variants": f.variants,
                    "defaultVariant": f.default_variant,
                }),
            )
        })
        .collect();
    let doc = serde_json::json!({
        "$schema": "https://flagd.dev/schema/v0/flags.json",
        "flags": flags,
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

pub(crate) fn env_of(sc: &Scenario, spec: &ServiceSpec) -> Vec<(String, String)> {
    let mut env = Vec::new();
    if let Some(go) = &spec.go {
        env.push(("GOGC".into(), go.gogc.to_string()));
        if let Some(limit) = go.gomemlimit {
            env.push(("GOMEMLIMIT".into(), format!("{}B", limit.0)));
        }
    }
    if let Some(c) = &spec.checkout {
        env.push(("FLAGD_URL".into(), "http://flagd:8016".into()));
        if c.kafka_configured {
            env.push(("KAFKA_ADDR".into(), "kafka:9092".into()));
        }
        if let Some(k) = &sc.kafka {
            env.push((
                "PRODUCER_MSGS_PER_S".into(),
                format!("{:.0}", k.throughput_msgs_per_s),
            ));
        }
    }
    if let Some(p) = &spec.python {
        env.push((
            "CACHE_BYTES_PER_REQUEST".into(),
            p.cache_bytes_per_request.0.to_string(),
        ));
        env.push((
            "LISTENER_BYTES_PER_REQUEST".into(),
            p.listener_bytes_per_request.0.to_string(),
        ));
        env.push((
            "HISTORY_BYTES_PER_REQUEST".into(),
            p.history_bytes_per_request.0.to_string(),
        ));
    }
    env
}

fn not_exported(sc: &Scenario, comment: &str) -> String {
    let missing: Vec<&str> = sc
        .services
        .iter()
        .filter(|(_, s)| workload_of(s).is_none())
        .map(|(n, _)| n.as_str())
        .collect();
    if missing.is_empty() {
        String::new()
    } else {
        format!(
            "{comment} Not exported (no reference workload; run the real demo for them): {}.\n",
            missing.join(", ")
        )
    }
}

// ----- compose --------------------------------------------------------------

/// `workloads` is where the reference workloads are, for `build:`.
pub fn compose(sc: &Scenario, workloads: &str) -> String {
    let mut out = header(sc, "#", "compose");
    out.push_str(&not_exported(sc, "#"));
    out.push_str("# Run: docker compose up --build (from the directory these files are in).\n");
    out.push_str("name: incident-lab\nservices:\n");
    let entry = entry_service(sc);
    let mut target = None;
    for (name, spec) in &sc.services {
        let Some(w) = workload_of(spec) else { continue };
        if entry.as_deref() == Some(name.as_str()) || target.is_none() {
            target = Some((name.clone(), w.port));
        }
        let dir = w.dir.trim_start_matches("workloads/");
        let _ = writeln!(
            out,
            "  {name}:\n    build: {workloads}/{dir}\n    image: {}",
            w.image
        );
        let _ = writeln!(
            out,
            "    mem_limit: {}",
            format_bytes_exact(spec.memory_limit.0)
                .replace("Mi", "m")
                .replace("Gi", "g")
        );
        let _ = writeln!(
            out,
            "    memswap_limit: {}",
            format_bytes_exact(spec.memory_limit.0)
                .replace("Mi", "m")
                .replace("Gi", "g")
        );
        if let Some(cpu) = spec.cpu_limit {
            let _ = writeln!(out, "    cpus: \"{}\"", cpu.cores());
        }
        out.push_str("    restart: always\n    environment:\n");
        let _ = writeln!(out, "      PORT: \"{}\"\n      HOST: 0.0.0.0", w.port);
        for (k, v) in env_of(sc, spec) {
            let _ = writeln!(out, "      {k}: \"{v}\"");
        }
        let _ = writeln!(out, "    ports:\n      - \"127.0.0.1:{0}:{0}\"", w.port);
    }
    if !sc.flags.is_empty() {
        out.push_str("  flagd:\n    image: ghcr.io/open-feature/flagd:latest\n    command: [\"start\", \"--uri\", \"file:/etc/flagd/flags.flagd.json\"]\n    volumes:\n      - ./flags.flagd.json:/etc/flagd/flags.flagd.json:ro\n    ports:\n      - \"127.0.0.1:8016:8016\"\n");
    }
    if let Some((name, port)) = target {
        let w = &sc.workload;
        let _ = writeln!(
            out,
            "  load-generator:\n    image: locustio/locust:2.32.1\n    command: [\"-f\", \"/mnt/locust/locustfile.py\", \"--headless\", \"-u\", \"{}\", \"-r\", \"{}\", \"--run-time\", \"{}s\", \"--host\", \"http://{name}:{port}\"]\n    volumes:\n      - ./locustfile.py:/mnt/locust/locustfile.py:ro\n    depends_on:\n      - {name}",
            w.users,
            w.spawn_rate,
            sc.duration.0.as_secs_f64().round()
        );
    }
    out
}

// ----- Kubernetes ------------------------------------------------------------

fn k8s_name(name: &str) -> String {
    name.to_ascii_lowercase().replace('_', "-")
}

fn indent(text: &str, by: usize) -> String {
    let pad = " ".repeat(by);
    text.lines()
        .map(|l| format!("{pad}{l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

pub fn k8s(sc: &Scenario) -> String {
    let ns = incident_core::queries::namespace_of(sc);
    let mut out = header(sc, "#", "k8s");
    out.push_str(&not_exported(sc, "#"));
    let _ = writeln!(
        out,
        "# Apply: kubectl apply -f manifests.yaml (build and load the images first).\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}"
    );
    let entry = entry_service(sc);
    let mut target = None;
    for (name, spec) in &sc.services {
        let Some(w) = workload_of(spec) else { continue };
        let app = k8s_name(name);
        if entry.as_deref() == Some(name.as_str()) || target.is_none() {
            target = Some((app.clone(), w.port));
        }
        let memory = format_bytes_exact(spec.memory_limit.0);
        let memory_request = format_bytes_exact(spec.memory_request.unwrap_or(spec.memory_limit).0);
        let mut resources = format!(
            "resources:\n  limits:\n    memory: {memory}\n  requests:\n    memory: {memory_request}"
        );
        if let Some(cpu) = spec.cpu_limit {
            resources = resources.replace(
                &format!("  limits:\n    memory: {memory}"),
                &format!("  limits:\n    memory: {memory}\n    cpu: {}m", cpu.0),
            );
            let request = spec.cpu_request.unwrap_or(cpu).0;
            resources.push_str(&format!("\n    cpu: {request}m"));
        }
        let probe = |kind: &str, p: Option<&incident_core::scenario::ProbeSpec>| {
            p.map(|p| {
                format!(
                    "{kind}:\n  httpGet:\n    path: /health\n    port: {}\n  initialDelaySeconds: {}\n  periodSeconds: {}\n  timeoutSeconds: {}\n  failureThreshold: {}",
                    w.port,
                    secs(p.initial_delay).round().max(0.0),
                    secs(p.period).round().max(1.0),
                    secs(p.timeout).round().max(1.0),
                    p.failure_threshold.max(1)
                )
            })
            .unwrap_or_default()
        };
        let mut env = format!(
            "env:\n  - name: PORT\n    value: \"{}\"\n  - name: HOST\n    value: \"0.0.0.0\"",
            w.port
        );
        for (k, v) in env_of(sc, spec) {
            let v = v.replace("http://flagd:8016", &format!("http://flagd.{ns}.svc:8016"));
            env.push_str(&format!("\n  - name: {k}\n    value: \"{v}\""));
        }
        let mut container = format!(
            "- name: {app}\n  image: {}\n  imagePullPolicy: IfNotPresent\n  ports:\n    - containerPort: {}\n{}\n{}",
            w.image,
            w.port,
            indent(&resources, 2),
            indent(&env, 2)
        );
        for p in [
            probe("livenessProbe", spec.liveness.as_ref()),
            probe("readinessProbe", spec.readiness.as_ref()),
        ] {
            if !p.is_empty() {
                container.push('\n');
                container.push_str(&indent(&p, 2));
            }
        }
        let _ = writeln!(
            out,
            "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {app}\n  namespace: {ns}\n  labels:\n    app.kubernetes.io/name: {app}\nspec:\n  replicas: {}\n  selector:\n    matchLabels:\n      app.kubernetes.io/name: {app}\n  template:\n    metadata:\n      labels:\n        app.kubernetes.io/name: {app}\n    spec:\n      containers:\n{}",
            spec.replicas,
            indent(&container, 8)
        );
        let _ = writeln!(
            out,
            "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: {app}\n  namespace: {ns}\nspec:\n  selector:\n    app.kubernetes.io/name: {app}\n  ports:\n    - port: {0}\n      targetPort: {0}",
            w.port
        );
    }
    if !sc.flags.is_empty() {
        let _ = writeln!(
            out,
            "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: flagd-config\n  namespace: {ns}\ndata:\n  flags.flagd.json: |\n{}",
            indent(&flagd_json(sc), 4)
        );
        let _ = writeln!(
            out,
            "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: flagd\n  namespace: {ns}\nspec:\n  replicas: 1\n  selector:\n    matchLabels:\n      app.kubernetes.io/name: flagd\n  template:\n    metadata:\n      labels:\n        app.kubernetes.io/name: flagd\n    spec:\n      containers:\n        - name: flagd\n          image: ghcr.io/open-feature/flagd:latest\n          args: [\"start\", \"--uri\", \"file:/etc/flagd/flags.flagd.json\"]\n          ports:\n            - containerPort: 8016\n          volumeMounts:\n            - name: config\n              mountPath: /etc/flagd\n      volumes:\n        - name: config\n          configMap:\n            name: flagd-config\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: flagd\n  namespace: {ns}\nspec:\n  selector:\n    app.kubernetes.io/name: flagd\n  ports:\n    - port: 8016\n      targetPort: 8016"
        );
    }
    if let Some((app, port)) = target {
        let w = &sc.workload;
        let _ = writeln!(
            out,
            "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: locustfile\n  namespace: {ns}\ndata:\n  locustfile.py: |\n{}",
            indent(&locustfile(sc), 4)
        );
        let _ = writeln!(
            out,
            "---\napiVersion: batch/v1\nkind: Job\nmetadata:\n  name: locust-{}\n  namespace: {ns}\nspec:\n  backoffLimit: 0\n  template:\n    metadata:\n      labels:\n        app.kubernetes.io/name: locust\n    spec:\n      restartPolicy: Never\n      containers:\n        - name: locust\n          image: locustio/locust:2.32.1\n          args: [\"-f\", \"/mnt/locust/locustfile.py\", \"--headless\", \"-u\", \"{}\", \"-r\", \"{}\", \"--run-time\", \"{}s\", \"--host\", \"http://{app}.{ns}.svc:{port}\"]\n          volumeMounts:\n            - name: locustfile\n              mountPath: /mnt/locust\n      volumes:\n        - name: locustfile\n          configMap:\n            name: locustfile",
            k8s_name(&sc.name),
            w.users,
            w.spawn_rate,
            sc.duration.0.as_secs_f64().round()
        );
    }
    out
}

/// The files for a target, by name.
pub fn files(sc: &Scenario, target: Target, workloads: &str) -> Vec<(&'static str, String)> {
    match target {
        Target::Locust => vec![("locustfile.py", locustfile(sc))],
        Target::K6 => vec![("script.js", k6_script(sc))],
        Target::Compose => {
            let mut files = vec![
                ("compose.yaml", compose(sc, workloads)),
                ("locustfile.py", locustfile(sc)),
            ];
            if !sc.flags.is_empty() {
                files.push(("flags.flagd.json", flagd_json(sc)));
            }
            files
        }
        Target::K8s => vec![("manifests.yaml", k8s(sc))],
    }
}

/// Writes the files into `dir` (created if missing), or prints a single
/// file when no directory is given.
pub fn write(sc: &Scenario, target: Target, dir: Option<&Path>) -> Result<(), CliError> {
    // The repository's workloads, absolute, so the compose file builds from anywhere.
    let workloads = std::fs::canonicalize("workloads")
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| "workloads".to_string());
    let files = files(sc, target, &workloads);
    match dir {
        None if files.len() == 1 => {
            crate::stdout::out!("{}", files[0].1);
            Ok(())
        }
        None => Err(CliError::input(
            "--to compose writes several files: give a directory with --out DIR",
        )),
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .map_err(|e| CliError::Failed(format!("cannot create {}: {e}", dir.display())))?;
            for (name, text) in files {
                let path = dir.join(name);
                std::fs::write(&path, text).map_err(|e| {
                    CliError::Failed(format!("cannot write {}: {e}", path.display()))
                })?;
                eprintln!("wrote {}", path.display());
            }
            Ok(())
        }
    }
}
