"""Runs release the GIL, and Ctrl-C stops a run cleanly (after its current tick)."""

import signal
import subprocess
import sys
import threading
import time

import pytest

import feedsim
from conftest import QUICKSTART, ROOT, SMALL

# Long enough (minutes) that only an interrupt ends it within the test's time.
LONG = {"world.users": 20000, "ticks": 2000}

CALLS = {
    "run": f"feedsim.run({str(QUICKSTART)!r}, set={LONG!r}, threads=1, progress=False)",
    "compare": f"feedsim.compare({str(QUICKSTART)!r}, replicates=4, set={LONG!r}, threads=2, progress=False)",
}

CHILD = """
import signal, sys, time
# Ctrl-C as in a terminal even when the tests were started with SIGINT ignored (a
# shell's background job), which this process would otherwise inherit.
signal.signal(signal.SIGINT, signal.default_int_handler)
import feedsim
print("started", flush=True)
t = time.perf_counter()
try:
    {call}
    print("finished")
except KeyboardInterrupt:
    print(f"interrupted after {{time.perf_counter() - t:.2f}} s", flush=True)
# The module works after an interrupted call: the worker was joined, nothing is held.
run = feedsim.run({scenario!r}, set={small!r}, threads=1, progress=False)
print("then ran", run.summary["ticks"], "ticks")
"""


@pytest.mark.parametrize("call", sorted(CALLS))
def test_ctrl_c_stops_a_run_and_raises_keyboard_interrupt(call):
    code = CHILD.format(call=CALLS[call], scenario=str(QUICKSTART), small=SMALL)
    child = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT
    )
    try:
        assert child.stdout.readline() == "started\n"
        time.sleep(1.5)  # into the ticks: the world of 20 k users is built in well under that
        sent = time.perf_counter()
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=60)
        stopped_within = time.perf_counter() - sent
    finally:
        child.kill()
    assert child.returncode == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("interrupted after "), out
    assert lines[1] == f"then ran {SMALL['ticks']} ticks"
    # A tick of 20 k users takes a fraction of a second; the rest is the small run.
    assert stopped_within < 10, stopped_within


def test_a_run_releases_the_gil():
    done = threading.Event()
    ticks = []

    def work():
        try:
            feedsim.run(QUICKSTART, set={"world.users": 10000, "ticks": 12}, threads=1, progress=False)
        finally:
            done.set()

    worker = threading.Thread(target=work)
    started = time.perf_counter()
    worker.start()
    # Python code on this thread goes on while the run holds no GIL: a run that held it
    # would leave this loop stuck until the run ends.
    while not done.is_set():
        ticks.append(time.perf_counter())
        time.sleep(0.005)
    worker.join()
    elapsed = time.perf_counter() - started
    assert elapsed > 0.3, "the run was too short to tell"
    gaps = [b - a for a, b in zip(ticks, ticks[1:])]
    assert max(gaps) < 0.5, f"this thread was blocked for {max(gaps):.2f} s"
    assert len(ticks) > elapsed / 0.05
