//! The same scenario on 1, 2 and 4 MPI ranks writes a byte-identical summary.json to
//! the one-process run.
//!
//! Needs a build with `--features mpi` and an MPI launcher; `.ci/run` installs Open MPI,
//! builds that binary and names it in `FEEDSIM_MPI_BIN`. Without the variable the tests
//! are ignored, with the reason printed, so cargo's summary counts them as ignored (a
//! plain `cargo test` needs no MPI library); with `CI` set they run and fail.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use libtest_mimic::Arguments;

/// Every rank count below runs on one machine, more ranks than cores included.
const RANKS: [usize; 3] = [1, 2, 4];

const NO_MPI: &str = "FEEDSIM_MPI_BIN is not set, so nothing runs on MPI ranks: build with \
                      `cargo build --release --features mpi` (needs Open MPI and libclang) and name that \
                      binary in FEEDSIM_MPI_BIN (.ci/run does this)";

/// The MPI build named in `FEEDSIM_MPI_BIN`, or a failure that says how to make one.
fn mpi_binary() -> PathBuf {
    std::env::var_os("FEEDSIM_MPI_BIN").map(PathBuf::from).unwrap_or_else(|| panic!("{NO_MPI}"))
}

fn main() -> std::process::ExitCode {
    let args = Arguments::from_args();
    let missing = std::env::var_os("FEEDSIM_MPI_BIN").is_none().then(|| NO_MPI.to_string());
    let ignore = common::ignore_without(missing, "MPI rank tests");
    let trial = |name: &str, test: fn()| common::trial(name, test).with_ignored_flag(ignore);
    let tests = vec![
        trial("quickstart_is_identical_on_1_2_and_4_ranks", quickstart_is_identical_on_1_2_and_4_ranks),
        trial(
            "reviews_campaigns_and_shares_are_identical_on_1_2_and_4_ranks",
            reviews_campaigns_and_shares_are_identical_on_1_2_and_4_ranks,
        ),
        trial("per_rank_checkpoints_resume_on_the_same_rank_count", per_rank_checkpoints_resume_on_the_same_rank_count),
    ];
    libtest_mimic::run(&args, tests).exit_code()
}

fn run(program: &[&str], scenario: &str, overrides: &[&str], out: &Path) {
    let mut cmd = Command::new(program[0]);
    cmd.args(&program[1..]).args(["run", common::scenario_path(scenario).to_str().unwrap()]);
    for o in overrides {
        cmd.args(["--set", o]);
    }
    // One thread per rank: the four ranks share the machine's cores.
    cmd.args(["--threads", "1", "--quiet", "--out", out.to_str().unwrap()]);
    let status = cmd.status().expect("the program starts");
    assert!(status.success(), "{program:?} on {scenario}: {status}");
}

/// Compares summary.json (and the other deterministic outputs) of R-rank runs with the
/// one-process binary's.
fn same_on_every_rank_count(scenario: &str, overrides: &[&str]) {
    let mpi_bin = mpi_binary();
    let dir = tempfile::tempdir().unwrap();
    let solo = dir.path().join("solo");
    run(&[env!("CARGO_BIN_EXE_feedsim")], scenario, overrides, &solo);
    let expected = std::fs::read(solo.join("summary.json")).unwrap();
    for ranks in RANKS {
        let out = dir.path().join(format!("ranks{ranks}"));
        let n = ranks.to_string();
        let mpirun = [
            "mpirun",
            "-n",
            &n,
            "--oversubscribe",
            "--allow-run-as-root",
            "--bind-to",
            "none",
            mpi_bin.to_str().unwrap(),
        ];
        run(&mpirun, scenario, overrides, &out);
        let got = std::fs::read(out.join("summary.json")).unwrap();
        assert!(got == expected, "{scenario}: summary.json on {ranks} ranks differs from the one-process run");
        for file in ["timeseries.csv", "creators.csv", "lorenz.csv", "notes.csv"] {
            let a = std::fs::read(solo.join(file)).unwrap();
            assert!(std::fs::read(out.join(file)).unwrap() == a, "{scenario}: {file} on {ranks} ranks differs");
        }
        // perf.json gives every rank's traffic, rank 0's first; several ranks exchange.
        let perf: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("perf.json")).unwrap()).unwrap();
        let by_rank = perf["bytes_exchanged_per_tick_by_rank"].as_array().expect("a list per rank");
        assert_eq!(by_rank.len(), ranks, "{scenario}: one figure per rank");
        assert_eq!(by_rank[0], perf["bytes_exchanged_per_tick"], "{scenario}: rank 0's figure");
        if ranks > 1 {
            assert!(by_rank.iter().all(|b| b.as_u64().unwrap() > 0), "{scenario}: every rank exchanges: {by_rank:?}");
        }
    }
}

