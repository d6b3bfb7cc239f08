"""Grouping quality and speed of the triage queue (issue 16), on the labelled sample.

    .venv/bin/python benchmarks/triage_grouping.py [--threshold 0.2 0.25 …] [--repeat 20]

Sample: tests/data/triage_sample.yaml, enquiries of the kinds that end up unanswered, asked back
or disliked, each labelled with the need it expresses. Printed per threshold: the number of
clusters, purity (share of enquiries whose cluster's majority need is their own), how many
clusters a person reads, largest first, to cover 80% of the enquiries, singletons, and the time
to group the sample and a pool 10 times its size (the queue groups up to 3,000 enquiries).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from intents.grouping import THRESHOLD, clusters_to_cover, group, purity  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threshold", type=float, nargs="*", default=[THRESHOLD])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    data = yaml.safe_load((ROOT / "tests" / "data" / "triage_sample.yaml").read_text(encoding="utf-8"))
    pairs = [(str(text), need) for need, texts in data["groups"].items() for text in texts]
    texts, truth = [t for t, _ in pairs], [n for _, n in pairs]
    print(f"sample: {len(texts)} enquiries, {len(set(truth))} needs")
    for threshold in args.threshold:
        grouping = group(texts, threshold=threshold)
        print(
            f"threshold {threshold:.2f}: {len(grouping.sizes)} clusters, purity {purity(grouping.labels, truth):.3f}, "
            f"80% of enquiries in the {clusters_to_cover(grouping.sizes, 0.8)} largest, "
            f"{sum(size == 1 for size in grouping.sizes)} singletons"
        )
    for scale in (1, 10):
        pool = [f"{text}{n if n else ''}" for n in range(scale) for text in texts]  # distinct texts
        started = time.perf_counter()
        for _ in range(args.repeat):
            group(pool)
        print(f"grouping {len(pool)} distinct texts: {(time.perf_counter() - started) / args.repeat * 1000:.0f} ms")


if __name__ == "__main__":
    main()
