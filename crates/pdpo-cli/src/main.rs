//! `pdpo`: Hong Kong Personal Data (Privacy) Ordinance (Cap. 486) compliance for a CRM's own
//! SQLite or PostgreSQL database, from the command line. The logic lives in the `pdpo`
//! libraries; this binary parses arguments, shows progress and prints text or `--json`.
//!
//! ```text
//! pdpo demo                          # the sample Hong Kong CRM in ./pdpo-demo, the whole story
//! cd pdpo-demo && pdpo request new 42 --kind access
//! pdpo audit verify                  # exit 1 if the log does not verify
//! ```
//!
//! Errors are one line on standard error and an exit code (see `pdpo --help`); nothing is
//! half-written.

mod args;
mod commands;
mod demo;
mod error;
mod open;
mod out;
mod tamper;
mod tenancy;

use std::process::ExitCode;

use clap::Parser;

use crate::args::{Cli, Command};
use crate::error::{CliError, FAILED};
use crate::out::Out;

/// The binary's allocator (the `mimalloc` feature, on by default): the demo's loader allocates
/// records on its generator thread and frees them on the writer's, a pattern glibc's allocator
/// handles poorly. The libraries leave the choice to the application.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // A panic is a bug: say so in one line, without its payload (it could hold data).
    std::panic::set_hook(Box::new(|info| {
        let at = info.location().map(|l| format!(" at {}:{}", l.file(), l.line())).unwrap_or_default();
        #[allow(clippy::print_stderr)]
        {
            eprintln!("pdpo: internal error{at}; please report it");
        }
    }));
    let cli = Cli::parse();
    let out = Out::new(cli.global.json, cli.global.quiet);
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => return fail(&CliError::new(FAILED, format!("starting the async runtime: {e}"))),
    };
    match runtime.block_on(run(cli, &out)) {
        Ok(code) => code,
        Err(e) => fail(&e),
    }
}

fn fail(e: &CliError) -> ExitCode {
    #[allow(clippy::print_stderr)]
    {
        eprintln!("pdpo: {e}");
    }
    e.exit_code()
}

async fn run(cli: Cli, out: &Out) -> error::Result<ExitCode> {
    let g = &cli.global;
    match cli.command {
        Command::Demo(a) => demo::run(g, &a, out).await,
        Command::Schema(c) => commands::schema(g, c, out).await,
        Command::Scan(a) => commands::scan(&a, out),
        Command::Inventory => commands::inventory(g, out).await,
        Command::Request(c) => commands::request(g, c, out).await,
        Command::Export(c) => commands::export(g, c, out).await,
        Command::Erase(a) => commands::erase(g, &a, out).await,
        Command::Correct(a) => commands::correct(g, &a, out).await,
        Command::Retention(c) => commands::retention(g, c, out).await,
        Command::Audit(c) => commands::audit(g, c, out).await,
        Command::Workspace(c) => commands::workspace(g, c, out).await,
    }
}