fn quickstart_is_identical_on_1_2_and_4_ranks() {
    // Five chunks of users: ranks hold 1 to 2 chunks, never the same split twice.
    same_on_every_rank_count("quickstart.toml", &["world.users=10000", "ticks=10"]);
}

fn reviews_campaigns_and_shares_are_identical_on_1_2_and_4_ranks() {
    // Advocates' reviews, prize campaigns and word of mouth cross ranks every tick; with
    // 3 000 users (2 chunks) two of four ranks act for nobody.
    same_on_every_rank_count("incentivised_reviews.toml", &["world.users=3000", "ticks=8"]);
}

/// An MPI run stopped by SIGTERM saves one checkpoint per rank; `resume` on the same
/// number of ranks finishes it with the one-process run's bytes, and a resume on another
/// number of ranks is refused.
fn per_rank_checkpoints_resume_on_the_same_rank_count() {
    let mpi_bin = mpi_binary();
    let overrides = ["world.users=20000", "ticks=40"];
    let dir = tempfile::tempdir().unwrap();
    let solo = dir.path().join("solo");
    run(&[env!("CARGO_BIN_EXE_feedsim")], "quickstart.toml", &overrides, &solo);
    let out = dir.path().join("ranks");
    let mpi = mpi_bin.to_str().unwrap();
    let launch = ["mpirun", "-n", "2", "--oversubscribe", "--allow-run-as-root", "--bind-to", "none"];
    let mut cmd = Command::new(launch[0]);
    cmd.args(&launch[1..]).args([mpi, "run", common::scenario_path("quickstart.toml").to_str().unwrap()]);
    for o in overrides {
        cmd.args(["--set", o]);
    }
    cmd.args(["--threads", "1", "--quiet", "--checkpoint-every", "2", "--out", out.to_str().unwrap()]);
    let mut child = cmd.spawn().expect("mpirun starts");
    let first = feedsim::io::checkpoint::rank_path_in(&out, 0, 2);
    let started = std::time::Instant::now();
    while !first.exists() {
        assert!(started.elapsed().as_secs() < 120, "no checkpoint appeared");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // Rank 0 holds the folder's lock, which names its pid; one rank's signal stops all.
    let pid: i32 = std::fs::read_to_string(out.join(".feedsim.lock")).unwrap().trim().parse().unwrap();
    // SAFETY: sending a signal to a process of this test's own run.
    unsafe { libc::kill(pid, libc::SIGTERM) };
    assert!(!child.wait().unwrap().success(), "an interrupted run exits 130");
    let summary: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["partial"], true, "the run finished before it was stopped; the test proves nothing");
    for rank in 0..2 {
        assert!(feedsim::io::checkpoint::rank_path_in(&out, rank, 2).exists(), "rank {rank} saved no checkpoint");
    }
    // One process finds no checkpoint of its own (the run was saved by two ranks).
    let alone = Command::new(env!("CARGO_BIN_EXE_feedsim")).args(["resume", out.to_str().unwrap()]).output().unwrap();
    assert_eq!(alone.status.code(), Some(2));
    let status = Command::new(launch[0])
        .args(&launch[1..])
        .args([mpi, "resume", out.to_str().unwrap(), "--threads", "1", "--quiet"])
        .status()
        .unwrap();
    assert!(status.success(), "resume on 2 ranks: {status}");
    for file in ["summary.json", "timeseries.csv", "creators.csv"] {
        let a = std::fs::read(solo.join(file)).unwrap();
        assert!(std::fs::read(out.join(file)).unwrap() == a, "{file} after resuming on 2 ranks differs");
    }
    for rank in 0..2 {
        assert!(!feedsim::io::checkpoint::rank_path_in(&out, rank, 2).exists(), "a finished run keeps no checkpoint");
    }
}
