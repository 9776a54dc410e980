"""feedsim.compare: comparison.csv as a table, the CLI's compare folder byte for byte."""

import json

import pandas as pd
import pytest

import feedsim
from conftest import QUICKSTART, SMALL, cli_args

REPLICATES = 3


@pytest.fixture(scope="module")
def small_compare():
    return feedsim.compare(QUICKSTART, replicates=REPLICATES, set=SMALL, seed=5, threads=2, progress=False)


def test_table_has_the_columns_of_comparison_csv(small_compare):
    t = small_compare.table
    assert isinstance(t, pd.DataFrame)
    assert list(t.columns) == ["kind", "variant", "metric", "n", "mean", "sd", "ci_low", "ci_high"]
    assert set(t["kind"]) == {"variant", "difference"}
    assert set(t[t["kind"] == "variant"]["variant"]) == {"two_column", "single_column"}
    assert set(t[t["kind"] == "difference"]["variant"]) == {"two_column-single_column"}
    assert (t["n"] == REPLICATES).all()
    assert (t["ci_low"] <= t["mean"]).all() and (t["mean"] <= t["ci_high"]).all()
    s = small_compare.summary
    assert (s["scenario"], s["seed"], s["replicates"]) == ("quickstart", 5, REPLICATES)


def test_compare_matches_the_cli_byte_for_byte(tmp_path, cli, small_compare):
    small_compare.save(tmp_path / "py")
    proc = cli(
        "compare", QUICKSTART, *cli_args(SMALL), "--seed", 5, "--replicates", REPLICATES,
        "--threads", 1, "--quiet", "--out", tmp_path / "cli",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    names = lambda d: sorted(str(p.relative_to(d)) for p in d.rglob("*") if p.is_file())  # noqa: E731
    assert names(tmp_path / "py") == names(tmp_path / "cli")
    assert "replicates/r00002.json" in names(tmp_path / "py")
    for name in names(tmp_path / "cli"):
        if name == "replicates/manifest.json":
            continue  # names the scenario file as given; compared below without it
        assert (tmp_path / "py" / name).read_bytes() == (tmp_path / "cli" / name).read_bytes(), name
    manifests = [json.loads((tmp_path / d / "replicates" / "manifest.json").read_text()) for d in ("py", "cli")]
    assert manifests[0] == manifests[1]
    cli_table = pd.read_csv(tmp_path / "cli" / "comparison.csv", float_precision="round_trip")
    pd.testing.assert_frame_equal(small_compare.table, cli_table)


def test_the_cli_can_resume_a_compare_saved_from_python(tmp_path, cli, small_compare):
    small_compare.save(tmp_path)
    before = (tmp_path / "comparison.csv").read_bytes()
    proc = cli(
        "compare", QUICKSTART, *cli_args(SMALL), "--seed", 5, "--replicates", REPLICATES,
        "--resume", "--quiet", "--out", tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "comparison.csv").read_bytes() == before


def test_replicates_differ_and_progress_counts_them():
    calls = []
    cmp = feedsim.compare(QUICKSTART, replicates=2, set=SMALL, threads=2, progress=lambda *a: calls.append(a))
    assert calls[-1] == (2, 2, "quickstart")
    sd = cmp.table[(cmp.table["kind"] == "variant") & (cmp.table["metric"] == "impressions")]["sd"]
    assert (sd > 0).all()


def test_fewer_than_two_replicates_is_refused_as_the_cli_refuses_it(cli):
    with pytest.raises(ValueError, match="replicates=1 is out of range: valid values are 2 to") as caught:
        feedsim.compare(QUICKSTART, replicates=1, set=SMALL, progress=False)
    proc = cli("compare", QUICKSTART, "--replicates", 1)
    assert proc.returncode == 2
    assert str(caught.value).split(": ", 1)[1] in proc.stderr
