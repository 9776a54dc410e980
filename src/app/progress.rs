//! Progress bars and the Ctrl-C flag that long commands poll between steps.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A flag raised by the first SIGINT or SIGTERM: the run finishes its tick, writes what
/// it has (marked partial) and exits 130. A second signal exits at once.
pub fn interrupt_flag() -> Arc<AtomicBool> {
    let flag = Arc::new(AtomicBool::new(false));
    let seen = Arc::clone(&flag);
    // Installing fails only if a handler exists already (a second run in one process);
    // the run then simply cannot be interrupted gracefully.
    let _ = ctrlc::set_handler(move || {
        if seen.swap(true, Ordering::SeqCst) {
            crate::io::outdir::release_all();
            std::process::exit(130);
        }
        eprintln!("\nfeedsim: stopping after the current step and saving what is done; signal again to quit at once");
    });
    flag
}

/// A progress bar on stderr, hidden with `quiet` (and by indicatif when stderr is not a
/// terminal).
pub fn progress(quiet: bool, len: u64, unit: &str) -> ProgressBar {
    let bar = if quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr())
    };
    bar.set_style(
        ProgressStyle::with_template(&format!(
            "{{spinner}} {{msg:<24}} [{{bar:32}}] {{pos}}/{{len}} {unit}, {{elapsed}} (eta {{eta}})"
        ))
        .expect("valid template")
        .progress_chars("=> "),
    );
    bar
}
