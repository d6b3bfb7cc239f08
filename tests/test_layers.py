"""The dependency rule of bot/ (docs/DESIGN.md): channels -> conversation -> records and storage.
Only the command line imports the channels; the pure packages (intents, calculators, policy_faq)
never import bot. Checked on the import statements of every module, lazy imports included."""

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
    wrong = sorted(name for name in imported if _layer(name) in forbidden)
    assert wrong == [], f"{module} ({_layer(module)}) imports {wrong}"


def test_the_message_types_are_a_leaf() -> None:
    imported = _imports(ROOT / "bot" / "conversation" / "messages.py")
    assert not {name for name in imported if name.startswith(("bot", *PURE))}
