//! `incident`: the model headless (simulate, presets, params) and, in the
//! harness modules, the same scenarios against real containers.
//!
//! Exit codes: 0 success, 1 a failure while running (standard output that
//! could not be written included; a closed pipe is not one), 2 bad input
//! (an unknown preset, a malformed file or one that is not a regular file,
//! an unknown or out-of-range `--set`).

mod cli_error;
mod compare;
mod export;
mod files;
mod go_costs;
mod lessons;
mod load;
mod run;
mod simulate;
mod stdout;
mod sweep;

use clap::{Parser, Subcommand, ValueEnum};
use cli_error::CliError;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "incident",
    version,
    about = "Incident Lab: simulate production failures, and run them for real"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    Table,
    Json,
    Csv,
    /// The whole trace (series, pods, events, alerts), for the app's import.
    Trace,
}

/// The scenario a command works on: a preset or file, then overrides.
#[derive(clap::Args)]
struct ScenarioArgs {
    /// A preset name (see `incident presets`) or a scenario file (.toml or .json).
    scenario: String,
    /// Override a parameter: `--set workload.users=50` (see `incident params`).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    sets: Vec<String>,
    /// Random seed (0 to 2^53-1).
    #[arg(long, allow_hyphen_values = true)]
    seed: Option<String>,
    /// Duration, like 90s, 15m or 1h.
    #[arg(long, allow_hyphen_values = true)]
    duration: Option<String>,
}

impl ScenarioArgs {
    /// Loads the scenario and applies `--set`, `--seed` and `--duration`.
    fn load(&self) -> Result<incident_core::Scenario, CliError> {
        let mut sc = load::scenario(&self.scenario)?;
        load::apply_overrides(
            &mut sc,
            &self.sets,
            self.seed.as_deref(),
            self.duration.as_deref(),
        )?;
        Ok(sc)
    }
}

