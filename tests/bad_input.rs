//! Bad input end to end: every mistake exits with code 2, says on stderr which file, key
//! and line are wrong and what would be valid, and leaves no run folder behind.
//!
//! Each test writes a broken copy of `scenarios/quickstart.toml` into a temporary folder
//! and computes the expected line from the text it wrote.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

const QUICKSTART: &str = include_str!("../scenarios/quickstart.toml");
const QUICKSTART_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/quickstart.toml");

/// A broken scenario in its own temporary folder.
struct Broken {
    dir: tempfile::TempDir,
    file: PathBuf,
}

impl Broken {
    fn new(text: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("broken.toml");
        std::fs::write(&file, text).unwrap();
        Broken { dir, file }
    }

    fn path(&self) -> String {
        self.file.display().to_string()
    }

    /// Runs `feedsim run FILE --out DIR ARGS`, checks exit code 2, the `feedsim: ` prefix
    /// and that DIR was not created; returns stderr.
    fn run(&self, args: &[&str]) -> String {
        run_bad(&self.file, self.dir.path(), args)
    }
}

fn run_bad(file: &Path, dir: &Path, args: &[&str]) -> String {
    let out = dir.join("run");
    let output = Command::cargo_bin("feedsim")
        .unwrap()
        .args(["run", file.to_str().unwrap(), "--out", out.to_str().unwrap(), "--quiet"])
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(2), "exit code for bad input; stderr:\n{stderr}");
    assert!(stderr.starts_with("feedsim: "), "stderr must start with `feedsim: `:\n{stderr}");
    assert!(!out.exists(), "the run folder must not be created for bad input; stderr:\n{stderr}");
    assert!(output.stdout.is_empty(), "nothing on stdout for bad input");
    stderr
}

/// The quickstart text with the one line starting with `prefix` replaced by `line`, and
/// that line's 1-based number.
fn replace_line(prefix: &str, line: &str) -> (String, usize) {
    let hits: Vec<usize> =
        QUICKSTART.lines().enumerate().filter(|(_, l)| l.starts_with(prefix)).map(|(i, _)| i).collect();
    assert_eq!(hits.len(), 1, "`{prefix}` must start exactly one line of quickstart.toml");
    let text: Vec<&str> = QUICKSTART.lines().enumerate().map(|(i, l)| if i == hits[0] { line } else { l }).collect();
    (text.join("\n") + "\n", hits[0] + 1)
}

fn assert_has(stderr: &str, parts: &[&str]) {
    for part in parts {
        assert!(stderr.contains(part), "stderr lacks {part:?}:\n{stderr}");
    }
}

#[test]
fn unknown_key() {
    let (text, line) = replace_line("friends_mean = 10 ", "friend_mean = 10");
    let b = Broken::new(&text);
    let stderr = b.run(&[]);
    assert_has(
        &stderr,
        &[
            &format!("feedsim: {}:{line}:1: ", b.path()),
            "`world.friend_mean`",
            "unknown field `friend_mean`",
            "expected one of `users`",
            "did you mean `friends_mean`?",
        ],
    );
}

#[test]
fn wrong_type() {
    let (text, line) = replace_line("users = 20000 ", "users = \"many\"");
    let column = "users = ".len() + 1;
    let b = Broken::new(&text);
    let stderr = b.run(&[]);
    assert_has(
        &stderr,
        &[
            &format!("feedsim: {}:{line}:{column}: ", b.path()),
            "`world.users`",
            "invalid type: string \"many\"",
            "a whole number from 0 to 4294967295",
        ],
    );
}

#[test]
fn value_out_of_range() {
    let (text, line) = replace_line("slate_size = 5 ", "slate_size = 70");
    let b = Broken::new(&text);
    let stderr = b.run(&[]);
    assert_has(
        &stderr,
        &[
            &format!("feedsim: {}:{line}: `feed.slate_size`", b.path()),
            "= 70 is out of range",
            "valid values are 1 to 64",
        ],
    );
}

#[test]
fn enum_value_misspelt() {
    let (text, line) = replace_line("layout = \"two_column\"", "layout = \"two_columns\"");
    let column = "layout = ".len() + 1;
    let b = Broken::new(&text);
    let stderr = b.run(&[]);
    assert_has(
        &stderr,
        &[
            &format!("feedsim: {}:{line}:{column}: `feed.layout`", b.path()),
            "unknown variant `two_columns`",
            "`single_column`",
            "did you mean `two_column`?",
        ],
    );
}

