//! `cargo xtask COMMAND`: the project's own tasks.
//!
//!   setup   install whatever is missing (rust target, trunk, wasm-bindgen,
//!           wasm-opt, Debian and Python packages); skip what is there
//!   serve   setup, then serve the app at http://127.0.0.1:8080/
//!   test    setup, then every test: Rust, browser, real containers
//!   bench   simulator throughput per preset, bundle size, browser timings
//!   dist    build the static site into dist/

mod bench;
mod bundle;
mod peer;
mod server;
mod setup;
mod tasks;
mod util;

use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask <setup|serve|test|bench|dist> [options]

  setup            install what is missing for serve and test
  serve            build and serve the app on http://127.0.0.1:8080/
  test             run every test (Rust, browser, Docker harness)
      --skip-browser   leave out the browser tests
      --skip-docker    leave out the real-container tests
  bench            print simulator and browser figures
      --quick          simulator figures only
  dist             build the static site into dist/";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(command) = args.first() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let flags: Vec<&str> = args[1..].iter().map(String::as_str).collect();
    let known: &[&str] = match command.as_str() {
        "test" => &["--skip-browser", "--skip-docker"],
        "bench" => &["--quick"],
        _ => &[],
    };
    if let Some(bad) = flags.iter().find(|f| !known.contains(f)) {
        eprintln!("xtask: unknown option `{bad}` for `{command}`\n\n{USAGE}");
        return ExitCode::from(2);
    }
    let has = |f: &str| flags.contains(&f);
    let result = match command.as_str() {
        "setup" => setup::all(setup::Needs::everything()),
        "serve" => tasks::serve(),
        "test" => tasks::test(!has("--skip-browser"), !has("--skip-docker")),
        "bench" => bench::run(has("--quick")),
        "dist" => tasks::dist().map(|_| ()),
        "help" | "--help" | "-h" => {
            println!("{USAGE}");
            Ok(())
        }
        other => {
            eprintln!("xtask: unknown command `{other}`\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("\nxtask {command} failed: {e}");
            ExitCode::FAILURE
        }
    }
}