#[derive(Subcommand)]
enum Command {
    /// Run the model on a preset or scenario file and print its summary.
    Simulate {
        #[command(flatten)]
        scenario: ScenarioArgs,
        /// table: a readable summary; json: the whole summary; csv: the sampled
        /// series; trace: everything, for the app's "import trace".
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
        /// Write the output to this file instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// List the presets with their descriptions.
    Presets {
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// List every `--set` path of a scenario with its value and allowed range.
    Params {
        scenario: String,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// Write the scenario as files for real tools: a locustfile, a k6 script,
    /// a compose project, or Kubernetes manifests.
    Export {
        #[command(flatten)]
        scenario: ScenarioArgs,
        #[arg(long, value_enum)]
        to: export::Target,
        /// A directory for the files (needed for compose; otherwise the file is printed).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Run the scenario against real containers (Docker) and record a trace:
    /// real memory limits, the model's load, real OOM kills and restarts.
    Run {
        #[command(flatten)]
        scenario: ScenarioArgs,
        /// The Docker daemon, like unix:///var/run/docker.sock (default: DOCKER_HOST).
        #[arg(long)]
        docker_host: Option<String>,
        /// Where to write the trace (default SCENARIO.real.trace.json).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Send the load here instead of the containers, like http://127.0.0.1:8080.
        #[arg(long)]
        target: Option<String>,
        /// Allow a --target that is not loopback.
        #[arg(long)]
        allow_remote_target: bool,
        /// An existing flagd for the workloads, like http://127.0.0.1:8016.
        #[arg(long)]
        flagd: Option<String>,
        /// Sample a running container instead of starting one, as
        /// SERVICE=CONTAINER (an OTel demo's checkout); needs --target.
        #[arg(long = "container", value_name = "SERVICE=CONTAINER")]
        containers: Vec<String>,
    },
    /// Model against reality: re-run the model on a real trace's scenario.
    Compare {
        trace: PathBuf,
        #[arg(long, value_enum, default_value = "table")]
        format: compare::CompareFormat,
    },
    /// Measure the reference Go workload in a real 20Mi container: its idle
    /// working set, what one blocked goroutine costs, and how many fit
    /// before the OOM kill (runs workloads/checkout/go-costs.toml).
    GoCosts {
        /// The Docker daemon, like unix:///var/run/docker.sock (default: DOCKER_HOST).
        #[arg(long)]
        docker_host: Option<String>,
        /// Where to write the run's trace (default go-costs.real.trace.json).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Read the costs off an earlier run's trace instead of running.
        #[arg(long, conflicts_with_all = ["docker_host", "out"])]
        trace: Option<PathBuf>,
    },
    /// Take measures of a run, as lessons and claims name them:
    /// `incident measure checkout-gradual 'first_oom_after_load_min(checkout)'`.
    Measure {
        #[command(flatten)]
        scenario: ScenarioArgs,
        /// Measures like `utilization_reached_at_s(checkout, ratio=0.8)`, or a
        /// claim like `restarts(checkout) >= 1`.
        #[arg(required = true)]
        measures: Vec<String>,
    },
    /// Run a grid of scenarios on every core: `--vary
    /// flags.kafkaQueueProblems.variants.on=100..5000:12 --vary
    /// workload.users=5..100:10`, each cell exactly the run `simulate --set`
    /// makes, with lesson measures as columns.
    Sweep(SweepCli),
    /// Work with lesson files.
    Lessons {
        #[command(subcommand)]
        command: LessonsCommand,
    },
}

#[derive(clap::Args)]
struct SweepCli {
    #[command(flatten)]
    scenario: ScenarioArgs,
    /// An axis, PATH=FROM..TO:N (add :log or :lin; a parameter dragged
    /// on a log scale is log by default); one to three.
    #[arg(long, value_name = "PATH=FROM..TO:N", required = true)]
    vary: Vec<String>,
    /// Lesson measures, comma-separated; one about a service given
    /// without one is about the scenario's focus service (default:
    /// first_oom_after_load_min,restarts,latency_p95_ms,failure_percent).
    #[arg(long = "measure")]
    measures: Vec<String>,
    #[arg(long, value_enum, default_value = "table")]
    format: sweep::SweepFormat,
    /// Worker threads (default: every core).
    #[arg(long)]
    threads: Option<usize>,
}

impl SweepCli {
    fn run(self) -> Result<(), CliError> {
        let args = sweep::SweepArgs {
            vary: self.vary,
            measures: self.measures,
            format: self.format,
            threads: self.threads,
        };
        sweep::sweep(&self.scenario.load()?, &args)
    }
}

#[derive(Subcommand)]
enum LessonsCommand {
    /// Validate lesson files (or directories of them; default assets/lessons):
    /// their fields, their scenarios, and that every question's answer comes
    /// out of its run. Exits 2 with one line per problem.
    Check {
        paths: Vec<PathBuf>,
        /// Also print each question's answer, as the runs give it.
        #[arg(long)]
        answers: bool,
        /// The learner's seed: picks the case of steps with `cases`, and
        /// seeds those runs, for `--answers`.
        #[arg(long)]
        seed: Option<String>,
        /// table: one line per lesson; json: every lesson with each step's
        /// scenario and answer (implies --answers).
        #[arg(long, value_enum, default_value = "table")]
        format: lessons::LessonFormat,
    },
}

fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Command::Simulate {
            scenario,
            format,
            out,
        } => {
            let sc = scenario.load()?;
            let text = simulate::render(&sc, format);
            load::write_output(out.as_deref(), &text)
        }
        Command::Presets { format } => {
            crate::stdout::out!("{}", simulate::presets_listing(format));
            Ok(())
        }
        Command::Params { scenario, format } => {
            let sc = load::scenario(&scenario)?;
            crate::stdout::out!("{}", simulate::params_listing(&sc, format));
            Ok(())
        }
        Command::Export { scenario, to, out } => {
            export::write(&scenario.load()?, to, out.as_deref())
        }
        Command::Run {
            scenario,
            docker_host,
            out,
            target,
            allow_remote_target,
            flagd,
            containers,
        } => run::run(
            scenario.load()?,
            run::RunArgs {
                docker_host,
                out,
                target,
                allow_remote: allow_remote_target,
                flagd,
                containers,
            },
        ),
        Command::Compare { trace, format } => compare::compare(&trace, format),
        Command::GoCosts {
            docker_host,
            out,
            trace,
        } => go_costs::go_costs_command(go_costs::GoCostsArgs {
            docker_host,
            out,
            trace,
        }),
        Command::Sweep(sweep) => sweep.run(),
        Command::Measure { scenario, measures } => lessons::measure(&scenario.load()?, &measures),
        Command::Lessons {
            command:
                LessonsCommand::Check {
                    paths,
                    answers,
                    seed,
                    format,
                },
        } => {
            let seed = seed.as_deref().map(load::parse_seed).transpose()?;
            lessons::check(&paths, answers, seed, format)
        }
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            // `--help > /dev/full`: the help was not shown (a closed pipe is fine).
            match e.print() {
                Err(w) if code == 0 && w.kind() != std::io::ErrorKind::BrokenPipe => {
                    eprintln!("error: could not write the output: {w}");
                    return ExitCode::from(1);
                }
                _ => return ExitCode::from(code),
            }
        }
    };
    match run(cli) {
        // The output was not all written: already reported, by stdout.rs.
        Ok(()) if stdout::failed() => ExitCode::from(1),
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            e.report();
            ExitCode::from(e.exit_code())
        }
    }
}
