//! Output folders of long runs: a previous run is never written over without `--force`,
//! two runs never write into one folder at once, and a lock left by a killed run does not
//! block the next one.

mod common;

use std::path::Path;
use std::process::{Child, Command as StdCommand};
use std::time::Duration;

use assert_cmd::Command;

const SMALL: [&str; 4] = ["--set", "world.users=2000", "--set", "ticks=3"];

fn feedsim() -> Command {
    Command::cargo_bin("feedsim").unwrap()
}

fn quickstart() -> String {
    common::scenario_path("quickstart.toml").display().to_string()
}

/// `feedsim run quickstart --out OUT --quiet` with a small world and `extra` flags.
fn run_small(out: &Path, extra: &[&str]) -> std::process::Output {
    feedsim()
        .args(["run", &quickstart(), "--quiet", "--out", out.to_str().unwrap()])
        .args(SMALL)
        .args(extra)
        .output()
        .unwrap()
}

/// A run big enough to last many seconds, in the background.
fn spawn_long(out: &Path, extra: &[&str]) -> Child {
    let args = [&["--set", "world.users=100000", "--set", "ticks=5000"], extra].concat();
    common::spawn_quickstart(out, &args)
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn a_second_run_into_a_finished_run_folder_is_refused_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let first = run_small(&out, &[]);
    assert!(first.status.success(), "{}", stderr(&first));
    let before = std::fs::read(out.join("summary.json")).unwrap();

    let second = run_small(&out, &["--seed", "7"]);
    assert_eq!(second.status.code(), Some(2), "{}", stderr(&second));
    let msg = stderr(&second);
    assert!(msg.starts_with("feedsim: "), "{msg}");
    assert!(msg.contains(out.to_str().unwrap()) && msg.contains("a run of scenario `quickstart`"), "{msg}");
    assert!(msg.contains("add --force") && msg.contains("another --out"), "{msg}");
    assert_eq!(std::fs::read(out.join("summary.json")).unwrap(), before, "the refused run changed the folder");

    let forced = run_small(&out, &["--seed", "7", "--force"]);
    assert!(forced.status.success(), "{}", stderr(&forced));
    assert_ne!(std::fs::read(out.join("summary.json")).unwrap(), before, "--force wrote the new run");
    assert!(!out.join(".feedsim.lock").exists(), "the lock file is removed on exit");
}

#[test]
fn a_folder_of_other_files_is_refused_and_kept() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "mine").unwrap();
    let o = run_small(dir.path(), &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("already holds files (notes.txt)"), "{}", stderr(&o));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "nothing was added");
    // An empty existing folder is fine.
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    assert!(run_small(&empty, &[]).status.success());
}

#[test]
fn compare_refuses_a_non_empty_folder_too() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("comparison.json"), r#"{"scenario": "quickstart"}"#).unwrap();
    let o = feedsim()
        .args(["compare", &quickstart(), "--quiet", "--replicates", "2", "--out", dir.path().to_str().unwrap()])
        .args(SMALL)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("a comparison of scenario `quickstart`"), "{}", stderr(&o));
}

#[test]
fn two_runs_never_write_one_folder_and_a_killed_runs_lock_is_stale() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let lock = out.join(".feedsim.lock");
    let mut long = spawn_long(&out, &[]);
    common::wait_for(&lock);

    // Even --force does not let a second run into a folder being written.
    let o = run_small(&out, &["--force"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let msg = stderr(&o);
    assert!(msg.contains(&format!("another feedsim (pid {}) is writing into", long.id())), "{msg}");
    // Nor without it, before the first run has written anything.
    let o = run_small(&out, &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("another feedsim"), "{}", stderr(&o));

    // kill -9 skips every destructor: the lock file stays, but the OS lock is gone.
    long.kill().unwrap();
    long.wait().unwrap();
    assert!(lock.exists());
    let o = run_small(&out, &[]);
    assert!(o.status.success(), "a stale lock must not block: {}", stderr(&o));
    assert!(out.join("summary.json").exists() && !lock.exists());
}

#[test]
fn an_interrupted_run_releases_its_folder() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let mut long = spawn_long(&out, &[]);
    common::wait_for(&out.join(".feedsim.lock"));
    std::thread::sleep(Duration::from_millis(1500));
    let killed = StdCommand::new("kill").args(["-INT", &long.id().to_string()]).status().unwrap();
    assert!(killed.success());
    assert_eq!(long.wait().unwrap().code(), Some(130));
    assert!(out.join("summary.json").exists());
    assert!(!out.join(".feedsim.lock").exists());
    // The partial run is a run like any other: refused without --force.
    let o = run_small(&out, &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("an interrupted run of scenario `quickstart`"), "{}", stderr(&o));
}

