"""intents.nearest: the pruned search gives exactly rapidfuzz's best ratio over the whole list."""

from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz import fuzz, process

from intents.matcher import load_reject_texts
from intents.nearest import NearestText
from intents.normalize import canonical

TEXT = st.text(alphabet="海外仓补贴多少高新区怎么申报的吗企业跨境电商ab1 ", min_size=1, max_size=30)


@settings(max_examples=300, deadline=None)
@given(texts=st.lists(TEXT, min_size=1, max_size=25), query=TEXT)
def test_the_best_ratio_is_the_one_of_comparing_every_text(texts: list[str], query: str) -> None:
    assert NearestText(texts).best_ratio(query) == process.extractOne(query, texts, scorer=fuzz.ratio)[1]


def test_on_the_turned_away_enquiries_it_finds_the_nearest() -> None:
    rejects = [canonical(text) for text in load_reject_texts()]
    nearest = NearestText(rejects)
    for query in ("高新区海外仓补贴怎么算", "今天大连下雨吗", "个税汇算怎么弄", rejects[0], "xyz"):
        assert nearest.best_ratio(query) == process.extractOne(query, rejects, scorer=fuzz.ratio)[1]
    assert nearest.best_ratio(rejects[0]) == 100.0


def test_no_shared_character_and_an_empty_list_score_zero() -> None:
    assert NearestText(["海外仓"]).best_ratio("xyz") == 0.0
    assert NearestText([]).best_ratio("海外仓") == 0.0
