"""`cbec-bot policy add FILE`: the six seed documents give exactly today's clause ids (and texts),
a .docx and a text .pdf made here are split by their own numbering, and an added document is
stored beside the FAQ, cited, shown and validated."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from bot.cli.commands import main
from policy_faq.corpus import documents_by_id, load_corpus

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "policy_faq" / "documents"
SHARED = Path("/work/shared/policies")
CBEC_BOT = [sys.executable, "-c", "import sys; from bot.cli.commands import main; sys.argv[0] = 'cbec-bot'; sys.exit(main())"]
STATUS = {"in_force": "in-force", "draft": "draft", "historical": "historical"}
SEEDS = [meta for meta in yaml.safe_load((DOCS / "documents.yaml").read_text(encoding="utf-8")) if meta.get("kind") != "national"]


def add_args(meta: dict, path: Path) -> list[str]:
    args = ["policy", "add", str(path), "--id", meta["id"], "--title", meta["title"], "--issuer", meta["issuer"],
            "--date", meta["date"], "--jurisdiction", meta["jurisdiction"], "--status", STATUS[meta["status"]]]  # fmt: skip
    return args + (["--valid-until", meta["valid_until"]] if meta.get("valid_until") else [])


@pytest.mark.parametrize("meta", SEEDS, ids=[m["id"] for m in SEEDS])
def test_seed_document_gives_todays_clause_ids(meta: dict, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("CBEC_FAQ_DIR", str(tmp_path))
    source = SHARED / meta["file"] if (SHARED / meta["file"]).exists() else DOCS / meta["file"]
    result = CliRunner().invoke(main, [*add_args(meta, source), "--dry-run", "--json"])
    assert result.exit_code == 0, result.output
    parsed = json.loads(result.output)
    expected = documents_by_id()[meta["id"]].clauses
    assert [c["id"] for c in parsed["clauses"]] == [c.clause for c in expected]
    assert [c["text"] for c in parsed["clauses"]] == [c.text for c in expected]  # the texts too, to the character
    assert not (tmp_path / "documents").exists()  # a dry run stores nothing


def test_dry_run_prints_the_parse() -> None:
    meta = next(m for m in SEEDS if m["id"] == "sichuan-2024")
    result = CliRunner().invoke(main, [*add_args(meta, DOCS / meta["file"]), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "26 个条款" in result.output
    assert "sichuan-2024:general" in result.output and "sichuan-2024:closing.3" in result.output
    assert "（试运行，未保存）" in result.output


NUMBERED = [
    "大连市测试区跨境电商扶持办法",
    "为支持跨境电商发展，制定本办法。",
    "一、支持对象",
    "在测试区注册的跨境电商企业。",
    "二、支持内容",
    "（一）海外仓建设。对企业海外仓建设给予30%资金支持，每年最高20万元。",
    "（二）品牌推广。",
    "1.对海外推广给予50%资金支持，每年最高10万元。",
    "2.对独立站建设给予一次性5万元支持。",
    "三、附则",
    "本办法自2027年1月1日起施行，有效期至2029年12月31日。",
]


def make_docx(path: Path) -> Path:
    import docx

    document = docx.Document()
    for line in NUMBERED:
        document.add_paragraph(line)
    document.save(str(path))
    return path


def make_pdf(path: Path) -> Path:
    """A text PDF in a CJK font (reportlab's built-in STSong-Light CID font), one line each."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    page = canvas.Canvas(str(path))
    page.setFont("STSong-Light", 11)
    for i, line in enumerate(NUMBERED):
        page.drawString(40, 800 - 18 * i, line)
    page.save()
    return path


@pytest.mark.parametrize("maker", [make_docx, make_pdf], ids=["docx", "pdf"])
def test_docx_and_pdf_are_split_by_their_numbering(maker, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("CBEC_FAQ_DIR", str(tmp_path))
    path = maker(tmp_path / ("new." + ("docx" if maker is make_docx else "pdf")))
    args = ["policy", "add", str(path), "--id", "test-zone-2027", "--title", NUMBERED[0], "--issuer", "测试区管委会",
            "--date", "2027-01-01", "--jurisdiction", "大连高新区", "--status", "in-force", "--dry-run", "--json"]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    clauses = {c["id"]: c["text"] for c in json.loads(result.output)["clauses"]}
    # 二、(一) is item 2.1; (二) only heads 1. and 2., which are 2.2.1 and 2.2.2
    assert list(clauses) == ["preamble", "1", "2.1", "2.2.1", "2.2.2", "3"]
    assert clauses["2.1"] == NUMBERED[5] and clauses["2.2.1"] == NUMBERED[7]
    assert "有效期至2029年12月31日" in clauses["3"]


def test_unreadable_files_get_a_clear_message(tmp_path) -> None:
    scan = tmp_path / "scan.pdf"
    from reportlab.pdfgen import canvas

    canvas.Canvas(str(scan)).save()  # a page without any text, like a scan
    odd = tmp_path / "notes.rtf"
    odd.write_text("x")
    for path, words in ((scan, "no text layer"), (odd, "unsupported file type")):
        result = CliRunner().invoke(main, ["policy", "add", str(path), "--id", "x-1", "--title", "标题", "--issuer", "某",
                                           "--date", "2027", "--jurisdiction", "全国", "--status", "draft"])  # fmt: skip
        assert result.exit_code == 2 and words in result.output


def test_added_document_is_stored_beside_the_faq_and_used(tmp_path) -> None:
    faq = tmp_path / "faq"
    shutil.copytree(resources.files("policy_faq").joinpath("faq"), faq, ignore=shutil.ignore_patterns("documents"))
    env = os.environ | {"PYTHONPATH": str(ROOT), "CBEC_FAQ_DIR": str(faq), "CBEC_PORT": "9"}  # no server on port 9
    path = make_docx(tmp_path / "new.docx")
    args = ["policy", "add", str(path), "--id", "test-zone-2027", "--title", NUMBERED[0], "--issuer", "测试区管委会",
            "--date", "2027-01-01", "--jurisdiction", "大连高新区", "--status", "in-force", "--valid-until", "2029-12-31"]  # fmt: skip
    added = subprocess.run([*CBEC_BOT, *args], capture_output=True, text=True, env=env, timeout=120)
    assert added.returncode == 0, added.stdout + added.stderr
    stored = faq / "documents" / "test-zone-2027.yaml"
    assert stored.exists() and "已保存" in added.stdout and "没有在" in added.stdout  # no server: said so
    data = yaml.safe_load(stored.read_text(encoding="utf-8"))  # editable like the FAQ
    assert data["status"] == "in_force" and data["valid_until"] == "2029-12-31" and len(data["clauses"]) == 6
    shown = subprocess.run([*CBEC_BOT, "policy", "show", "test-zone-2027:2.1"], capture_output=True, text=True, env=env, timeout=60)
    assert shown.returncode == 0 and "每年最高20万元" in shown.stdout and "有效期至 2029-12-31" in shown.stdout
    checked = subprocess.run([*CBEC_BOT, "faq", "validate"], capture_output=True, text=True, env=env, timeout=120)
    assert checked.returncode == 0, checked.stderr
    assert "6 clauses of the added document test-zone-2027 are cited by no intent yet" in checked.stderr
    # the packaged corpus in this process is untouched
    assert "test-zone-2027" not in {doc.id for doc in load_corpus()}
