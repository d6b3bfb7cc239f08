"""Latency of one match (p50, p99) and peak memory, with the real FAQ and a synthetic one 20x larger.

    .venv/bin/python benchmarks/match_latency.py [--scale 20] [--repeat 3]

Enquiries: the dev set (tests/data/dev_set.yaml) when it exists, else the FAQ's own questions
lightly rephrased. "One match" is ``Responder.respond(text)``: normalisation, ranking, the
decision and the reply text, as ``cbec-bot ask`` does it. Each FAQ size runs in a fresh
subprocess so that its peak resident memory (ru_maxrss) is its own; the synthetic FAQ copies
every real intent ``scale - 1`` times with questions rewritten (product words, prefixes, other
intents' terms), so the vocabulary and the postings lists grow as a real larger FAQ would.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PRODUCTS = ["服装", "家具", "电子产品", "玩具", "化妆品", "食品", "机械配件", "汽配", "户外用品", "宠物用品", "母婴用品", "灯具", "五金", "纺织品", "箱包", "鞋帽", "饰品", "体育器材", "医疗器械", "3c配件"]
PREFIXES = ["请问", "咨询一下", "我们是做{p}的,", "做{p}出口的企业想问", "{p}卖家:", "", "你好,", "想了解下"]
SUFFIXES = ["", "?", "吗", ",谢谢", "有具体规定吗", "怎么算", "({p}类)"]


def synthetic_faq(faq, scale: int, seed: int = 7):
    """The real intents plus ``scale - 1`` rewritten copies of each."""
    from policy_faq.faq import Faq, LoadedIntent

    rng = random.Random(seed)
    items = list(faq.intents)
    words = [q for item in faq.intents for q in item.intent.questions]
    for copy in range(1, scale):
        for item in faq.intents:
            intent = item.intent
            product = PRODUCTS[(copy + rng.randrange(len(PRODUCTS))) % len(PRODUCTS)]
            questions = []
            for question in intent.questions:
                borrowed = rng.choice(words)[: rng.randint(2, 4)]
                prefix = rng.choice(PREFIXES).format(p=product)
                suffix = rng.choice(SUFFIXES).format(p=product)
                questions.append(f"{prefix}{product}{question}{borrowed}{suffix}")
            clone = intent.model_copy(update={"id": f"{intent.id}-x{copy}", "title": f"{intent.title[:24]}·{product}"[:30], "questions": tuple(questions), "related": ()})
            items.append(LoadedIntent(clone, item.file, item.line))
    return Faq(tuple(items), f"{faq.version}x{scale}")


def enquiries(faq, dev_set: str | None = None) -> list[str]:
    dev = Path(dev_set) if dev_set else ROOT / "tests" / "data" / "dev_set.yaml"
    if dev.exists():
        from intents.evaluate import load_dev_set

        return [item.q for item in load_dev_set(dev)]
    rng = random.Random(3)
    return [q[1:] + rng.choice(["", "吗", "呢"]) for item in faq.intents for q in item.intent.questions]


def measure(scale: int, repeat: int, faq_dir: str | None = None, dev_set: str | None = None) -> dict:
    import tracemalloc

    from intents.respond import Responder
    from policy_faq.faq import load_faq

    faq = load_faq(Path(faq_dir)) if faq_dir else load_faq()
    texts = enquiries(faq, dev_set)
    if scale > 1:
        faq = synthetic_faq(faq, scale)
    started = time.perf_counter()
    responder = Responder(faq)
    build_ms = (time.perf_counter() - started) * 1000
    from intents import normalize

    responder.respond(texts[0])  # warm-up: the first call compiles and loads the lazy parts once
    timings = []
    for _ in range(repeat):
        normalize.canonical.cache_clear()  # time the normalisation too, as for a new enquiry
        normalize.tokens.cache_clear()
        for text in texts:
            responder._cache.clear()  # no reply from the responder's cache of frequent enquiries
            started = time.perf_counter()
            responder.respond(text)
            timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # the index's own allocations: build it once more under tracemalloc, after the timings and
    # the RSS reading (tracemalloc slows and bloats the process, so they must not include it)
    tracemalloc.start()
    Responder(faq)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "scale": scale,
        "intents": len(faq.intents),
        "questions": sum(len(i.intent.questions) for i in faq.intents),
        "enquiries": len(timings),
        "build_ms": round(build_ms, 1),
        "p50_ms": round(statistics.median(timings), 3),
        "p99_ms": round(timings[min(len(timings) - 1, int(len(timings) * 0.99))], 3),
        "max_ms": round(timings[-1], 3),
        "per_second": round(1000 / statistics.mean(timings)),
        "index_peak_mb": round(traced_peak / 2**20, 1),
        "peak_rss_mb": round(peak_rss, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # child process: measure one size
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--faq-dir", help="FAQ directory (default: policy_faq/faq)")
    parser.add_argument("--dev-set", help="enquiries (default: tests/data/dev_set.yaml)")
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one, args.repeat, args.faq_dir, args.dev_set)))
        return
    rows = []
    for scale in (1, args.scale):
        command = [sys.executable, __file__, "--one", str(scale), "--repeat", str(args.repeat)]
        command += ["--faq-dir", args.faq_dir] if args.faq_dir else []
        command += ["--dev-set", args.dev_set] if args.dev_set else []
        out = subprocess.run(command, capture_output=True, text=True, check=True)
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    if args.json:
        print(json.dumps(rows, indent=1))
        return
    header = f"{'FAQ':<10} {'intents':>8} {'questions':>10} {'enquiries':>10} {'build ms':>9} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'per s':>7} {'index MB':>9} {'peak RSS MB':>12}"
    print(header)
    print("-" * len(header))
    for r in rows:
        label = "real" if r["scale"] == 1 else f"{r['scale']}x synth"
        print(
            f"{label:<10} {r['intents']:>8} {r['questions']:>10} {r['enquiries']:>10} {r['build_ms']:>9} {r['p50_ms']:>8} "
            f"{r['p99_ms']:>8} {r['max_ms']:>8} {r['per_second']:>7} {r['index_peak_mb']:>9} {r['peak_rss_mb']:>12}"
        )
    print("\ntargets: p99 <= 2 ms (real), <= 20 ms (20x); peak memory <= 200 MB")


if __name__ == "__main__":
    main()