#[test]
fn toml_syntax_error() {
    let (text, line) = replace_line("users = 20000 ", "users = ");
    let b = Broken::new(&text);
    let stderr = b.run(&[]);
    assert_has(&stderr, &[&format!("feedsim: {}:{line}:", b.path()), "`world.users`"]);
}

#[test]
fn missing_required_key() {
    let (text, line) = replace_line("quality = 0.45 ", "");
    // The group whose `quality` was removed starts at the [[creators]] header above it.
    let header = QUICKSTART.lines().take(line).enumerate().filter(|(_, l)| *l == "[[creators]]").last().unwrap().0 + 1;
    let b = Broken::new(&text);
    let stderr = b.run(&[]);
    assert_has(&stderr, &[&format!("feedsim: {}:{header}:1: `creators[4]`", b.path()), "missing field `quality`"]);
}

#[test]
fn empty_file() {
    let b = Broken::new("");
    let stderr = b.run(&[]);
    assert_has(&stderr, &[&format!("`{}` is empty", b.path()), "`name`", "[world]", "[feed]"]);
}

#[test]
fn file_of_comments_only() {
    let b = Broken::new("# nothing here yet\n\n");
    let stderr = b.run(&[]);
    assert_has(&stderr, &[&format!("`{}` is empty", b.path()), "[[creators]]"]);
}

#[test]
fn missing_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("quickstart.toml"), QUICKSTART).unwrap();
    let file = dir.path().join("quickstrat.toml");
    let stderr = run_bad(&file, dir.path(), &[]);
    assert_has(
        &stderr,
        &[
            &format!("cannot read scenario file `{}`", file.display()),
            "No such file",
            &format!("scenario files in `{}`", dir.path().display()),
            "quickstart.toml",
        ],
    );
    assert_eq!(stderr.matches("No such file").count(), 1, "the reason is said once:\n{stderr}");
}

#[test]
fn malformed_set() {
    let b = Broken::new(QUICKSTART);
    let stderr = b.run(&["--set", "feed.slate_size"]);
    assert_has(
        &stderr,
        &["--set feed.slate_size: expected KEY=VALUE", &b.path(), "for example --set feed.slate_size=4"],
    );
}

#[test]
fn set_without_value() {
    let b = Broken::new(QUICKSTART);
    let stderr = b.run(&["--set", "world.users="]);
    assert_has(&stderr, &["--set world.users=: no value after `=`"]);
}

#[test]
fn set_names_a_missing_table() {
    let b = Broken::new(QUICKSTART);
    let stderr = b.run(&["--set", "fed.slate_size=3"]);
    assert_has(
        &stderr,
        &[
            "--set fed.slate_size=3: no table `fed`",
            &b.path(),
            "its tables are crowd, demographics, engagement_weights, feed,",
            "did you mean `feed`?",
        ],
    );
}

#[test]
fn set_names_an_unknown_key() {
    let b = Broken::new(QUICKSTART);
    let stderr = b.run(&["--set", "feed.slate=3"]);
    assert_has(
        &stderr,
        &["--set feed.slate=3: `feed.slate`", &b.path(), "unknown field `slate`", "did you mean `slate_size`?"],
    );
}

#[test]
fn set_value_of_wrong_type() {
    let b = Broken::new(QUICKSTART);
    let stderr = b.run(&["--set", "world.users=many"]);
    assert_has(&stderr, &["--set world.users=many: `world.users`", &b.path(), "a whole number from 0 to"]);
}

#[test]
fn reviews_per_note_below_one() {
    let (text, line) = replace_line("reviews_per_note = 15000 ", "reviews_per_note = 0.5");
    let b = Broken::new(&text);
    let stderr = b.run(&[]);
    assert_has(
        &stderr,
        &[
            &format!("feedsim: {}:{line}: `journey.reviews_per_note`", b.path()),
            "= 0.5 is out of range",
            "valid values are 1 to",
        ],
    );
}

#[test]
fn set_value_out_of_range_has_no_line() {
    let b = Broken::new(QUICKSTART);
    let stderr = b.run(&["--set", "feed.slate_size=80"]);
    // The value comes from the command line, not from a line of the file.
    assert_has(
        &stderr,
        &[
            &format!("feedsim: {}: `feed.slate_size`", b.path()),
            "= 80 is out of range: valid values are 1 to 64",
            "(set by --set feed.slate_size=80)",
        ],
    );
    assert!(!stderr.contains(":0:"), "no line 0:\n{stderr}");
}

