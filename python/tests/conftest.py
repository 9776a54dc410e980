"""Shared paths and the CLI binary the identity tests compare against."""

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
QUICKSTART = ROOT / "scenarios" / "quickstart.toml"
# Small enough that a run takes well under a second, large enough to do real work.
SMALL = {"world.users": 3000, "ticks": 6}


def cli_args(overrides):
    """`--set key=value` flags for the CLI, as feedsim.run passes them."""
    out = []
    for key, value in overrides.items():
        out += ["--set", f"{key}={value}"]
    return out


@pytest.fixture(scope="session")
def feedsim_bin():
    """The CLI: FEEDSIM_BIN (tests/python.rs sets it to the binary cargo built), else
    target/release/feedsim. Missing, the identity tests are skipped, or fail under CI."""
    named = os.environ.get("FEEDSIM_BIN")
    path = Path(named) if named else ROOT / "target" / "release" / "feedsim"
    if not path.is_file():
        why = f"no feedsim binary at {path}: build it with `cargo build --release` or name it in FEEDSIM_BIN"
        if os.environ.get("CI"):
            pytest.fail(why)
        pytest.skip(why)
    return path


@pytest.fixture
def cli(feedsim_bin):
    """Runs the CLI with arguments; returns the CompletedProcess (text, both streams)."""

    def call(*args):
        return subprocess.run([str(feedsim_bin), *map(str, args)], capture_output=True, text=True, cwd=ROOT)

    return call
