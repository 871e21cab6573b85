//! The Kubernetes manifests: a namespace, a Deployment and Service per
//! reference workload, flagd when the scenario has flags, and a Locust Job.

use super::{env_of, flagd_json, header, load_target, not_exported, secs, workload_of, Workload};
use incident_core::scenario::{ProbeSpec, ServiceSpec};
use incident_core::units::format_bytes_exact;
use incident_core::Scenario;
use std::fmt::Write as _;

pub fn k8s(sc: &Scenario) -> String {
    let ns = incident_core::queries::namespace_of(sc);
    let mut out = header(sc, "#", "k8s");
    out.push_str(&not_exported(sc, "#"));
    let _ = writeln!(
        out,
        "# Apply: kubectl apply -f manifests.yaml (build and load the images first).\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}"
    );
    for (name, spec) in &sc.services {
        let Some(w) = workload_of(spec) else { continue };
        k8s_service(&mut out, sc, ns, name, spec, &w);
    }
    if !sc.flags.is_empty() {
        k8s_flagd(&mut out, sc, ns);
    }
    if let Some((name, port)) = load_target(sc) {
        k8s_load_job(&mut out, sc, ns, &k8s_name(name), port);
    }
    out
}

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

/// A workload's Deployment and its Service.
fn k8s_service(
    out: &mut String,
    sc: &Scenario,
    ns: &str,
    name: &str,
    spec: &ServiceSpec,
    w: &Workload,
) {
    let app = k8s_name(name);
    let container = k8s_container(sc, ns, &app, spec, w);
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

/// The container entry of a Deployment: image, port, resources, env and
/// the probes the scenario gives it.
fn k8s_container(sc: &Scenario, ns: &str, app: &str, spec: &ServiceSpec, w: &Workload) -> String {
    let mut container = format!(
        "- name: {app}\n  image: {}\n  imagePullPolicy: IfNotPresent\n  ports:\n    - containerPort: {}\n{}\n{}",
        w.image,
        w.port,
        indent(&k8s_resources(spec), 2),
        indent(&k8s_env(sc, ns, spec, w.port), 2)
    );
    for p in [
        k8s_probe("livenessProbe", spec.liveness.as_ref(), w.port),
        k8s_probe("readinessProbe", spec.readiness.as_ref(), w.port),
    ] {
        if !p.is_empty() {
            container.push('\n');
            container.push_str(&indent(&p, 2));
        }
    }
    container
}

/// Limits and requests; a request left out is the limit, as Kubernetes
/// defaults it.
fn k8s_resources(spec: &ServiceSpec) -> String {
    let memory = format_bytes_exact(spec.memory_limit.0);
    let memory_request = format_bytes_exact(spec.memory_request.unwrap_or(spec.memory_limit).0);
    let mut limits = format!("  limits:\n    memory: {memory}");
    let mut requests = format!("  requests:\n    memory: {memory_request}");
    if let Some(cpu) = spec.cpu_limit {
        let _ = write!(limits, "\n    cpu: {}m", cpu.0);
        let request = spec.cpu_request.unwrap_or(cpu).0;
        let _ = write!(requests, "\n    cpu: {request}m");
    }
    format!("resources:\n{limits}\n{requests}")
}

/// A probe on the workload's `/health`; empty when the scenario has none.
fn k8s_probe(kind: &str, probe: Option<&ProbeSpec>, port: u16) -> String {
    probe
        .map(|p| {
            format!(
                "{kind}:\n  httpGet:\n    path: /health\n    port: {}\n  initialDelaySeconds: {}\n  periodSeconds: {}\n  timeoutSeconds: {}\n  failureThreshold: {}",
                port,
                secs(p.initial_delay).round().max(0.0),
                secs(p.period).round().max(1.0),
                secs(p.timeout).round().max(1.0),
                p.failure_threshold.max(1)
            )
        })
        .unwrap_or_default()
}

/// The workload's environment; flagd is reached through its Service.
fn k8s_env(sc: &Scenario, ns: &str, spec: &ServiceSpec, port: u16) -> String {
    let mut env = format!(
        "env:\n  - name: PORT\n    value: \"{port}\"\n  - name: HOST\n    value: \"0.0.0.0\""
    );
    for (k, v) in env_of(sc, spec) {
        let v = v.replace("http://flagd:8016", &format!("http://flagd.{ns}.svc:8016"));
        let _ = write!(env, "\n  - name: {k}\n    value: \"{v}\"");
    }
    env
}

/// flagd with the scenario's flags in a ConfigMap, and its Service.
fn k8s_flagd(out: &mut String, sc: &Scenario, ns: &str) {
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

/// The locustfile in a ConfigMap, and a Job that runs it against `app`.
fn k8s_load_job(out: &mut String, sc: &Scenario, ns: &str, app: &str, port: u16) {
    let w = &sc.workload;
    let _ = writeln!(
        out,
        "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: locustfile\n  namespace: {ns}\ndata:\n  locustfile.py: |\n{}",
        indent(&super::locustfile(sc), 4)
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
