//! Results do not depend on which of glibc's math routines the CPU gets.
//!
//! glibc picks `exp`, `log`, `pow`, `sin`, `logf` and others at load time by CPU: an FMA
//! version where the CPU has fused multiply-add, an SSE2 one elsewhere. The two differ in
//! the last bit for a small share of inputs (measured on this project's machine with
//! 4 M random inputs: `exp` 0.07 %, `pow` 0.07 %, `log` 0.0007 %; `logf` agrees on every
//! positive float). The model's state is f32 and its draws compare against f64 values,
//! so such a bit should not reach any output; these tests check that it does not: the
//! same scenario run under `GLIBC_TUNABLES=glibc.cpu.hwcaps=-AVX2,-FMA,-AVX512F` (glibc's
//! SSE2 routines on this CPU) writes the same files, byte for byte, as the default run.
//!
//! Before comparing, the test checks that the tunable does switch the routines: a child
//! of this test binary hashes 100 000 values of `exp` under it, and the hash must differ
//! from this process's. The tests are ignored, with the reason printed, on a CPU without
//! FMA or a system without glibc, where there is no second routine to compare with.

mod common;

use std::path::Path;
use std::process::Command;

use libtest_mimic::Arguments;

/// The tunable that turns off glibc's AVX2, FMA and AVX-512 routines.
const SSE2_ONLY: &str = "glibc.cpu.hwcaps=-AVX2,-FMA,-AVX512F";
/// Set in a child of this binary: print the `exp` hash and exit.
const PRINT_HASH: &str = "FEEDSIM_TEST_PRINT_EXP_HASH";
/// The files a run writes that hold no wall-clock values.
const FILES: [&str; 5] = ["summary.json", "timeseries.csv", "creators.csv", "lorenz.csv", "notes.csv"];

/// A hash of `exp` at 100 000 points of [−30, 30] (a fixed linear congruential sequence).
fn exp_hash() -> u64 {
    let (mut state, mut hash) = (0x9E37_79B9_7F4A_7C15u64, 0xCBF2_9CE4_8422_2325u64);
    for _ in 0..100_000 {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        let x = -30.0 + 60.0 * ((state >> 11) as f64 / (1u64 << 53) as f64);
        hash = (hash ^ std::hint::black_box(x).exp().to_bits()).wrapping_mul(0x100_0000_01B3);
    }
    hash
}

/// Why the comparison cannot be made on this machine, if it cannot.
fn unavailable() -> Option<String> {
    let glibc = Command::new("getconf").arg("GNU_LIBC_VERSION").output().is_ok_and(|o| o.status.success());
    if !glibc {
        return Some(
            "this system has no glibc (getconf GNU_LIBC_VERSION fails): no FMA and SSE2 routines to compare".into(),
        );
    }
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let fma = cpuinfo.lines().any(|l| l.starts_with("flags") && l.split_whitespace().any(|f| f == "fma"));
    (!fma).then(|| "this CPU has no FMA, so glibc runs its SSE2 routines already: nothing to compare".into())
}

fn main() -> std::process::ExitCode {
    if std::env::var_os(PRINT_HASH).is_some() {
        println!("{}", exp_hash());
        return std::process::ExitCode::SUCCESS;
    }
    let args = Arguments::from_args();
    let ignore = match unavailable() {
        Some(why) => {
            eprintln!("note: the glibc routine tests are ignored: {why}");
            true
        }
        None => false,
    };
    let trial = |name: &str, test: fn()| common::trial(name, test).with_ignored_flag(ignore);
    let tests = vec![
        trial("the_tunable_switches_glibcs_routines", the_tunable_switches_glibcs_routines),
        trial("quickstart_is_identical_with_sse2_routines", quickstart_is_identical_with_sse2_routines),
        trial("music_lab_is_identical_with_sse2_routines", music_lab_is_identical_with_sse2_routines),
        trial(
            "campaigns_and_reviews_are_identical_with_sse2_routines",
            campaigns_and_reviews_are_identical_with_sse2_routines,
        ),
    ];
    libtest_mimic::run(&args, tests).exit_code()
}

fn the_tunable_switches_glibcs_routines() {
    let out = Command::new(std::env::current_exe().unwrap())
        .env(PRINT_HASH, "1")
        .env("GLIBC_TUNABLES", SSE2_ONLY)
        .output()
        .expect("the test binary starts");
    let child: u64 = String::from_utf8_lossy(&out.stdout).trim().parse().expect("the child prints its hash");
    assert_ne!(
        child,
        exp_hash(),
        "GLIBC_TUNABLES={SSE2_ONLY} did not change glibc's exp on this FMA CPU, so the comparisons below would \
         compare a routine with itself (does this glibc name its hardware capabilities differently?)"
    );
}

/// Runs `scenario` with `overrides` on two threads into `out`, under `tunables` if given.
fn run(scenario: &str, overrides: &[&str], tunables: Option<&str>, out: &Path) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_feedsim"));
    cmd.args(["run", common::scenario_path(scenario).to_str().unwrap(), "--quiet", "--threads", "2"]);
    cmd.args(["--out", out.to_str().unwrap()]);
    for o in overrides {
        cmd.args(["--set", o]);
    }
    if let Some(t) = tunables {
        cmd.env("GLIBC_TUNABLES", t);
    }
    let status = cmd.status().expect("feedsim starts");
    assert!(status.success(), "{scenario}: {status}");
}

fn same_with_sse2_routines(scenario: &str, overrides: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let (fma, sse2) = (dir.path().join("default"), dir.path().join("sse2"));
    run(scenario, overrides, None, &fma);
    run(scenario, overrides, Some(SSE2_ONLY), &sse2);
    for file in FILES {
        let (a, b) = (std::fs::read(fma.join(file)).unwrap(), std::fs::read(sse2.join(file)).unwrap());
        assert!(a == b, "{scenario}: {file} differs between glibc's default (FMA) and SSE2 math routines");
    }
}

fn quickstart_is_identical_with_sse2_routines() {
    same_with_sse2_routines("quickstart.toml", &["world.users=4000", "ticks=12"]);
}

fn music_lab_is_identical_with_sse2_routines() {
    same_with_sse2_routines("music_lab.toml", &[]);
}

fn campaigns_and_reviews_are_identical_with_sse2_routines() {
    same_with_sse2_routines("incentivised_reviews.toml", &["world.users=4000", "ticks=12"]);
}
