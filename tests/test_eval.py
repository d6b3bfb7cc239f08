"""``faq eval``: the figures' definitions, the baselines and the command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from bot.cli.commands import main
from intents.evaluate import BM25Baseline, FuzzBaseline, Item, Outcome, evaluate, load_dev_set, render, score
from policy_faq.faq import load_faq

FAQ = """
intents:
  - id: warehouse
    title: 海外仓补贴
    topic: 补贴申报
    jurisdiction: dalian-gxq
    questions: [海外仓补贴多少, 海外仓有什么补贴, 海外仓运营费用能补吗, 海外仓补贴上限, 租海外仓给补贴吗, 海外仓建设支持, 海外仓补贴比例, 海外仓费用报销]
    answer: 海外仓费用给予50%资金支持,每年最高50万元(征求意见稿)。
    sources: [dalian-gxq-2026:5]
  - id: site
    title: 独立站补贴
    topic: 补贴申报
    jurisdiction: dalian-gxq
    questions: [独立站补贴多少, 建独立站有补贴吗, 独立站服务器费用能补吗, 独立站补贴上限, 独立站插件费用支持, 做独立站给钱吗, 独立站补贴比例, 独立站一次性补贴]
    answer: 独立站插件、软件、服务器费用一次性50%支持,最高5万元(征求意见稿)。
    sources: [dalian-gxq-2026:9]
