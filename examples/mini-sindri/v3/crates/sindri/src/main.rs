//! mini-sindri: prints its version, or the profiles compiled into it.
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
            println!("mini-sindri {}: '{other}' is not implemented here (this is a stand-in CLI)", sindri_core::VERSION);
        }
        None => {
            println!("mini-sindri {}: a stand-in for the Sindri CLI; try --version or profiles", sindri_core::VERSION);
        }
    }
    ExitCode::SUCCESS
}
