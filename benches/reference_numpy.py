"""The reference kernel of `feedsim bench`, vectorised in numpy, to set beside it.

Install (one line):  python3 -m pip install "numpy>=2"
Run:                 python3 benches/reference_numpy.py [--users 1000000] [--items 100000] [--json]

The same feed as src/app/bench/reference.rs: per decision four items drawn uniformly
from the catalogue, four score reads, a multinomial logit draw among them against an
outside option, one counter increment for the chosen item; five decisions per user,
1 M users, 100 k items, one thread (numpy's elementwise operations are single-threaded).
It prints impressions per second (with --json, one JSON object: numpy_version,
impressions, reads, seconds, impressions_per_second); `feedsim bench` writes the Rust
kernel's figure as `reference_impressions_per_second` in bench.json, and with `--numpy`
runs this script after the model and writes its figure as `numpy_impressions_per_second`.
"""

import argparse
import json
import time

import numpy as np

SLATE = 4
DECISIONS = 5
SCORE_WEIGHT = 3.0
OUTSIDE = 2.0


def run(users: int, items: int, seed: int, chunk: int = 250_000) -> tuple[int, int, float]:
    rng = np.random.default_rng(seed)
    scores = rng.random(items, dtype=np.float32)
    counts = np.zeros(items, dtype=np.uint32)
    outside = np.exp(OUTSIDE)
    reads = 0
    start = time.perf_counter()
    for first in range(0, users, chunk):
        n = min(chunk, users - first) * DECISIONS
        shown = rng.integers(0, items, size=(n, SLATE))
        weight = np.exp(SCORE_WEIGHT * scores[shown].astype(np.float64))
        cumulative = np.cumsum(weight, axis=1)
        x = rng.random(n) * (cumulative[:, -1] + outside)
        chosen = (x[:, None] >= cumulative).sum(axis=1)
        read = chosen < SLATE
        np.add.at(counts, shown[read, chosen[read]], 1)
        reads += int(read.sum())
    seconds = time.perf_counter() - start
    return users * DECISIONS * SLATE, reads, seconds


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--users", type=int, default=1_000_000)
    p.add_argument("--items", type=int, default=100_000)
    p.add_argument("--seed", type=int, default=20240719)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    a = p.parse_args()
    impressions, reads, seconds = run(a.users, a.items, a.seed)
    if a.json:
        print(
            json.dumps(
                {
                    "numpy_version": np.__version__,
                    "impressions": impressions,
                    "reads": reads,
                    "seconds": seconds,
                    "impressions_per_second": impressions / seconds,
                }
            )
        )
        return
    print(
        f"numpy {np.__version__}: {impressions} impressions, {reads} reads in {seconds:.3f} s: "
        f"{impressions / seconds / 1e6:.2f} M impressions/s"
    )


if __name__ == "__main__":
    main()
