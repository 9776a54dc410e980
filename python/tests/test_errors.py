"""Bad input raises feedsim.ScenarioError with the CLI's message; a run too big for
memory raises MemoryPlanError (a ScenarioError) before it starts."""

import time

import pytest

import feedsim
from conftest import QUICKSTART, ROOT, SMALL, cli_args


def bad_copy(tmp_path, old, new):
    text = QUICKSTART.read_text()
    assert old in text
    path = tmp_path / "bad.toml"
    path.write_text(text.replace(old, new, 1))
    return path


CASES = {
    # What is wrong: (scenario, overrides, a part of the message).
    "unknown_key": (lambda tmp: bad_copy(tmp, "friends_mean = 10", "friends_maen = 10"), {}, "bad.toml:22"),
    "out_of_range": (lambda tmp: bad_copy(tmp, "users = 20000 ", "users = 0 "), {}, "bad.toml:18"),
    "bad_override": (lambda tmp: QUICKSTART, {"world.nope": 3}, "--set world.nope=3"),
    "missing_file": (lambda tmp: ROOT / "scenarios" / "no_such.toml", {}, "quickstart.toml"),
}


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("call", ["run", "compare", "validate"])
def test_bad_scenarios_raise_the_message_the_cli_prints(tmp_path, cli, case, call):
    make, overrides, part = CASES[case]
    path = make(tmp_path)
    with pytest.raises(feedsim.ScenarioError) as caught:
        if call == "run":
            feedsim.run(path, set=overrides, progress=False)
        elif call == "compare":
            feedsim.compare(path, replicates=2, set=overrides, progress=False)
        else:
            feedsim.validate(path, set=overrides)
    assert not isinstance(caught.value, feedsim.MemoryPlanError)
    assert isinstance(caught.value, ValueError)
    message = str(caught.value)
    assert part in message
    proc = cli("validate" if call == "validate" else call, path, *cli_args(overrides))
    assert proc.returncode == 2
    assert proc.stderr == f"feedsim: {message}\n"


def test_a_run_too_big_for_memory_raises_before_it_starts(cli):
    calls = []
    started = time.perf_counter()
    with pytest.raises(feedsim.MemoryPlanError) as caught:
        feedsim.run(QUICKSTART, max_memory=1, progress=lambda *a: calls.append(a))
    assert time.perf_counter() - started < 1.0 and calls == []
    assert isinstance(caught.value, feedsim.ScenarioError)
    message = str(caught.value)
    assert "is the --max-memory limit" in message and "lower world.users" in message
    proc = cli("run", QUICKSTART, "--max-memory", 1, "--quiet", "--out", ROOT / "target" / "never-written")
    assert proc.returncode == 2
    assert proc.stderr == f"feedsim: {message}\n"
    assert not (ROOT / "target" / "never-written").exists()


def test_a_compare_too_big_for_memory_counts_its_replicates_side_by_side(cli):
    # A limit one replicate's plan fits under and two side by side (2 threads) do not.
    plan = feedsim.memory_plan(QUICKSTART, set=SMALL)
    mib = plan["total_bytes"] // (1 << 20) + 1
    assert 2 * plan["total_bytes"] > mib << 20
    feedsim.compare(QUICKSTART, replicates=2, set=SMALL, threads=1, max_memory=mib, progress=False)
    with pytest.raises(feedsim.MemoryPlanError) as caught:
        feedsim.compare(QUICKSTART, replicates=2, set=SMALL, threads=2, max_memory=mib, progress=False)
    proc = cli("compare", QUICKSTART, *cli_args(SMALL), "--replicates", 2, "--threads", 2, "--max-memory", mib,
               "--quiet", "--out", ROOT / "target" / "never-written")  # fmt: skip
    assert proc.returncode == 2
    assert proc.stderr == f"feedsim: {caught.value}\n"


@pytest.mark.parametrize(
    "flag,value", [("threads", -1), ("threads", 5000), ("max-memory", 0), ("max-memory", 1 << 41)]
)
def test_out_of_range_numbers_are_refused_with_the_flags_bounds(cli, flag, value):
    with pytest.raises(ValueError) as caught:
        feedsim.run(QUICKSTART, progress=False, **{flag.replace("-", "_"): value})
    message = str(caught.value)
    assert message.startswith(f"{flag.replace('-', '_')}={value} is out of range: valid values are ")
    if value >= 0:  # the CLI's parser reads no minus sign as a number
        proc = cli("run", QUICKSTART, f"--{flag}", value)
        assert proc.returncode == 2
        assert message.split(": ", 1)[1] in proc.stderr


@pytest.mark.parametrize("bad", [{"threads": 2.5}, {"threads": True}, {"set": {"world.users": object()}}])
def test_arguments_of_the_wrong_type_are_refused(bad):
    with pytest.raises(TypeError):
        feedsim.run(QUICKSTART, progress=False, **bad)
