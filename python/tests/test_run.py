"""feedsim.run: the contract's attributes, the CLI's run folder byte for byte, progress."""

import json

import pandas as pd
import pytest

import feedsim
from conftest import QUICKSTART, SMALL, cli_args

# Files of a run folder that carry no wall-clock value (perf.json does: see
# src/io/run_folder.rs and tests/determinism.rs).
DETERMINISTIC = ["summary.json", "timeseries.csv", "creators.csv", "lorenz.csv"]


@pytest.fixture(scope="module")
def small_run():
    return feedsim.run(QUICKSTART, set=SMALL, seed=1, threads=2, progress=False)


def test_summary_is_summary_json_for_the_run_asked_for(small_run):
    s = small_run.summary
    assert s["scenario"] == "quickstart"
    assert (s["seed"], s["users"], s["ticks"]) == (1, 3000, 6)
    assert s["partial"] is False
    assert [v["name"] for v in s["variants"]] == list(feedsim.validate(QUICKSTART))
    for v in s["variants"]:
        assert v["metrics"]["impressions"] > 1000


def test_timeseries_is_tidy_and_adds_up_to_the_summary(small_run):
    ts = small_run.timeseries
    assert isinstance(ts, pd.DataFrame)
    assert list(ts.columns) == ["tick", "variant", "metric", "value"]
    assert sorted(ts["tick"].unique()) == list(range(6))
    for v in small_run.summary["variants"]:
        per_tick = ts[(ts["variant"] == v["name"]) & (ts["metric"] == "impressions")]["value"]
        assert len(per_tick) == 6
        assert per_tick.sum() == v["metrics"]["impressions"]


def test_creators_has_one_row_per_creator_and_variant(small_run):
    cr = small_run.creators
    assert list(cr.columns) == [
        "variant", "creator", "group", "kind", "followers_start", "followers_end",
        "notes", "impressions", "reads", "engagements",
    ]  # fmt: skip
    sizes = cr.groupby("variant").size()
    assert len(sizes) == 2 and sizes.nunique() == 1
    for v in small_run.summary["variants"]:
        assert cr[cr["variant"] == v["name"]]["impressions"].sum() == v["metrics"]["impressions"]


def test_save_writes_the_cli_run_folder_byte_for_byte(tmp_path, cli):
    # Python on 2 threads against the CLI on 1: also the thread-count determinism.
    run = feedsim.run(QUICKSTART, set=SMALL, seed=1, threads=2, progress=False)
    written = run.save(tmp_path / "py")
    proc = cli("run", QUICKSTART, *cli_args(SMALL), "--seed", 1, "--threads", 1, "--quiet", "--out", tmp_path / "cli")
    assert proc.returncode == 0, proc.stderr
    py_files = sorted(p.name for p in (tmp_path / "py").iterdir())
    assert py_files == sorted(p.name for p in (tmp_path / "cli").iterdir())
    assert sorted(p.name for p in written) == py_files
    for name in DETERMINISTIC:
        assert (tmp_path / "py" / name).read_bytes() == (tmp_path / "cli" / name).read_bytes(), name
    perf = json.loads((tmp_path / "cli" / "perf.json").read_text())
    assert run.perf.keys() == perf.keys()
    assert (run.perf["threads"], perf["threads"]) == (2, 1)
    # The in-memory tables are the files' contents.
    assert run.summary == json.loads((tmp_path / "cli" / "summary.json").read_text())
    read = lambda name: pd.read_csv(tmp_path / "cli" / name, float_precision="round_trip")  # noqa: E731
    pd.testing.assert_frame_equal(run.timeseries, read("timeseries.csv"))
    pd.testing.assert_frame_equal(run.creators, read("creators.csv"))
    pd.testing.assert_frame_equal(run.lorenz, read("lorenz.csv"))


def test_save_refuses_a_folder_with_files_unless_forced(tmp_path, small_run):
    small_run.save(tmp_path)
    with pytest.raises(OSError, match="already holds"):
        small_run.save(tmp_path)
    (tmp_path / "summary.json").write_text("overwritten")
    small_run.save(tmp_path, force=True)
    assert json.loads((tmp_path / "summary.json").read_text()) == small_run.summary


def test_save_with_report_writes_report_html(tmp_path, small_run):
    written = small_run.save(tmp_path, report=True)
    assert tmp_path / "report.html" in written
    assert "<svg" in (tmp_path / "report.html").read_text()


def test_seed_changes_the_results_and_threads_do_not(small_run):
    one = feedsim.run(QUICKSTART, set=SMALL, seed=1, threads=1, progress=False)
    assert one.summary == small_run.summary
    pd.testing.assert_frame_equal(one.timeseries, small_run.timeseries)
    other = feedsim.run(QUICKSTART, set=SMALL, seed=2, threads=2, progress=False)
    assert other.summary["variants"] != small_run.summary["variants"]


def test_progress_callback_sees_every_tick():
    calls = []
    feedsim.run(QUICKSTART, set=SMALL, threads=2, progress=lambda *a: calls.append(a))
    total = 2 * SMALL["ticks"]
    assert calls[-1] == (total, total, "single_column")
    assert all(t == total for _, t, _ in calls)
    done = [d for d, _, _ in calls]
    assert done == sorted(done)
    assert {w for _, _, w in calls} <= {"two_column", "single_column"}


def test_progress_is_shown_on_stderr_and_can_be_switched_off(capfd):
    feedsim.run(QUICKSTART, set=SMALL, threads=2)
    out, err = capfd.readouterr()
    assert "ticks" in err and out == ""
    feedsim.run(QUICKSTART, set=SMALL, threads=2, progress=False)
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")


def test_a_failing_progress_callback_stops_the_run_and_raises():
    def fail(done, total, what):
        raise ValueError("stop here")

    with pytest.raises(ValueError, match="stop here"):
        feedsim.run(QUICKSTART, set=SMALL, threads=2, progress=fail)


def test_set_takes_python_values_as_toml():
    v = feedsim.validate(QUICKSTART, set={"world.users": 4321, "world.steps_per_tick": 2.5, "description": "from \"py\""})
    for params in v.values():
        assert params["world"]["users"] == 4321
        assert params["world"]["steps_per_tick"] == 2.5
        assert params["description"] == 'from "py"'