#[test]
fn run_too_big_for_memory() {
    let b = Broken::new(QUICKSTART);
    let stderr = b.run(&["--max-memory", "1"]);
    assert_has(&stderr, &[&b.path(), "--max-memory", "world.users (now 20000)"]);
}

#[test]
fn unknown_key_in_a_variant() {
    let (text, line) = replace_line("signal_noise = 0.2 ", "signal_nose = 0.2");
    let b = Broken::new(&text);
    let stderr = b.run(&[]);
    assert_has(
        &stderr,
        &[
            &format!("feedsim: {}:{line}:1: `feed.signal_nose` in variant `single_column`", b.path()),
            "unknown field `signal_nose`",
            "expected one of `layout`, `slate_size`",
            "did you mean `signal_noise`?",
        ],
    );
}

#[test]
fn unknown_table_in_a_variant() {
    let (text, line) = replace_line("[variants.feed]", "[variants.feeds]");
    let b = Broken::new(&text);
    let stderr = b.run(&[]);
    assert_has(
        &stderr,
        &[
            &format!("feedsim: {}:{line}:", b.path()),
            "`feeds` in variant `single_column`",
            "unknown field `feeds`",
            "did you mean `feed`?",
        ],
    );
}

#[test]
fn wrong_type_in_a_variant() {
    let (text, line) = replace_line("signal_noise = 0.2 ", "signal_noise = \"one\"");
    let b = Broken::new(&text);
    let stderr = b.run(&[]);
    assert_has(
        &stderr,
        &[
            &format!("feedsim: {}:{line}:1: `feed.signal_noise` in variant `single_column`", b.path()),
            "invalid type: string \"one\"",
            "expected f64 (a number, for example 0.5)",
        ],
    );
}

#[test]
fn value_out_of_range_in_a_variant() {
    let (text, line) = replace_line("signal_noise = 0.2 ", "signal_noise = 2.0");
    let b = Broken::new(&text);
    let stderr = b.run(&[]);
    assert_has(
        &stderr,
        &[
            &format!("feedsim: {}:{line}: `feed.signal_noise` in variant `single_column`", b.path()),
            "= 2 is out of range: valid values are 0 to 0.5",
        ],
    );
}

/// A ranking stage needs at least as many candidates as its slate shows: K covers on
/// two columns, one item on a single column, whatever `slate_size` says there.
#[test]
fn candidates_below_the_slate() {
    let (text, line) = replace_line("candidates = 10 ", "candidates = 4");
    let b = Broken::new(&text);
    let stderr = b.run(&[]);
    assert_has(
        &stderr,
        &[
            &format!("feedsim: {}:{line}: `feed.candidates`", b.path()),
            "= 4 is out of range: valid values are feed.slate_size (5) to 128",
        ],
    );
    // The single-column variant accepts one candidate (it shows one item) ...
    let (one, _) = replace_line("signal_noise = 0.2 ", "signal_noise = 0.2\ncandidates = 1");
    let ok = Broken::new(&one);
    Command::cargo_bin("feedsim").unwrap().args(["validate", &ok.path()]).assert().success();
    // ... and no fewer.
    let (none, line) = replace_line("signal_noise = 0.2 ", "candidates = 0");
    let b = Broken::new(&none);
    let stderr = b.run(&[]);
    assert_has(
        &stderr,
        &[
            &format!("feedsim: {}:{line}: `feed.candidates` in variant `single_column`", b.path()),
            "= 0 is out of range: valid values are 1, the one item a single-column slate shows, to 128",
        ],
    );
}

#[test]
fn variant_without_a_name() {
    let (text, _) = replace_line("name = \"single_column\"", "nme = \"single_column\"");
    // The second [[variants]] header is the block that lost its name.
    let header = text.lines().enumerate().filter(|(_, l)| *l == "[[variants]]").nth(1).unwrap().0 + 1;
    let b = Broken::new(&text);
    let stderr = b.run(&[]);
    assert_has(
        &stderr,
        &[&format!("feedsim: {}:{header}: `variants[1].name` is missing", b.path()), "name = \"single_column\""],
    );
}

#[test]
fn variant_that_changes_the_world() {
    let text = format!("{QUICKSTART}[variants.world]\nusers = 5\n");
    let line = text.lines().count();
    assert_eq!(text.lines().last(), Some("users = 5"));
    let b = Broken::new(&text);
    let stderr = b.run(&[]);
    assert_has(
        &stderr,
        &[
            &format!("feedsim: {}:{line}: `world.users` in variant `single_column`", b.path()),
            "= 5 but 20000 in the first variant `two_column`",
            "only [feed], [response], [engagement_weights], [metrics]",
        ],
    );
}