"""
DEV = [
    {"q": "海外倉補貼多少", "intents": ["warehouse"], "style": "traditional"},
    {"q": "自建站能补多少", "intents": ["site"], "style": "synonym"},
    {"q": "how much for an overseas warehouse", "intents": ["warehouse"], "style": "english"},
    {"q": "今天天气怎么样", "oos": "chitchat", "style": "plain"},
    {"q": "境外旅客离境退税", "oos": "trap", "style": "plain"},
]


@pytest.fixture()
def faq(tmp_path: Path):
    (tmp_path / "faq").mkdir()
    (tmp_path / "faq" / "a.yaml").write_text(FAQ, encoding="utf-8")
    return load_faq(tmp_path / "faq")


@pytest.fixture()
def dev_file(tmp_path: Path) -> Path:
    path = tmp_path / "dev.yaml"
    path.write_text(yaml.safe_dump(DEV, allow_unicode=True), encoding="utf-8")
    return path


def test_load_dev_set(dev_file: Path) -> None:
    items = load_dev_set(dev_file)
    assert len(items) == 5
    assert items[0] == Item("海外倉補貼多少", ("warehouse",), None, "traditional", None)
    assert items[3].oos == "chitchat" and items[3].intents == ()


def test_score_definitions() -> None:
    items = [
        Item("a", ("x",), None, "s", None),
        Item("b", ("y",), None, "s", None),
        Item("c", ("z",), None, "s", None),
        Item("d", ("x", "w"), None, "s", None),
        Item("e", (), "chat", "s", None),
        Item("f", (), "chat", "s", None),
    ]
    outcomes = [
        Outcome(("x", "y"), "answer"),  # right
        Outcome(("x", "y", "z"), "clarify"),  # top-3 only
        Outcome(("z",), "fallback"),  # rejected: counts as a miss even though z was first
        Outcome(("w",), "answer"),  # any listed intent is right
        Outcome(("x",), "fallback"),  # rejected
        Outcome(("x",), "excerpt"),  # an excerpt is not a rejection
    ]
    figures = score(items, outcomes)
    assert figures["top1"] == 0.5
    assert figures["top3"] == 0.75
    assert figures["oos_rejection"] == 0.5
    assert figures["answered_correct"] == 0.5
    assert figures["clarify_rate"] == 0.25
    assert {"gold": "y", "got": "x", "count": 1} in figures["confusions"]


def test_an_answer_is_scored_by_the_intent_the_user_reads_not_the_first_ranked() -> None:
    # 退税 alone ranks the 9810 rule first, and is answered with the summary across places
    items = [Item("a", ("summary",), None, "s", None), Item("b", ("rule",), None, "s", None)]
    outcomes = [Outcome(("rule", "summary"), "answer", 0.6, "summary"), Outcome(("rule", "summary"), "answer", 0.6, "summary")]
    figures = score(items, outcomes)
    assert figures["answered_correct"] == 0.5 and figures["answered_wrong"] == 0.5
    assert figures["ranking_top1"] == 0.5  # the ranking itself is still scored by its first


def test_baselines_rank(faq) -> None:
    assert FuzzBaseline(faq).rank("海外仓补贴多少")[0][0] == "warehouse"
    assert BM25Baseline(faq).rank("独立站补贴多少")[0][0] == "site"


def test_evaluate_reports_matcher_and_baselines(faq, dev_file: Path) -> None:
    report = evaluate(faq, load_dev_set(dev_file))
    m = report["matcher"]
    assert m["in_scope"] == 3 and m["out_of_scope"] == 2
    assert m["top1"] == 1.0
    assert m["oos_rejection"] == 1.0
    assert set(report["baselines"]) == {"rapidfuzz WRatio", "BM25"}
    for figures in report["baselines"].values():
        assert 0 <= figures["top1"] <= 1 and 0 <= figures["threshold"] <= 1
    text = render(report, show_misses=True)
    assert "hybrid matcher" in text and "rapidfuzz WRatio" in text and "BM25" in text


def test_faq_eval_command(dev_file: Path, tmp_path: Path) -> None:
    # the real FAQ with a dev set naming one of its intents
    intent = load_faq().intents[0].intent
    path = tmp_path / "real-dev.yaml"
    path.write_text(yaml.safe_dump([{"q": intent.questions[0], "intents": [intent.id], "style": "plain"}, {"q": "今天天气", "oos": "chat"}], allow_unicode=True), encoding="utf-8")
    result = CliRunner().invoke(main, ["faq", "eval", "--dev-set", str(path), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["matcher"]["top1"] == 1.0
    assert "baselines" in data
    result = CliRunner().invoke(main, ["faq", "eval", "--dev-set", str(path)])
    assert result.exit_code == 0 and "top-1" in result.output
    assert CliRunner().invoke(main, ["faq", "eval", "--dev-set", str(tmp_path / "missing.yaml")]).exit_code == 2


def test_dev_set_accuracy_does_not_fall_below_the_measured_floor() -> None:
    from intents.evaluate import DEV_SET

    if not DEV_SET.exists():
        pytest.skip("tests/data/dev_set.yaml is not written yet")
    faq, items = load_faq(), load_dev_set(DEV_SET)
    known = set(faq.by_id())
    missing = sorted({i for item in items for i in item.intents} - known)
    if missing:
        pytest.skip(f"the FAQ does not have every intent the dev set names yet: {missing[:5]}")
    report = evaluate(faq, items, baselines=False)
    m = report["matcher"]
    # Floors just under the figures measured on 2026-11-30 with the dev3 batch in (issue 12's
    # decision policy: answered right 91.4%, wrong 2.4%, asked back 5.5%; top-1 94.7%, top-3 97.9%,
    # rejection 96.8%), so no change may lose accuracy; the old policy, in the same run, answered 75.5%.
    assert m["top1"] >= 0.945 and m["top3"] >= 0.975 and m["oos_rejection"] >= 0.96, render(report)
    assert m["answered_correct"] >= 0.91 and m["answered_wrong"] <= 0.03 and m["clarify_rate"] <= 0.07, render(report)
    assert report["legacy_policy"]["answered_correct"] < m["answered_correct"] - 0.1, render(report)


def test_platt_scaling_recovers_a_known_curve() -> None:
    import math
    import random

    from intents.calibrate import fit_logistic

    rng = random.Random(1)
    rows = []
    for _ in range(3000):
        score, margin = rng.random(), rng.random() * 0.5
        p = 1 / (1 + math.exp(-(6 * score + 4 * margin - 4)))
        rows.append((score, margin, int(rng.random() < p)))
    a, b, c = fit_logistic(rows)
    assert abs(a - 6) < 1.0 and abs(b - 4) < 1.5 and abs(c + 4) < 0.8


def test_calibrate_on_a_small_faq(faq, dev_file: Path) -> None:
    from intents.calibrate import calibrate

    model, report = calibrate(faq, load_dev_set(dev_file))
    assert abs(sum(model["weights"].values()) - 1) < 1e-6
    assert 0 < model["thresholds"]["clarify"] <= model["thresholds"]["answer"] < 1
    assert report["examples"]["heldout"] > 0


def test_hold_out_set_accuracy_does_not_fall_below_the_measured_floor() -> None:
    """The hold-out set was written blind and is never tuned on; its floor guards generalisation
    (measured 2026-11-30: answered right 90.0%, wrong 3.1%, asked back 6.2%, top-1 95.0%, top-3
    98.8%, rejection 97.5%)."""
    holdout = Path(__file__).parent / "data" / "holdout_set.yaml"
    report = evaluate(load_faq(), load_dev_set(holdout), baselines=False)
    m = report["matcher"]
    assert m["top1"] >= 0.94 and m["top3"] >= 0.98 and m["oos_rejection"] >= 0.95, render(report)
    assert m["answered_correct"] >= 0.89 and m["answered_wrong"] <= 0.035 and m["clarify_rate"] <= 0.07, render(report)
