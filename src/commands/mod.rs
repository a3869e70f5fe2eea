//! One module per subcommand of `urnscan`. Each declares its arguments (clap's types, listed
//! in `crate::cli`), turns them into the library's plain values, calls the library, prints
//! what the agent reads, and says how the command ended (`ExitCode`). Errors go up to
//! `main`, which prints them and picks their exit code.

pub mod evaluate;
pub mod explain;
pub mod export;
pub mod forms;
pub mod generate;
pub mod layout;
pub mod ocr;
pub mod process;
pub mod report;
pub mod review;
