//! What can be wrong with a scenario file or its overrides, and how it is shown.

use std::path::Path;

/// Everything that can be wrong with a scenario file or its overrides.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The file could not be read. The message leaves the reason to `source` (print the
    /// chain, as `{:#}` does with anyhow); for a missing file the reason lists the
    /// scenario files next to it.
    #[error("cannot read scenario file `{path}`")]
    Read {
        /// The path given.
        path: String,
        /// The I/O error, with a hint at what would be valid.
        source: std::io::Error,
    },
    /// The file has no content.
    #[error(
        "`{path}` is empty: a scenario needs at least `name`, `seed`, `ticks`, [world], \
         [[topics]], [[creators]] and [feed] (see scenarios/quickstart.toml)"
    )]
    Empty {
        /// The path given.
        path: String,
    },
    /// TOML syntax, an unknown key or a wrong type. Shown as `path:line:column: message`,
    /// or `path: message` when the position is unknown.
    #[error("{path}{}: {message}", position(.line, .column))]
    Syntax {
        /// The file.
        path: String,
        /// 1-based line (0 when unknown).
        line: usize,
        /// 1-based column (0 when unknown).
        column: usize,
        /// The key, what is wrong and what is expected.
        message: String,
    },
    /// A value that parses but is out of range or inconsistent. Shown as
    /// `path:line: key message`, or `path: key message` when the line is unknown.
    #[error("{path}{}: `{key}` {message}", position(.line, &0))]
    Invalid {
        /// The file.
        path: String,
        /// 1-based line of the key (0 when unknown, for example a `--set` value).
        line: usize,
        /// Dotted key path, as in `feed.slate_size` or `variants[1].name`.
        key: String,
        /// What is wrong and what would be valid, with the variant when there are several.
        message: String,
    },
    /// A malformed `--set` argument, or one that names no key of the scenario.
    #[error("--set {arg}: {message}")]
    Override {
        /// The argument as given.
        arg: String,
        /// What is wrong (naming the scenario file) and what would be valid.
        message: String,
    },
}

/// `:line:column`, `:line` or nothing, for messages.
fn position(line: &usize, column: &usize) -> String {
    match (*line, *column) {
        (0, _) => String::new(),
        (l, 0) => format!(":{l}"),
        (l, c) => format!(":{l}:{c}"),
    }
}

/// Adds what would be valid to an I/O error: for a missing file, the scenario files in
/// its folder.
pub(super) fn explain_io(path: &Path, e: std::io::Error) -> std::io::Error {
    use std::io::ErrorKind;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let hint = match e.kind() {
        ErrorKind::NotFound if !dir.is_dir() => format!("the folder `{}` does not exist either", dir.display()),
        ErrorKind::NotFound => scenario_files_in(dir),
        ErrorKind::IsADirectory => format!("give a scenario file, not a folder; {}", scenario_files_in(path)),
        ErrorKind::InvalidData => "a scenario file must be UTF-8 text".to_string(),
        _ => return e,
    };
    std::io::Error::new(e.kind(), format!("{e}; {hint}"))
}

/// "scenario files in `dir`: a.toml, b.toml", listing TOML files that have a [world].
fn scenario_files_in(dir: &Path) -> String {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .filter(|p| std::fs::read_to_string(p).is_ok_and(|t| t.contains("[world]")))
        .map(|p| p.strip_prefix(".").unwrap_or(&p).display().to_string())
        .collect();
    names.sort();
    if names.is_empty() {
        return format!(
            "there are no scenario files in `{}` (the shipped ones are in scenarios/, for example \
             scenarios/quickstart.toml)",
            dir.display()
        );
    }
    let more = names.len().saturating_sub(10);
    names.truncate(10);
    let tail = if more > 0 { format!(" and {more} more") } else { String::new() };
    format!("scenario files in `{}`: {}{tail}", dir.display(), names.join(", "))
}
