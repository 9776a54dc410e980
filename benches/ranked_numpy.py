"""The core of feedsim's two-column ranked decision, vectorised in numpy, to set beside
`feedsim bench`'s two-column figure (`by_variant` in bench.json).

Install (one line):  python3 -m pip install "numpy>=2"
Run:                 python3 benches/ranked_numpy.py [--users 1000000] [--decisions 10]

`benches/reference_numpy.py` times the simplest feed there is (four uniform items, one
logit draw). This one does what a two-column decision of feedsim does before the user
reads anything, in numpy's best form (one decision of a chunk of users at a time, each
step an array operation over the chunk):

- C = 10 candidates: a topic from the user's mixture of the day, (1 - exploration)
  est^2 / sum + exploration / topics (inverse CDF), then a note of that topic's pool by
  its alias table (12 topics, 1 500 notes a topic, log-normal weights);
- each candidate scored as the note's log weight + 2 ln(estimated interest in its topic);
  the top K = 5 shown, best first;
- a multinomial logit among the 5 covers (appeal, true interest, a penalty per row of two)
  against an outside option;
- the recommender learns from every slot in order: est += 0.1 (1 - est) on the chosen
  cover, est -= 0.03 est on the others;
- impressions and reads counted per note.

Left out, so it does less than feedsim: duplicate candidates are not redrawn, and there
are no crowd rings, pacing, search, follow feed, shares, engagement acts, journeys or
fatigue. It prints impressions per second (one thread: numpy's elementwise operations
are single-threaded).
"""

import argparse
import time

import numpy as np

TOPICS = 12
NOTES_PER_TOPIC = 1_500
CANDIDATES = 10
SHOWN = 5
EXPLORATION = 0.1
SHARPNESS = 2.0
APPEAL_WEIGHT = 2.0
INTEREST_WEIGHT = 3.0
ROW_PENALTY = 0.3
OUTSIDE = 3.5
LEARNING_RATE = 0.1
SKIP_RATE = 0.03


def alias_tables(weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Vose's alias table of each row of `weights` (keep chance, alias index)."""
    rows, n = weights.shape
    keep = np.ones((rows, n))
    alias = np.tile(np.arange(n), (rows, 1))
    for r in range(rows):
        scaled = weights[r] * n / weights[r].sum()
        small = [i for i in range(n) if scaled[i] < 1.0]
        large = [i for i in range(n) if scaled[i] >= 1.0]
        while small and large:
            s, l = small.pop(), large[-1]
            keep[r, s], alias[r, s] = scaled[s], l
            scaled[l] += scaled[s] - 1.0
            if scaled[l] < 1.0:
                large.pop()
                small.append(l)
    return keep, alias


def run(users: int, decisions: int, seed: int, chunk: int = 100_000) -> tuple[int, int, float]:
    rng = np.random.default_rng(seed)
    weights = rng.lognormal(0.0, 1.5, size=(TOPICS, NOTES_PER_TOPIC))
    keep, alias = alias_tables(weights)
    log_weight = np.log(weights).ravel().astype(np.float32)
    appeal = rng.random(TOPICS * NOTES_PER_TOPIC, dtype=np.float32)
    impressions = np.zeros(TOPICS * NOTES_PER_TOPIC, dtype=np.uint32)
    reads = np.zeros(TOPICS * NOTES_PER_TOPIC, dtype=np.uint32)
    rows = (np.arange(SHOWN) // 2).astype(np.float64)
    start = time.perf_counter()
    for first in range(0, users, chunk):
        n = min(chunk, users - first)
        user = np.arange(n)[:, None]
        truth = rng.random((n, TOPICS), dtype=np.float32)
        est = np.full((n, TOPICS), 0.5, dtype=np.float32)
        # The day's topic mixture, from the estimates at the day's start (as feedsim's).
        w = est.astype(np.float64) ** SHARPNESS
        mix = (1.0 - EXPLORATION) * w / w.sum(axis=1, keepdims=True) + EXPLORATION / TOPICS
        cdf = np.cumsum(mix, axis=1)
        for _ in range(decisions):
            # Retrieval: C topics from the mixture, C notes from their pools.
            u = rng.random((n, CANDIDATES)) * cdf[:, -1:]
            topic = (u[:, :, None] >= cdf[:, None, :]).sum(axis=2).clip(max=TOPICS - 1)
            slot = (rng.random((n, CANDIDATES)) * NOTES_PER_TOPIC).astype(np.int64)
            kept = rng.random((n, CANDIDATES)) < keep[topic, slot]
            note = topic * NOTES_PER_TOPIC + np.where(kept, slot, alias[topic, slot])
            # Ranking: score, top K, best first.
            score = log_weight[note] + SHARPNESS * np.log(np.maximum(est[user, topic], 1e-6))
            top = np.argpartition(-score, SHOWN - 1, axis=1)[:, :SHOWN]
            order = np.argsort(-np.take_along_axis(score, top, axis=1), axis=1)
            best = np.take_along_axis(top, order, axis=1)
            shown = np.take_along_axis(note, best, axis=1)
            shown_topic = np.take_along_axis(topic, best, axis=1)
            # The choice among the covers against the outside option.
            utility = (
                APPEAL_WEIGHT * appeal[shown]
                + INTEREST_WEIGHT * truth[user, shown_topic]
                - ROW_PENALTY * rows
            )
            cumulative = np.cumsum(np.exp(utility), axis=1)
            x = rng.random(n) * (cumulative[:, -1] + np.exp(OUTSIDE))
            chosen = (x[:, None] >= cumulative).sum(axis=1)
            # Learning from every slot, in slate order.
            for i in range(SHOWN):
                t = shown_topic[:, i]
                e = est[np.arange(n), t]
                est[np.arange(n), t] = np.where(chosen == i, e + LEARNING_RATE * (1 - e), e - SKIP_RATE * e)
            np.add.at(impressions, shown.ravel(), 1)
            read = chosen < SHOWN
            np.add.at(reads, shown[read, chosen[read]], 1)
    seconds = time.perf_counter() - start
    return users * decisions * SHOWN, int(reads.sum()), seconds


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--users", type=int, default=1_000_000)
    p.add_argument("--decisions", type=int, default=10, help="decisions per user")
    p.add_argument("--seed", type=int, default=20240719)
    a = p.parse_args()
    impressions, reads, seconds = run(a.users, a.decisions, a.seed)
    print(
        f"numpy {np.__version__}, ranked two-column decisions: {impressions} impressions, {reads} reads "
        f"in {seconds:.3f} s: {impressions / seconds / 1e6:.2f} M impressions/s "
        f"({seconds * 1e9 / impressions:.1f} ns per impression)"
    )


if __name__ == "__main__":
    main()
