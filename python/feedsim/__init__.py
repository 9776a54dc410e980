"""feedsim from Python: runs and comparisons as pandas tables.

The simulations are the feedsim library's own (the native module ``feedsim._feedsim``
wraps the Rust crate the CLI is built on), so a run here is the CLI's run: the same
scenario and seed give the same files, byte for byte, on any thread count.

    import feedsim
    run = feedsim.run("scenarios/quickstart.toml", set={"world.users": 5000}, seed=1, threads=2)
    run.summary      # dict: summary.json
    run.timeseries   # DataFrame: timeseries.csv (tick, variant, metric, value)
    run.creators     # DataFrame: creators.csv
    run.save("results/runs/from-python")
    cmp = feedsim.compare("scenarios/quickstart.toml", replicates=8, set={"world.users": 5000})
    cmp.table        # DataFrame: comparison.csv
    feedsim.validate("scenarios/quickstart.toml")   # {variant: resolved parameters}
"""

from __future__ import annotations

import io
import json
import math
import operator
import os
import sys
from pathlib import Path
from typing import Any, Callable, Mapping, Optional, Union

import pandas as pd

from . import _feedsim
from ._feedsim import MemoryPlanError, ScenarioError

__all__ = [
    "run",
    "compare",
    "validate",
    "memory_plan",
    "Run",
    "Comparison",
    "ScenarioError",
    "MemoryPlanError",
]

try:
    from importlib.metadata import version as _version

    __version__ = _version("feedsim")
except Exception:  # not installed as a distribution (e.g. run from a source tree)
    __version__ = "unknown"

PathLike = Union[str, "os.PathLike[str]"]
# progress=True (a bar: tqdm if importable, else a stderr line), False, or a callable
# progress(done, total, what) called as ticks or replicates finish.
Progress = Union[bool, Callable[[int, int, str], Any], None]


def _toml_value(value: Any) -> str:
    """A Python value as the TOML text `--set key=VALUE` takes."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        # A TOML basic string: JSON's escapes are valid TOML ones.
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{json.dumps(str(k))} = {_toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot pass {value!r} ({type(value).__name__}) as a scenario value")


def _overrides(set: Optional[Mapping[str, Any]], seed: Optional[int]) -> list[str]:
    """`--set` arguments, then `--seed` as the CLI folds it in (a `seed=` override)."""
    out = [f"{key}={_toml_value(value)}" for key, value in (set or {}).items()]
    if seed is not None:
        out.append(f"seed={int(seed)}")
    return out


def _whole(name: str, value: Any) -> int:
    """An int for the native call, which checks its range with the CLI's flag parser."""
    if isinstance(value, bool):
        raise TypeError(f"{name} must be a whole number, not {value!r}")
    try:
        return operator.index(value)  # ints, numpy's integers; not floats
    except TypeError:
        raise TypeError(f"{name} must be a whole number, not {value!r}") from None


class _StderrLine:
    """Progress without tqdm: one rewritten line on a terminal; elsewhere (a log, a
    notebook's stderr) a line at every quarter, so the output stays short."""

    def __init__(self, unit: str):
        self.unit = unit
        self.tty = hasattr(sys.stderr, "isatty") and sys.stderr.isatty()
        self.quarter = -1
        self.shown = False

    def __call__(self, done: int, total: int, what: str) -> None:
        text = f"feedsim: {what:<24} {done}/{total} {self.unit}"
        if self.tty:
            sys.stderr.write("\r" + text)
            self.shown = True
        else:
            quarter = 4 * done // max(total, 1)
            if quarter == self.quarter:
                return
            self.quarter = quarter
            sys.stderr.write(text + "\n")
        sys.stderr.flush()

    def close(self) -> None:
        if self.tty and self.shown:
            sys.stderr.write("\n")
            sys.stderr.flush()


class _Tqdm:
    """Progress as a tqdm bar (tqdm.auto: a widget in notebooks, text in terminals)."""

    def __init__(self, tqdm_class: Any, unit: str):
        self.tqdm_class = tqdm_class
        self.unit = unit
        self.bar = None

    def __call__(self, done: int, total: int, what: str) -> None:
        if self.bar is None:
            self.bar = self.tqdm_class(total=total, unit=self.unit, desc="feedsim", leave=False)
        self.bar.set_postfix_str(what, refresh=False)
        self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _display(progress: Progress, unit: str):
    """The callback the native run calls, and how to close it."""
    if progress is None or progress is False:
        return None, lambda: None
    if progress is True:
        try:
            from tqdm.auto import tqdm
        except ImportError:
            shown: Any = _StderrLine(unit)
        else:
            shown = _Tqdm(tqdm, unit)
        return shown, shown.close
    if callable(progress):
        return progress, lambda: None
    raise TypeError(f"progress must be True, False or a callable(done, total, what), not {progress!r}")


def _frame(data: bytes) -> pd.DataFrame:
    # round_trip: the files hold shortest round-trip floats; read them back exactly.
    if not data:
        return pd.DataFrame()
    return pd.read_csv(io.BytesIO(data), float_precision="round_trip")


