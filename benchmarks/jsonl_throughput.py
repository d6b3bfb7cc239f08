"""Throughput of ``cbec-bot ask --jsonl``: distinct enquiries per second, start-up included and not.

    .venv/bin/python benchmarks/jsonl_throughput.py [--lines 5000]

Input: the dev set's enquiries, repeated with a numbered suffix until there are ``--lines``
distinct lines (so the responder's reply cache cannot help). Each run is a fresh process, as a
caller would start it; start-up is measured with empty input and subtracted for the steady rate.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def run(path: Path | None, workers: int) -> float:
    command = [sys.executable, "-c", "from bot.cli.commands import main; main()", "ask", "--jsonl", "--workers", str(workers)]
    started = time.perf_counter()
    with open(path or os.devnull, "rb") as stdin:
        subprocess.run(command, stdin=stdin, stdout=subprocess.DEVNULL, check=True, cwd=ROOT)
    return time.perf_counter() - started


def session_lines(count: int) -> list[str]:
    """The dialogues of tests/data/dialogues.yaml, over and over, each copy its own session, the
    sessions interleaved as a busy service would see them (every line distinct)."""
    import json

    from intents.dialogues import load_dialogues

    dialogues, lines, copy = load_dialogues(), [], 0
    while len(lines) < count:
        copy += 1
        turns = [(f"{d.id}-{copy}", f"{t.q} ({copy})") for d in dialogues for t in d.turns]
        # one turn of each dialogue in turn: dialogue A's 1st, B's 1st, …, A's 2nd …
        by_session: dict[str, list[str]] = {}
        for session, text in turns:
            by_session.setdefault(session, []).append(text)
        depth = max(len(texts) for texts in by_session.values())
        for position in range(depth):
            for session, texts in by_session.items():
                if position < len(texts):
                    lines.append(json.dumps({"session": session, "text": texts[position]}, ensure_ascii=False))
    return lines[:count]


def main() -> None:
    from intents.evaluate import load_dev_set

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=5000)
    parser.add_argument("--sessions", action="store_true", help="lines of conversations: the dialogues' turns as {session, text} objects")
    args = parser.parse_args()
    if args.sessions:
        lines = session_lines(args.lines)
    else:
        base = [item.q.replace("\n", " ") for item in load_dev_set()]
        lines = [q if i < len(base) else f"{q} ({i})" for i, q in enumerate(base * (args.lines // len(base) + 1))][: args.lines]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "enquiries.txt"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"{'workers':>8} {'lines':>7} {'start-up s':>11} {'total s':>8} {'lines/s':>8} {'steady lines/s':>15}")
        for workers in sorted({1, min(4, os.cpu_count() or 1)}):
            startup = min(run(None, workers) for _ in range(2))
            total = min(run(path, workers) for _ in range(2))
            print(f"{workers:>8} {len(lines):>7} {startup:>11.2f} {total:>8.2f} {len(lines) / total:>8.0f} {len(lines) / (total - startup):>15.0f}")
    print("\ntarget: >= 1,000 distinct enquiries per second (issue 4)")


if __name__ == "__main__":
    main()
