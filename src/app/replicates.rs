//! Replicates run for `compare` and `decompose`: in parallel on a pool of the command's
//! threads, with a progress bar, each saved in the output folder's `replicates/` as it
//! finishes, so Ctrl-C (or a crash) loses at most the replicates that were running and
//! `--resume` continues.

use std::process::ExitCode;
use std::sync::atomic::Ordering;

use super::{interrupt_flag, progress};
use crate::io::replicates::ReplicateStore;
use crate::scenario::Scenario;
use crate::study::compare::{Replicate, run_replicates};

/// What came of running the replicates.
pub enum Finished {
    /// All of them, in index order.
    All(Vec<Replicate>),
    /// Interrupted: the exit code to return (the message is printed).
    Interrupted(ExitCode),
}

/// Runs replicates `0..replicates` of `s` not in `done`, saving each into `store`.
/// `label` is the progress bar's message.
pub fn run_saved(
    s: &Scenario,
    (replicates, fixed_world): (usize, bool),
    store: &ReplicateStore,
    done: Vec<Replicate>,
    (threads, quiet, label): (usize, bool, String),
) -> anyhow::Result<Finished> {
    let bar = progress(quiet, replicates as u64, "replicates");
    bar.set_message(label);
    bar.set_position(done.iter().filter(|r| r.index < replicates).count() as u64);
    let interrupted = interrupt_flag();
    let should_stop = || interrupted.load(Ordering::SeqCst);
    let save_failed = std::sync::Mutex::new(None);
    let on_done = |r: &Replicate| {
        if let Err(e) = store.save(r) {
            save_failed.lock().expect("not poisoned").get_or_insert(e);
        }
        bar.inc(1);
    };
    let pool = crate::engine::thread_pool(threads)?;
    let runs = pool.install(|| run_replicates(s, replicates, fixed_world, done, &should_stop, &on_done));
    bar.finish_and_clear();
    if let Some(e) = save_failed.into_inner().expect("not poisoned") {
        let dir = store.dir().parent().unwrap_or(store.dir());
        return Err(anyhow::Error::from(e).context(format!("cannot save a replicate in `{}`", dir.display())));
    }
    let finished = runs.iter().flatten().count();
    if finished < replicates {
        eprintln!(
            "feedsim: interrupted with {finished} of {replicates} replicates done, saved in {}; go on with the same \
             command and --resume",
            store.dir().display()
        );
        return Ok(Finished::Interrupted(ExitCode::from(130)));
    }
    Ok(Finished::All(runs.into_iter().flatten().collect()))
}