#[test]
fn validate_refuses_bad_input_too() {
    let (text, line) = replace_line("friends_mean = 10 ", "friend_mean = 10");
    let b = Broken::new(&text);
    let output = Command::cargo_bin("feedsim").unwrap().args(["validate", &b.path()]).output().unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert_has(&stderr, &[&format!("feedsim: {}:{line}:1: `world.friend_mean`", b.path())]);
}

#[test]
fn unknown_key_in_an_appended_creator() {
    let text = "extends = \"quickstart.toml\"\nname = \"more\"\n\n[[append.creators]]\nname = \"extra\"\n\
                kind = \"fund\"\nfollowers = 1000\ntopics = [\"deposits\"]\npost_per_tick = 0.5\n";
    let line = text.lines().position(|l| l.starts_with("post_per_tick")).unwrap() + 1;
    let b = Broken::new(text);
    std::fs::write(b.dir.path().join("quickstart.toml"), QUICKSTART).unwrap();
    let stderr = b.run(&[]);
    assert_has(
        &stderr,
        &[
            &format!("feedsim: {}:{line}:1: `append.creators[0].post_per_tick`", b.path()),
            "unknown field `post_per_tick`",
            "did you mean `posts_per_tick`?",
        ],
    );
    assert!(!stderr.contains("variants[0]"), "blamed on the variant instead of the appended creator:\n{stderr}");
}

/// Every numeric flag refuses a value outside its documented range before any work:
/// exit 2, a message naming the flag, the value and the valid range, and no folder.
#[test]
fn numeric_flags_out_of_range() {
    let dir = tempfile::tempdir().unwrap();
    let q = QUICKSTART_PATH;
    let out = dir.path().join("out");
    let out = out.to_str().unwrap();
    let d = dir.path().to_str().unwrap();
    let cases: &[(&[&str], &str, &str)] = &[
        (&["run", q, "--out", out, "--threads", "100000"], "--threads", "0 to 1024"),
        (&["run", q, "--out", out, "--checkpoint-every", "100001"], "--checkpoint-every", "0 to 100000"),
        (&["run", q, "--out", out, "--max-memory", "0"], "--max-memory", "1 to 1099511627776"),
        (&["run", q, "--out", out, "--max-memory", "1099511627777"], "--max-memory", "1 to 1099511627776"),
        (&["validate", q, "--max-memory", "0"], "--max-memory", "1 to 1099511627776"),
        (&["compare", q, "--out", out, "--replicates", "1"], "--replicates", "2 to 100000"),
        (&["compare", q, "--out", out, "--replicates", "100001"], "--replicates", "2 to 100000"),
        (&["compare", q, "--out", out, "--threads", "1025"], "--threads", "0 to 1024"),
        (&["sweep", q, "--param", "seed=1,2", "--out", out, "--replicates", "1"], "--replicates", "2 to 100000"),
        (&["sweep", q, "--param", "seed=1,2", "--out", out, "--threads", "5000"], "--threads", "0 to 1024"),
        (&["resume", d, "--threads", "5000"], "--threads", "0 to 1024"),
        (&["resume", d, "--checkpoint-every", "200000"], "--checkpoint-every", "0 to 100000"),
        (&["resume", d, "--max-memory", "0"], "--max-memory", "1 to 1099511627776"),
        (&["bench", "--out", out, "--users", "0"], "--users", "1 to 4294967295"),
        (&["bench", "--out", out, "--users", "4294967296"], "--users", "1 to 4294967295"),
        (&["bench", "--out", out, "--ticks", "0"], "--ticks", "1 to 100000"),
        (&["bench", "--out", out, "--threads", "100000"], "--threads", "0 to 1024"),
        (&["check", "--baselines", d, "--threads", "2000"], "--threads", "0 to 1024"),
        (&["check", "--baselines", d, "--update", "--replicates", "1"], "--replicates", "2 to 100000"),
        (&["check", "--baselines", d, "--update", "--replicates", "100001"], "--replicates", "2 to 100000"),
    ];
    for (args, flag, range) in cases {
        let output = Command::cargo_bin("feedsim")
            .unwrap()
            .args(*args)
            .timeout(std::time::Duration::from_secs(60))
            .output()
            .unwrap();
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}: exit code for a bad flag; stderr:\n{stderr}");
        let value = args.last().unwrap();
        assert_has(&stderr, &[flag, value, &format!("valid values are {range}")]);
        assert!(!Path::new(out).exists(), "{args:?}: nothing may be written for a bad flag");
    }
}
