//! Checkpoint and resume: a run killed or interrupted at any tick goes on to outputs that
//! are byte-identical to an uninterrupted run's, and a damaged or foreign checkpoint is
//! refused whole.

mod common;

use std::path::Path;
use std::process::{Child, Command as StdCommand};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use assert_cmd::Command;
use feedsim::engine::{self, Checkpoints, RunOptions};
use feedsim::io::checkpoint::{self, CheckpointError, Settings};
use feedsim::observe::output::RunOutput;

const OUTPUTS: [&str; 4] = ["summary.json", "timeseries.csv", "creators.csv", "lorenz.csv"];
/// Big enough that a run lasts seconds on one thread, so it can be stopped mid-way.
const MID: [&str; 4] = ["--set", "world.users=30000", "--set", "ticks=16"];

fn quickstart() -> String {
    common::scenario_path("quickstart.toml").display().to_string()
}

fn feedsim() -> Command {
    Command::cargo_bin("feedsim").unwrap()
}

fn spawn_run(out: &Path, extra: &[&str]) -> Child {
    common::spawn_quickstart(out, &[&MID[..], extra].concat())
}

/// The uninterrupted run's outputs.
fn reference(out: &Path) {
    let o = feedsim()
        .args(["run", &quickstart(), "--quiet", "--threads", "2", "--out", out.to_str().unwrap()])
        .args(MID)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

fn assert_same_outputs(a: &Path, b: &Path) {
    for f in OUTPUTS {
        let (x, y) = (std::fs::read(a.join(f)).unwrap(), std::fs::read(b.join(f)).unwrap());
        assert!(x == y, "{f} differs between the uninterrupted and the resumed run");
    }
}

fn resume(dir: &Path) -> std::process::Output {
    feedsim().args(["resume", dir.to_str().unwrap(), "--quiet", "--threads", "2"]).output().unwrap()
}

#[test]
fn a_killed_run_resumes_to_byte_identical_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let (full, killed) = (dir.path().join("full"), dir.path().join("killed"));
    reference(&full);
    let mut child = spawn_run(&killed, &["--checkpoint-every", "3"]);
    common::wait_for(&checkpoint::path_in(&killed));
    child.kill().unwrap(); // SIGKILL: no handler runs, nothing is flushed
    child.wait().unwrap();
    assert!(!killed.join("summary.json").exists(), "the run finished before it was killed; the test proves nothing");
    let loaded = checkpoint::load(&killed).unwrap();
    let done = loaded.progress.current.as_ref().map(|c| c.ticks_done()).unwrap();
    assert!(loaded.progress.finished.is_empty() && done.is_multiple_of(3) && done > 0, "checkpoint at tick {done}");

    let o = resume(&killed);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_same_outputs(&full, &killed);
    assert!(!checkpoint::path_in(&killed).exists(), "a finished run keeps no checkpoint");
    let again = resume(&killed);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("no checkpoint here"));
}

#[test]
fn sigterm_writes_a_checkpoint_and_partial_outputs_and_resume_completes_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let (full, stopped) = (dir.path().join("full"), dir.path().join("stopped"));
    reference(&full);
    let mut child = spawn_run(&stopped, &[]);
    common::wait_for(&stopped.join(".feedsim.lock"));
    std::thread::sleep(Duration::from_millis(400));
    let sent = StdCommand::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(sent.success());
    assert_eq!(child.wait().unwrap().code(), Some(130));
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(stopped.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["partial"], true);
    assert!(checkpoint::path_in(&stopped).exists());
    for entry in std::fs::read_dir(&stopped).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        assert!(!name.ends_with(".tmp"), "left {name}");
    }

    // Running into it again is refused, pointing at resume.
    let again = feedsim().args(["run", &quickstart(), "--quiet", "--out", stopped.to_str().unwrap()]).output().unwrap();
    assert_eq!(again.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("feedsim resume"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );

    let o = resume(&stopped);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_same_outputs(&full, &stopped);
}

/// Runs the scenario, stopping after `stop_at` ticks in all (counted across variants)
/// and saving a checkpoint into `dir` there; returns the partial output.
fn run_until(s: &feedsim::scenario::Scenario, dir: &Path, stop_at: u32) -> RunOutput {
    let seen = AtomicU32::new(0);
    let on_tick = |_: usize, _: u32| {
        seen.fetch_add(1, Ordering::SeqCst);
    };
    let should_stop = || seen.load(Ordering::SeqCst) > stop_at;
    let settings = Settings { checkpoint_every: 0, report: false };
    let save = |at: &engine::ProgressView| checkpoint::save(dir, s, settings, at);
    let checkpoints = Checkpoints { every: 0, save: &save };
    let opts = RunOptions {
        on_tick: &on_tick,
        should_stop: &should_stop,
        checkpoints: Some(&checkpoints),
        ..RunOptions::new(2)
    };
    engine::run(s, opts).unwrap()
}

