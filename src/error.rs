//! Errors every layer may raise and how they read: the usage error (bad input, exit code
//! 2 at the command line) and the one-line error chain the command line prints.

/// Bad input: exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// An error and its causes on one line, `message: cause: cause`, each cause once: a cause
/// that the text so far already ends with (an error whose message repeats its source) is
/// not printed again. This is how `main` prints errors.
pub fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut next = err.source();
    while let Some(cause) = next {
        let shown = cause.to_string();
        if !shown.is_empty() && !text.ends_with(&shown) {
            text.push_str(": ");
            text.push_str(&shown);
        }
        next = cause.source();
    }
    text
}
