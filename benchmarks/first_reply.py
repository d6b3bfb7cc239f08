"""The first enquiry of each kind after a start: is it answered as fast as the rest?

    .venv/bin/python benchmarks/first_reply.py

Each kind (a plain answer, a subsidy and a tax calculation, a checklist, traditional script,
English) is timed in a fresh process, right after ``get_responder()`` built the FAQ index as
every channel does at start-up (``Responder.warm`` answers one enquiry of each kind then, so their
modules and tables are loaded before the first user's). Enquiries differ from the warm-up ones, and
the reply cache is cold. Prints the build time and each first reply's time in ms.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIRSTS = {
    "answer": "海外仓补贴怎么申请",
    "subsidy calculation": "高新区推广投流去年花了60万能补多少",
    "tax calculation": "小型微利企业 利润200万交多少税",
    "checklist": "独立站补贴要什么材料",
    "traditional": "高新區推廣補貼怎麼算",
    "english": "Is there a subsidy for exhibitions in Dalian?",
}
CHILD = """
import json, sys, time
sys.path.insert(0, {root!r})
started = time.perf_counter()
from intents.respond import get_responder
responder = get_responder()
built = (time.perf_counter() - started) * 1000
started = time.perf_counter()
reply = responder.respond({text!r})
print(json.dumps({{"built": built, "first": (time.perf_counter() - started) * 1000, "kind": reply.kind}}))
"""


def main() -> None:
    print(f"{'first enquiry':<22} {'reply kind':<12} {'ms':>7}   (index built in)")
    for label, text in FIRSTS.items():
        out = subprocess.run([sys.executable, "-c", CHILD.format(root=str(ROOT), text=text)], capture_output=True, text=True, check=True)
        figures = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"{label:<22} {figures['kind']:<12} {figures['first']:>7.2f}   ({figures['built']:.0f} ms)")


if __name__ == "__main__":
    main()