#[test]
fn stopping_at_any_tick_and_resuming_gives_the_uninterrupted_results() {
    let s = common::load("quickstart.toml", &["world.users=1500", "ticks=4"]);
    let full = common::run_on(&s, 1);
    let never = |_: &engine::ProgressView| -> std::io::Result<()> { panic!("no checkpoint is due") };
    // on_tick fires once per variant before its first tick, then once per tick.
    for stop_at in [1, 3, 4, 5, 6, 8] {
        let dir = tempfile::tempdir().unwrap();
        let partial = run_until(&s, dir.path(), stop_at);
        assert!(partial.summary.partial, "stopped after {stop_at} callbacks");
        let loaded = checkpoint::load(dir.path()).unwrap();
        assert_eq!(serde_json::to_string(&loaded.scenario).unwrap(), serde_json::to_string(&s).unwrap());
        let checkpoints = Checkpoints { every: 0, save: &never };
        let opts = RunOptions { from: loaded.progress, checkpoints: Some(&checkpoints), ..RunOptions::new(1) };
        let resumed = engine::run(&loaded.scenario, opts).unwrap();
        assert!(!resumed.summary.partial);
        assert_eq!(
            feedsim::io::json_bytes(&resumed.summary).unwrap(),
            feedsim::io::json_bytes(&full.summary).unwrap(),
            "stopped after {stop_at} callbacks"
        );
        assert_eq!(resumed.timeseries_csv().unwrap(), full.timeseries_csv().unwrap());
        assert_eq!(resumed.creators_csv().unwrap(), full.creators_csv().unwrap());
    }
}

/// A checkpoint file of a small run, and the run folder it is in.
fn small_checkpoint() -> (tempfile::TempDir, std::path::PathBuf) {
    let s = common::load("quickstart.toml", &["world.users=800", "ticks=3"]);
    let dir = tempfile::tempdir().unwrap();
    run_until(&s, dir.path(), 2);
    let path = checkpoint::path_in(dir.path());
    assert!(checkpoint::load(dir.path()).is_ok());
    (dir, path)
}

#[test]
fn a_damaged_checkpoint_is_refused_whole() {
    let (_dir, path) = small_checkpoint();
    let good = std::fs::read(&path).unwrap();
    let mut flipped = good.clone();
    let last = flipped.len() - 10;
    flipped[last] ^= 0x40;
    std::fs::write(&path, &flipped).unwrap();
    assert!(matches!(checkpoint::load(&path), Err(CheckpointError::Checksum { .. })));
    std::fs::write(&path, &good[..good.len() / 2]).unwrap();
    let err = checkpoint::load(&path).unwrap_err();
    assert!(matches!(err, CheckpointError::Length { .. }), "{err}");
    assert!(err.to_string().contains("truncated"));
    std::fs::write(&path, b"not a checkpoint at all").unwrap();
    assert!(matches!(checkpoint::load(&path), Err(CheckpointError::NotCheckpoint { .. })));
}

#[test]
fn a_checkpoint_of_another_version_is_refused_naming_both_versions() {
    let (_dir, path) = small_checkpoint();
    let mut bytes = std::fs::read(&path).unwrap();
    // The version text follows the magic (8 bytes), the format (4) and its length (2).
    let version = env!("CARGO_PKG_VERSION");
    assert_eq!(&bytes[14..14 + version.len()], version.as_bytes());
    bytes[14] = b'9';
    std::fs::write(&path, &bytes).unwrap();
    let err = checkpoint::load(&path).unwrap_err().to_string();
    assert!(err.contains(&format!("this is feedsim {version}")) && err.contains("written by feedsim 9"), "{err}");
    bytes[14] = version.as_bytes()[0];
    // Same version number, other source: the fingerprint after "+src." differs.
    let len = u16::from_le_bytes([bytes[12], bytes[13]]) as usize;
    let text = String::from_utf8(bytes[14..14 + len].to_vec()).unwrap();
    assert!(text.starts_with(&format!("{version}+src.")), "{text}");
    let last = 14 + len - 1;
    bytes[last] = if bytes[last] == b'0' { b'1' } else { b'0' };
    std::fs::write(&path, &bytes).unwrap();
    let err = checkpoint::load(&path).unwrap_err().to_string();
    assert!(err.contains("written by feedsim") && err.contains(&text), "{err}");
    bytes[last] = text.as_bytes()[len - 1];
    bytes[8] = bytes[8].wrapping_add(1);
    std::fs::write(&path, &bytes).unwrap();
    assert!(checkpoint::load(&path).unwrap_err().to_string().contains("checkpoint format"));
}

#[test]
fn resume_refuses_a_corrupted_checkpoint_and_keeps_the_outputs() {
    let (dir, path) = small_checkpoint();
    std::fs::write(dir.path().join("summary.json"), b"{\"partial\": true}\n").unwrap();
    let mut bytes = std::fs::read(&path).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 1;
    std::fs::write(&path, &bytes).unwrap();
    let o = resume(dir.path());
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("checkpoint.bin") && err.contains("corrupted"), "{err}");
    assert_eq!(std::fs::read(dir.path().join("summary.json")).unwrap(), b"{\"partial\": true}\n");
    assert_eq!(std::fs::read(&path).unwrap(), bytes, "the checkpoint is left as it was");
}

#[test]
fn every_flipped_byte_and_every_truncation_is_refused_without_a_panic() {
    let (_dir, path) = small_checkpoint();
    let good = std::fs::read(&path).unwrap();
    // Every header byte, then positions spread over the payload.
    let positions: Vec<usize> = (0..40).chain((40..good.len()).step_by(good.len() / 97)).collect();
    for &i in &positions {
        let mut bad = good.clone();
        bad[i] ^= 0x01;
        std::fs::write(&path, &bad).unwrap();
        assert!(checkpoint::load(&path).is_err(), "a flip at byte {i} of {} was accepted", good.len());
    }
    for &len in positions.iter().chain([&0usize, &(good.len() - 1)]) {
        std::fs::write(&path, &good[..len]).unwrap();
        assert!(checkpoint::load(&path).is_err(), "a cut at {len} bytes was accepted");
    }
    std::fs::write(&path, &good).unwrap();
    assert!(checkpoint::load(&path).is_ok());
}
