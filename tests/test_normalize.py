"""Normalisation: width, script, case, punctuation, numerals, domain synonyms, tokens."""

from __future__ import annotations

import pytest

from intents.normalize import (
    arabic_numerals,
    canonical,
    char_ngrams,
    chinese_to_int,
    normalize,
    synonym_data,
    table,
    tokens,
)


def test_normalize_width_script_case_and_punctuation() -> None:
    assert normalize("ＡＢＣ　９８１０，海外倉補貼？") == "abc9810海外仓补贴"
    assert normalize("  Hello,  World! ") == "helloworld"
    assert normalize("「独立站」——补贴。") == "独立站补贴"


@pytest.mark.parametrize(
    ("run", "value"),
    [("一", 1), ("十", 10), ("十三", 13), ("二十", 20), ("八十", 80), ("一百五十", 150), ("两千", 2000), ("一千零五", 1005), ("三五", None)],
)
def test_chinese_to_int(run: str, value: int | None) -> None:
    assert chinese_to_int(run) == value


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("八十万", "80万"),
        ("三十万元", "30万元"),
        ("第五条", "第5条"),
        ("连续三年", "连续3年"),
        ("两个月", "2个月"),
        ("一次性补贴", "一次性补贴"),
        ("统一申报", "统一申报"),
        ("十四五规划", "十四五规划"),
        ("一带一路", "一带一路"),
        ("一站式服务", "一站式服务"),
        ("九七一零咋报关", "9710咋报关"),  # a customs code read out digit by digit (voice input)
        ("一二一〇保税", "1210保税"),
        ("一一一九", "一一一九"),  # no other run of bare digits
    ],
)
def test_arabic_numerals(text: str, expected: str) -> None:
    assert arabic_numerals(text) == expected


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("境外仓的补贴", "海外仓"),
        ("海外仓库租金", "海外仓"),
        ("海外倉", "海外仓"),
        ("自建站", "独立站"),
        ("公司官网", "独立站"),
        ("独立戰搭建", "独立站"),
        ("投流费用", "推广"),
        ("广告投放", "推广"),
        ("跨境电商B2B直接出口", "9710"),
        ("跨境电商出口海外仓", "9810"),
        ("网购保税进口", "1210"),
        ("跨境贸易电子商务", "9610"),
        ("跨境电子商务综合试验区", "综试区"),
        ("第一单卖不出去", "首单"),
        ("在波兰弄个仓库给厂家代发货", "海外仓"),  # a warehouse abroad, however it was got
        ("在墨西哥自己建了个小仓库", "海外仓"),
        ("跨境卖家想贷点款", "融资"),
    ],
)
def test_synonyms(text: str, term: str) -> None:
    assert term in canonical(text)


def test_synonym_rewrites_are_not_partial() -> None:
    assert canonical("无票免税") == "无票免税"  # 无票 -> 无票免税 must not give 无票免税免税
    assert canonical("核定征收") == "核定征收"
    assert canonical("保税跨境贸易电子商务") == "1210"  # not 保税 + 9610


@pytest.mark.parametrize(
    ("text", "terms"),
    [
        ("how much for an overseas warehouse", ["多少", "海外仓"]),
        ("Can we get a subsidy for trade fairs in the high-tech zone?", ["补贴", "展会", "高新区"]),
        ("Independent website subsidies", ["独立站", "补贴"]),
    ],
)
def test_english_phrases(text: str, terms: list[str]) -> None:
    result = canonical(text)
    for term in terms:
        assert term in result
    assert " for " not in f" {result} "


def test_canonical_is_stable_on_its_own_output() -> None:
    for text in ["海外倉補貼多少", "how much for an overseas warehouse", "自建站投流补贴", "9810离境即退税", "第一单卖不掉怎么办"]:
        once = canonical(text)
        assert canonical(once) == once


def test_synonym_table_is_consistent() -> None:
    data = synonym_data()
    canonical_terms = {normalize(str(k)) for k in data["terms"]}
    seen: dict[str, str] = {}
    for term, variants in data["terms"].items():
        for variant in variants:
            key = normalize(str(variant))
            assert key not in canonical_terms or key == normalize(str(term)), f"{variant} is itself a canonical term"
            assert seen.setdefault(key, str(term)) == str(term), f"{variant} listed under {seen[key]} and {term}"
    assert table().terms


def test_char_ngrams_keep_latin_words_whole() -> None:
    assert char_ngrams("abc 9810海外", (2,)) == ["abc", "9810", "海外"]
    assert char_ngrams("海外仓", (1, 2)) == ["海", "外", "仓", "海外", "外仓"]


def test_tokens_char_mode_adds_domain_terms() -> None:
    result = tokens(canonical("独立站补贴"))
    assert "#独立站" in result and "#补贴" in result and "独立" in result


def test_tokens_jieba_mode_uses_the_domain_dictionary() -> None:
    result = tokens(canonical("高新区独立站补贴多少"), "jieba")
    assert "独立站" in result and "补贴" in result


def test_synonym_file_has_no_repeated_keys() -> None:
    import yaml

    from intents.normalize import SYNONYMS_FILE

    root = yaml.compose(SYNONYMS_FILE.read_text(encoding="utf-8"))
    for _, section in root.value:
        if isinstance(section, yaml.MappingNode):
            keys = [key.value for key, _ in section.value]
            assert len(keys) == len(set(keys)), sorted(k for k in keys if keys.count(k) > 1)


@pytest.mark.parametrize(("text", "term"), [("辽宁跨境电商补帖政策", "补贴"), ("四川跨境电商斜会", "协会"), ("AOE认证", "aeo"), ("海外苍", "海外仓")])
def test_common_typos(text: str, term: str) -> None:
    assert term in canonical(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("您好，我们是一家做户外用品的企业，海外仓补贴多少？谢谢", "海外仓补贴多少"),
        ("你好，我们是做家具出口的工厂，想了解一下海外仓补贴", "海外仓补贴"),
        ("我们公司刚开始做跨境，无票免税怎么办，急", "无票免税怎么"),
    ],
)
def test_greetings_thanks_and_self_introductions_are_dropped(text: str, expected: str) -> None:
    assert canonical(text) == expected


@pytest.mark.parametrize("text", ["我们是沈阳做服装的企业，有补贴吗", "我们做9710出口，想做AEO，辽宁谁负责"])
def test_a_self_introduction_with_a_place_or_key_term_is_kept(text: str) -> None:
    result = canonical(text)
    assert ("沈阳" in result) or ("9710" in result)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("what's in Liaoning's new e-commerce export plan", "什么辽宁电商出口方案"),
     ("Does Sichuan plan to cultivate local cross-border e-commerce platforms?", "四川方案培育本土跨境电商平台"),
     ("exporters based in Shenyang", "出口沈阳")],
)
def test_english_possessives_and_filler_words_leave_nothing_behind(text: str, expected: str) -> None:
    assert canonical(text) == expected
