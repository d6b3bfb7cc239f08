"""The dependency rule of bot/ (docs/DESIGN.md): channels -> conversation -> records and storage.
Only the command line imports the channels; the pure packages (intents, calculators, policy_faq)
never import bot. Checked on the import statements of every module, lazy imports included.
The conversation's two leaves (the message types and the vocabulary) import nothing of the
project, so every layer may read the vocabulary; its labels are defined nowhere else."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PURE = ("intents", "calculators", "policy_faq")
# layer -> the layers it must not import
FORBIDDEN = {
    "conversation": {"channels", "cli"},
    "records": {"conversation", "channels", "cli", "ops"},
    "storage": {"conversation", "channels", "cli", "records", "ops"},
    "ops": {"channels", "cli"},
}
# leaves of the conversation any layer may import (the staff labels are the report's too)
LEAVES = ("bot.conversation.vocabulary",)


def _modules() -> list[tuple[str, Path]]:
    found = []
    for package in ("bot", *PURE):
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            found.append((".".join(parts[:-1] if parts[-1] == "__init__" else parts), path))
    return found


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if parts[0] == "bot" and len(parts) > 1 else parts[0]


def test_bot_is_laid_out_by_concern() -> None:
    top = sorted(p.name for p in (ROOT / "bot").iterdir() if p.name != "__pycache__")
    assert top == ["__init__.py", "channels", "cli", "conversation", "ops", "records", "settings.py", "storage"]


@pytest.mark.parametrize(("module", "path"), _modules(), ids=[m for m, _ in _modules()])
def test_imports_follow_the_dependency_rule(module: str, path: Path) -> None:
    imported = {name for name in _imports(path) if name == "bot" or name.startswith("bot.")}
    if module.split(".")[0] in PURE:
        assert imported == set(), f"{module} imports {sorted(imported)}"
        return
    forbidden = FORBIDDEN.get(_layer(module), set())
    wrong = sorted(name for name in imported if _layer(name) in forbidden and not name.startswith(LEAVES))
    assert wrong == [], f"{module} ({_layer(module)}) imports {wrong}"


@pytest.mark.parametrize("leaf", ["messages", "vocabulary"])
def test_the_message_types_and_the_vocabulary_are_leaves(leaf: str) -> None:
    imported = _imports(ROOT / "bot" / "conversation" / f"{leaf}.py")
    assert not {name for name in imported if name.startswith(("bot", *PURE))}


# Keys that make a dict literal of short strings a table of labels: region codes, channels, reply kinds.
LABELLED = {
    "regions": {"dalian-gxq", "liaoning", "yingkou", "panjin", "sichuan"},
    "channels": {"web", "telegram", "wechat", "cli"},
    "kinds": {"answer", "clarify", "excerpt", "calculation", "checklist", "handoff", "smalltalk", "fallback"},
}


def _label_tables(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Dict) or len(node.keys) < 3:
            continue
        keys = {k.value for k in node.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)}
        # a label is a word or two (a contact office or a sentence per region is not a label)
        labels = all(isinstance(v, ast.Constant) and isinstance(v.value, str) and len(v.value) <= 8 for v in node.values)
        for what, codes in LABELLED.items():
            if labels and len(keys & codes) >= 3:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} ({what})")
    return found


def test_labels_are_defined_only_in_the_vocabulary() -> None:
    vocabulary = ROOT / "bot" / "conversation" / "vocabulary.py"
    tables = [t for path in sorted((ROOT / "bot").rglob("*.py")) if path != vocabulary for t in _label_tables(path)]
    assert tables == []
    assert _label_tables(vocabulary)  # the check sees the tables where they are


def test_only_the_vocabulary_parses_a_command() -> None:
    """'/stats@cbec_bot 30' is read in one place (vocabulary.parse_command): a module that splits
    at the bot's name parses commands of its own."""
    vocabulary = ROOT / "bot" / "conversation" / "vocabulary.py"
    parsers = []
    for path in sorted((ROOT / "bot").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("split", "partition"):
                if any(isinstance(a, ast.Constant) and a.value == "@" for a in node.args):
                    parsers.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert parsers, "the check no longer sees the vocabulary's parser"
    assert all(p.startswith(f"{vocabulary.relative_to(ROOT)}:") for p in parsers), parsers
