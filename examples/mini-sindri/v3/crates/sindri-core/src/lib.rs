//! Small helpers shared by the mini-sindri binary.

/// The workspace version, taken from `[workspace.package]` at compile time.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The line printed by `sindri --version`.
pub fn version_line(program: &str) -> String {
    format!("{program} {VERSION}")
}

/// Names of the top-level keys under `profiles:` in a profiles.yaml text.
///
/// This is not a YAML parser: it reads lines indented by exactly two spaces
/// that end in a colon, which is the only shape profiles.yaml uses.
pub fn profile_names(text: &str) -> Vec<String> {
    let mut in_profiles = false;
    let mut names = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        if !line.starts_with(' ') {
            in_profiles = line.trim_end() == "profiles:";
            continue;
        }
        if in_profiles {
            if let Some(rest) = line.strip_prefix("  ") {
                if !rest.starts_with(' ') {
                    if let Some(name) = rest.trim_end().strip_suffix(':') {
                        names.push(name.to_string());
                    }
                }
            }
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_profile_names() {
        let text = "profiles:\n  minimal:\n    extensions: [github]\n  full:\n    extensions: []\nother:\n  x:\n";
        assert_eq!(profile_names(text), vec!["minimal", "full"]);
    }

    #[test]
    fn version_line_has_the_workspace_version() {
        assert_eq!(version_line("sindri"), "sindri 3.0.0");
    }
}
