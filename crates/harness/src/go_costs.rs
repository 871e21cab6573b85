//! `incident go-costs`: what one blocked goroutine of the reference Go
//! workload costs in a real 20Mi container, and how many fit before the
//! OOM kill. It runs `workloads/checkout/go-costs.toml` for real (no
//! ballast, the broker down so every fan-out goroutine stays blocked) and
//! reads the costs off the trace, as `core::calibration::go_costs` does.

use crate::cli_error::CliError;
use incident_core::calibration::{go_costs, GoCosts};
use incident_core::trace::{import, MAX_TRACE_BYTES};
use std::path::{Path, PathBuf};

pub struct GoCostsArgs {
    pub docker_host: Option<String>,
    pub out: Option<PathBuf>,
    /// Read an earlier run's trace instead of running.
    pub trace: Option<PathBuf>,
}

pub fn go_costs_command(args: GoCostsArgs) -> Result<(), CliError> {
    let trace_path = match &args.trace {
        Some(path) => path.clone(),
        None => run_measurement(&args)?,
    };
    let text = crate::files::read_text(&trace_path, MAX_TRACE_BYTES, "a trace file")
        .map_err(CliError::input)?;
    let trace =
        import(&text).map_err(|e| CliError::Input(e.lines().map(String::from).collect()))?;
    let Some(costs) = go_costs(&trace, "checkout") else {
        return Err(CliError::Failed(format!(
            "{}: too few samples between load start and the OOM kill to measure",
            trace_path.display()
        )));
    };
    print_costs(&trace_path, trace.source.as_str(), &costs);
    Ok(())
}

fn run_measurement(args: &GoCostsArgs) -> Result<PathBuf, CliError> {
    let scenario_path = crate::run::workloads_dir()?.join("checkout/go-costs.toml");
    let scenario = crate::load::scenario(&scenario_path.to_string_lossy())?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("go-costs.real.trace.json"));
    crate::run::run(
        scenario,
        crate::run::RunArgs {
            docker_host: args.docker_host.clone(),
            out: Some(out.clone()),
            target: None,
            allow_remote: false,
            flagd: None,
            containers: Vec::new(),
        },
    )?;
    Ok(out)
}

fn print_costs(path: &Path, source: &str, c: &GoCosts) {
    let kib = |b: f64| b / 1024.0;
    crate::stdout::outln!("Go costs from {} ({source} run)", path.display());
    crate::stdout::outln!(
        "idle working set (no ballast)        {:>9.0} KiB",
        kib(c.idle_working_set_bytes)
    );
    crate::stdout::outln!(
        "working set per blocked goroutine    {:>9.0} B",
        c.working_set_per_goroutine_bytes
    );
    crate::stdout::outln!(
        "  of which heap (g, sudog, message)  {:>9.0} B",
        c.heap_per_goroutine_bytes
    );
    crate::stdout::outln!(
        "  of which stack and its pages       {:>9.0} B",
        c.stack_per_goroutine_bytes()
    );
    let at_oom = c
        .goroutines_at_first_oom
        .map(|g| format!("{g:.0}"))
        .unwrap_or_else(|| "no OOM kill".into());
    crate::stdout::outln!("goroutines at the OOM kill           {at_oom:>9}");
    crate::stdout::outln!("({} samples between load start and the kill)", c.samples);
}
