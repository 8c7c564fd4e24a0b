//! mini-sindri: prints its version, or the profiles compiled into it; anything else fails (exit status 2).
//! Like the real CLI, it embeds profiles.yaml, so editing that file changes the binary.

use std::env;
use std::process::ExitCode;

const PROFILES: &str = include_str!("../../../profiles.yaml");

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("--version") | Some("-V") | Some("version") => {
            println!("{}", sindri_core::version_line("sindri"));
        }
        Some("profiles") => {
            for name in sindri_core::profile_names(PROFILES) {
                println!("{name}");
            }
        }
        Some(other) => {
            // A stand-in must not pass for the real CLI: a deploy it cannot do is a failure, not a silent success.
            eprintln!(
                "mini-sindri {}: '{other}' is not implemented (this is a stand-in for the Sindri CLI; \
                 it knows --version and profiles)",
                sindri_core::VERSION
            );
            return ExitCode::from(2);
        }
        None => {
            eprintln!("mini-sindri {}: a stand-in for the Sindri CLI; try --version or profiles", sindri_core::VERSION);
            return ExitCode::from(2);
        }
    }
    ExitCode::SUCCESS
}
