//! The compose project: each service with a reference workload under its
//! memory and CPU limits, flagd when the scenario has flags, and Locust.

use super::{env_of, header, load_target, not_exported, workload_of, Workload};
use incident_core::scenario::ServiceSpec;
use incident_core::units::format_bytes_exact;
use incident_core::Scenario;
use std::fmt::Write as _;

const FLAGD_SERVICE: &str = "  flagd:\n    image: ghcr.io/open-feature/flagd:latest\n    command: [\"start\", \"--uri\", \"file:/etc/flagd/flags.flagd.json\"]\n    volumes:\n      - ./flags.flagd.json:/etc/flagd/flags.flagd.json:ro\n    ports:\n      - \"127.0.0.1:8016:8016\"\n";

/// `workloads` is where the reference workloads are, for `build:`.
pub fn compose(sc: &Scenario, workloads: &str) -> String {
    let mut out = header(sc, "#", "compose");
    out.push_str(&not_exported(sc, "#"));
    out.push_str("# Run: docker compose up --build (from the directory these files are in).\n");
    out.push_str("name: incident-lab\nservices:\n");
    for (name, spec) in &sc.services {
        let Some(w) = workload_of(spec) else { continue };
        compose_service(&mut out, sc, name, spec, &w, workloads);
    }
    if !sc.flags.is_empty() {
        out.push_str(FLAGD_SERVICE);
    }
    if let Some((name, port)) = load_target(sc) {
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

fn compose_service(
    out: &mut String,
    sc: &Scenario,
    name: &str,
    spec: &ServiceSpec,
    w: &Workload,
    workloads: &str,
) {
    let dir = w.dir.trim_start_matches("workloads/");
    let _ = writeln!(
        out,
        "  {name}:\n    build: {workloads}/{dir}\n    image: {}",
        w.image
    );
    // Swap equal to the limit: no swap, as Kubernetes runs it.
    let memory = compose_bytes(spec.memory_limit.0);
    let _ = writeln!(out, "    mem_limit: {memory}");
    let _ = writeln!(out, "    memswap_limit: {memory}");
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

/// Compose writes sizes as `256m`, not Kubernetes' `256Mi`.
fn compose_bytes(bytes: u64) -> String {
    format_bytes_exact(bytes)
        .replace("Mi", "m")
        .replace("Gi", "g")
}