class Run:
    """A finished run: the contents of the run folder `feedsim run` writes.

    summary     dict, summary.json (scenario, seed, version, metrics per variant)
    timeseries  DataFrame, timeseries.csv (tidy: tick, variant, metric, value)
    creators    DataFrame, creators.csv (one row per creator and variant)
    lorenz      DataFrame, lorenz.csv (variant, population_share, impression_share)
    perf        dict, perf.json (wall time, impressions per second, peak memory, threads)
    """

    def __init__(self, native: Any):
        self._native = native
        self._cache: dict[str, Any] = {}

    def _get(self, name: str, make: Callable[[], Any]) -> Any:
        if name not in self._cache:
            self._cache[name] = make()
        return self._cache[name]

    @property
    def summary(self) -> dict:
        return self._get("summary", lambda: json.loads(self._native.summary_json()))

    @property
    def perf(self) -> dict:
        return self._get("perf", lambda: json.loads(self._native.perf_json()))

    @property
    def timeseries(self) -> pd.DataFrame:
        return self._get("timeseries", lambda: _frame(self._native.timeseries_csv()))

    @property
    def creators(self) -> pd.DataFrame:
        return self._get("creators", lambda: _frame(self._native.creators_csv()))

    @property
    def lorenz(self) -> pd.DataFrame:
        return self._get("lorenz", lambda: _frame(self._native.lorenz_csv()))

    @property
    def metrics(self) -> pd.DataFrame:
        """The headline metrics, one row per metric and one column per variant."""
        return pd.DataFrame({v["name"]: v["metrics"] for v in self.summary["variants"]})

    def save(self, dir: PathLike, force: bool = False, report: bool = False) -> list[Path]:
        """Writes the run folder `feedsim run --out DIR` writes (refused when DIR holds
        files, unless force=True); report=True adds report.html. Returns the paths."""
        return [Path(p) for p in self._native.save(os.fspath(dir), force, report)]

    def __repr__(self) -> str:
        s = self.summary
        names = ", ".join(v["name"] for v in s["variants"])
        return f"<feedsim.Run {s['scenario']!r} seed={s['seed']} users={s['users']} ticks={s['ticks']} [{names}]>"


class Comparison:
    """A finished comparison: the contents of the folder `feedsim compare` writes.

    table    DataFrame, comparison.csv (kind, variant, metric, n, mean, sd, ci_low, ci_high)
    summary  dict, comparison.json
    """

    def __init__(self, native: Any):
        self._native = native
        self._table: Optional[pd.DataFrame] = None
        self._summary: Optional[dict] = None

    @property
    def table(self) -> pd.DataFrame:
        if self._table is None:
            self._table = _frame(self._native.comparison_csv())
        return self._table

    @property
    def summary(self) -> dict:
        if self._summary is None:
            self._summary = json.loads(self._native.comparison_json())
        return self._summary

    def save(self, dir: PathLike, force: bool = False, report: bool = False) -> list[Path]:
        """Writes the folder `feedsim compare --out DIR` writes: replicates/,
        comparison.json and comparison.csv (report=True adds report.html)."""
        return [Path(p) for p in self._native.save(os.fspath(dir), force, report)]

    def __repr__(self) -> str:
        s = self.summary
        return f"<feedsim.Comparison {s['scenario']!r} seed={s['seed']} replicates={s['replicates']}>"


def run(
    scenario: PathLike,
    set: Optional[Mapping[str, Any]] = None,
    seed: Optional[int] = None,
    threads: Optional[int] = None,
    progress: Progress = True,
    max_memory: Optional[int] = None,
) -> Run:
    """Runs every variant of a scenario file, as `feedsim run` does.

    set: overrides, as `--set key=value` (e.g. {"world.users": 5000, "ticks": 10}).
    seed: the master seed (`--seed`). threads: worker threads, 0 or None for all cores.
    progress: True (a bar on stderr; tqdm if installed), False, or a callable
    progress(done_ticks, total_ticks, variant). max_memory: refuse plans above this
    many MiB (`--max-memory`; default the memory available now).

    Raises ScenarioError for a bad file or override (the CLI's message), MemoryPlanError
    (a ScenarioError) before starting a run too big for memory. The GIL is released while
    it runs; Ctrl-C stops it after the current tick and raises KeyboardInterrupt.
    """
    callback, close = _display(progress, "ticks")
    try:
        native = _feedsim.run(
            os.fspath(scenario),
            _overrides(set, seed),
            _whole("threads", 0 if threads is None else threads),
            max_memory=None if max_memory is None else _whole("max_memory", max_memory),
            progress=callback,
        )
    finally:
        close()
    return Run(native)


def compare(
    scenario: PathLike,
    replicates: int = 10,
    set: Optional[Mapping[str, Any]] = None,
    seed: Optional[int] = None,
    threads: Optional[int] = None,
    fixed_world: bool = False,
    progress: Progress = True,
    max_memory: Optional[int] = None,
) -> Comparison:
    """Runs `replicates` replicates of every variant (replicate r uses seed + r) and
    returns means with 95 % intervals and paired differences, as `feedsim compare` does.
    fixed_world=True keeps the world and notes fixed (`--fixed-world`). The other
    arguments are run()'s; progress counts replicates."""
    callback, close = _display(progress, "replicates")
    try:
        native = _feedsim.compare(
            os.fspath(scenario),
            _overrides(set, seed),
            _whole("replicates", replicates),
            _whole("threads", 0 if threads is None else threads),
            fixed_world=bool(fixed_world),
            max_memory=None if max_memory is None else _whole("max_memory", max_memory),
            progress=callback,
        )
    finally:
        close()
    return Comparison(native)


def validate(scenario: PathLike, set: Optional[Mapping[str, Any]] = None, seed: Optional[int] = None) -> dict:
    """Every variant's resolved parameters, {variant: {key: value}}: what
    `feedsim validate --resolved` prints (defaults filled in, extends, variants and
    overrides applied). Raises ScenarioError as run() does."""
    # Pairs, so the dict keeps the scenario's variant order.
    return dict(json.loads(_feedsim.validate(os.fspath(scenario), _overrides(set, seed))))


def memory_plan(scenario: PathLike, set: Optional[Mapping[str, Any]] = None, seed: Optional[int] = None) -> dict:
    """The run's memory plan, as `feedsim validate --json` prints it (bytes)."""
    return json.loads(_feedsim.memory_plan(os.fspath(scenario), _overrides(set, seed)))