/// `feedsim compare quickstart` into `out` with a world of `users`.
fn compare_into(out: &Path, users: &str, extra: &[&str]) -> std::process::Output {
    feedsim()
        .args(["compare", &quickstart(), "--quiet", "--threads", "2", "--out", out.to_str().unwrap()])
        .args(["--set", users, "--set", "ticks=4"])
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn a_compare_resumes_from_its_saved_replicates_and_can_add_more() {
    let dir = tempfile::tempdir().unwrap();
    let (full, grown) = (dir.path().join("full"), dir.path().join("grown"));
    assert!(compare_into(&full, "world.users=1500", &["--replicates", "3"]).status.success());
    assert!(compare_into(&grown, "world.users=1500", &["--replicates", "2"]).status.success());
    assert!(full.join("replicates/r00002.json").exists() && !grown.join("replicates/r00002.json").exists());
    // Another scenario's replicates are not mixed in; the message names the key.
    let other = compare_into(&grown, "world.users=1600", &["--replicates", "3", "--resume"]);
    assert_eq!(other.status.code(), Some(2));
    assert!(stderr(&other).contains("world.users (1500 then, 1600 now)"), "{}", stderr(&other));
    let o = compare_into(&grown, "world.users=1500", &["--replicates", "3", "--resume"]);
    assert!(o.status.success(), "{}", stderr(&o));
    for f in ["comparison.json", "comparison.csv", "replicates/r00002.json"] {
        assert!(std::fs::read(full.join(f)).unwrap() == std::fs::read(grown.join(f)).unwrap(), "{f} differs");
    }
}

#[test]
fn sigint_stops_a_compare_keeping_finished_replicates_for_resume() {
    let dir = tempfile::tempdir().unwrap();
    let (full, cut) = (dir.path().join("full"), dir.path().join("cut"));
    let big = ["--set", "world.users=20000", "--set", "ticks=10", "--replicates", "6"];
    let mut child = StdCommand::new(assert_cmd::cargo::cargo_bin("feedsim"))
        .args(["compare", &quickstart(), "--quiet", "--threads", "1", "--out", cut.to_str().unwrap()])
        .args(big)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    common::wait_for(&cut.join("replicates/r00000.json"));
    let sent = StdCommand::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(sent.success());
    assert_eq!(child.wait().unwrap().code(), Some(130));
    assert!(!cut.join("comparison.json").exists(), "no interval from an incomplete set of replicates");
    let kept = std::fs::read_dir(cut.join("replicates")).unwrap().count() - 1;
    assert!((1..6).contains(&kept), "{kept} replicates kept");
    let plain = compare_into(&cut, "world.users=20000", &[]);
    assert_eq!(plain.status.code(), Some(2));
    assert!(
        stderr(&plain).contains("an interrupted compare") && stderr(&plain).contains("--resume"),
        "{}",
        stderr(&plain)
    );

    let resume = feedsim()
        .args(["compare", &quickstart(), "--quiet", "--threads", "2", "--resume", "--out", cut.to_str().unwrap()])
        .args(big)
        .output()
        .unwrap();
    assert!(resume.status.success(), "{}", stderr(&resume));
    let reference = feedsim()
        .args(["compare", &quickstart(), "--quiet", "--threads", "2", "--out", full.to_str().unwrap()])
        .args(big)
        .output()
        .unwrap();
    assert!(reference.status.success());
    assert!(
        std::fs::read(full.join("comparison.json")).unwrap() == std::fs::read(cut.join("comparison.json")).unwrap()
    );
}
