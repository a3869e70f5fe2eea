//! The `urnscan` binary: parse the command line, run the command, turn how it ended into an
//! exit code. `cli` lists the commands; each command (its arguments, its run, what it
//! prints) is a module of `commands`; the work itself is the library's (`urnscan`).

mod cli;
mod commands;

use clap::Parser;
use urnscan::error::{advice, ExitCode};

use crate::cli::{Cli, Command};

fn main() -> std::process::ExitCode {
    ensure_single_threaded_tesseract();
    quiet_on_closed_pipe();
    let code = run(Cli::parse()).unwrap_or_else(|err| {
        eprintln!("urnscan: error: {err:#}");
        if let Some(advice) = advice(&err) {
            eprintln!("  → {advice}");
        }
        ExitCode::of_error(&err)
    });
    code.into()
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Process(args) => commands::process::run(args),
        Command::Explain(args) => commands::explain::run(&args),
        Command::Report(args) => commands::report::run(args),
        Command::Review(args) => commands::review::run(args),
        Command::Export { command } => commands::export::run(command),
        Command::Forms { command } => commands::forms::run(command),
        Command::Layout { command } => commands::layout::run(command),
        Command::Generate(args) => commands::generate::run(args),
        Command::Evaluate(args) => commands::evaluate::run(args),
        Command::Ocr(args) => commands::ocr::run(&args),
    }
}

/// `urnscan evaluate OUT | head` must end quietly when `head` stops reading, as other Unix
/// tools do, not panic in println!: restore the default SIGPIPE action that Rust's runtime
/// sets to "ignore".
fn quiet_on_closed_pipe() {
    urnscan::sys::restore_default_sigpipe();
}

/// Tesseract's OpenMP threads would fight the workers (a zone took 580 ms instead of 78 ms
/// when they did). libgomp reads OMP_THREAD_LIMIT once, when the library is loaded, which is
/// before `main`: setting it from here has no effect on this process. So when it is not set,
/// the program runs itself again with it set. Nobody has to know the variable exists.
fn ensure_single_threaded_tesseract() {
    if std::env::var_os("OMP_THREAD_LIMIT").is_some() {
        return;
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        if let Ok(exe) = std::env::current_exe() {
            let err = std::process::Command::new(exe)
                .args(std::env::args_os().skip(1))
                .env("OMP_THREAD_LIMIT", "1")
                .exec();
            // exec only returns on failure: carry on, slower but correct.
            eprintln!("urnscan: warning: could not restart with OMP_THREAD_LIMIT=1 ({err}); OCR may be slow");
        }
    }
}
