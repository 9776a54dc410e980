"""feedsim.validate: the resolved parameters `feedsim validate --resolved` prints."""

import re
import sys

import pytest

import feedsim
from conftest import QUICKSTART


def test_validate_gives_every_variant_in_scenario_order():
    v = feedsim.validate(QUICKSTART, set={"world.users": 1234}, seed=9)
    assert list(v) == ["two_column", "single_column"]
    for params in v.values():
        assert params["world"]["users"] == 1234
        assert params["seed"] == 9
        assert params["ticks"] == 30
    # The variants differ in their feed, not in their world.
    assert v["two_column"]["feed"] != v["single_column"]["feed"]
    assert v["two_column"]["world"] == v["single_column"]["world"]


@pytest.mark.skipif(sys.version_info < (3, 11), reason="tomllib (Python 3.11+) reads the CLI's TOML")
def test_validate_is_the_content_of_validate_resolved(cli):
    import tomllib

    proc = cli("validate", QUICKSTART, "--resolved", "--set", "world.users=1234")
    assert proc.returncode == 0, proc.stderr
    # Sections `# variant `NAME` of SCENARIO (SOURCE)`, each a TOML document.
    parts = re.split(r"^# variant `([^`]+)` of .*$", proc.stdout, flags=re.M)
    from_cli = {parts[i]: tomllib.loads(parts[i + 1]) for i in range(1, len(parts), 2)}
    assert list(from_cli) == ["two_column", "single_column"]
    assert feedsim.validate(QUICKSTART, set={"world.users": 1234}) == from_cli


def test_memory_plan_is_validate_json(cli):
    import json

    proc = cli("validate", QUICKSTART, "--json")
    assert proc.returncode == 0, proc.stderr
    plan = feedsim.memory_plan(QUICKSTART)
    from_cli = json.loads(proc.stdout)
    # Available memory changes from moment to moment; the plan does not.
    plan.pop("available_bytes"), from_cli.pop("available_bytes")
    assert plan == from_cli
