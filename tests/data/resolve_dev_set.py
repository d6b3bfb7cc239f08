"""Move enquiries from dev_set_pending.yaml into dev_set.yaml once the FAQ has their intents.

The pending enquiries were written before their FAQ files existed, so they carry labels instead
of intent ids: ``doc:clause`` (the clause the enquiry asks about; it resolves to the intents of
that document whose first ``sources`` entry is the clause) or
``cross:<topic>`` / ``national:<topic>`` (resolved only through ``aliases`` at the top of the
pending file, written by a person who has read the intent titles). An enquiry moves once every
label resolves. Run: ``.venv/bin/python tests/data/resolve_dev_set.py``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from policy_faq.faq import load_faq  # noqa: E402

HERE = Path(__file__).resolve().parent
PENDING, DEV_SET = HERE / "dev_set_pending.yaml", HERE / "dev_set.yaml"
PREFIX = {"dalian-gxq-2026": "gxq-", "mofcom-2024": "mof-", "yingkou-2020": "yk-", "panjin-2020": "pj-"}


def resolve(label: str, aliases: dict, sources: dict[str, tuple[str, ...]]) -> list[str]:
    if label in aliases:
        found = aliases[label]
        return found if isinstance(found, list) else [found]
    doc = label.split(":", 1)[0]
    if doc not in PREFIX:
        return []
    # only intents whose first (primary) source is the clause: an intent that also cites the
    # clause in passing (scope, annex) must not capture enquiries about it
    return [i for i, cited in sources.items() if i.startswith(PREFIX[doc]) and cited[:1] == (label,)]


def emit(item: dict) -> str:
    lines = [f"- q: {json.dumps(item['q'], ensure_ascii=False)}"]
    for key in ("intents", "pending"):
        if item.get(key):
            lines.append(f"  {key}: [{', '.join(item[key])}]")
    lines.append(f"  style: {item['style']}")
    if item.get("region"):
        lines.append(f"  region: {item['region']}")
    return "\n".join(lines)


def main() -> None:
    data = yaml.safe_load(PENDING.read_text(encoding="utf-8"))
    aliases, items = data.get("aliases") or {}, data["items"]
    sources = {loaded.intent.id: loaded.intent.sources for loaded in load_faq(strict=False).intents}
    moved, kept = [], []
    for item in items:
        ids = list(item.get("intents") or [])
        unresolved = []
        for label in item.get("pending") or []:
            found = [i for i in resolve(label, aliases, sources) if i in sources]
            ids.extend(i for i in found if i not in ids)
            if not found:
                unresolved.append(label)
        if unresolved:
            kept.append(item)
            print(f"waiting: {item['q']}  {unresolved}")
        else:
            moved.append({**item, "intents": ids, "pending": None})
    if moved:
        with DEV_SET.open("a", encoding="utf-8") as out:
            out.write("\n".join(emit(item) for item in moved) + "\n")
    header = PENDING.read_text(encoding="utf-8").split("\naliases:", 1)[0]
    body = "\n".join(emit(item) for item in kept)
    PENDING.write_text(
        f"{header}\naliases: {json.dumps(aliases, ensure_ascii=False)}\nitems:\n{body}\n", encoding="utf-8"
    )
    print(f"moved {len(moved)}, still pending {len(kept)}")


if __name__ == "__main__":
    main()
