"""Replies sized for a phone and citations a person can check: the first screen, 「查看更多」,
「查看原文」 and the text rules (full-width punctuation, no stray spaces, no raw clause ids)
over every answer the FAQ can give."""

from __future__ import annotations

from conversation_driver import Chat

from bot.conversation.messages import InboundEvent
from bot.conversation.reading import SCREEN_CHARS, SCREEN_LINES, split_for_phone
from intents.respond import get_responder
from policy_faq.citation import document_label, original_text, source_line
from policy_faq.typography import fullwidth, offences


def test_short_reply_is_left_whole() -> None:
    text = "有：按实际费用的50%支持。\n• 每年最高50万元。\n依据：《某政策》第5条"
    assert split_for_phone(text) == (text, "")


def test_long_reply_is_cut_at_a_line_end_and_keeps_its_basis() -> None:
    lines = [f"• 第{i}项：" + "说明" * 20 for i in range(1, 13)]
    text = "\n".join(["结论在第一行。", *lines, "依据：《某政策》第5条"])
    shown, rest = split_for_phone(text)
    shown_lines = shown.split("\n")
    assert shown_lines[0] == "结论在第一行。"
    assert shown_lines[-1] == "依据：《某政策》第5条" and shown_lines[-2] == "……"
    assert (
        sum(len(line) for line in shown_lines[:-2]) <= SCREEN_CHARS and len(shown_lines) - 2 <= SCREEN_LINES
    )
    assert all(line in lines or line == "结论在第一行。" for line in shown_lines[:-2])  # whole lines only
    assert rest.split("\n")[0] == lines[len(shown_lines) - 3] and rest.split("\n")[-1] == lines[-1]
    assert "依据" not in rest


def test_one_long_paragraph_is_cut_at_a_sentence() -> None:
    text = "。".join(f"第{i}句话说明一项具体的支持措施和条件" for i in range(40)) + "。"
    shown, rest = split_for_phone(text)
    assert shown.split("\n")[0].endswith("。") and len(shown) <= SCREEN_CHARS + 3
    assert shown.split("\n")[0] + rest == text


def test_fullwidth_sets_chinese_text_and_leaves_english_alone() -> None:
    assert (
        fullwidth("第5条:使用 高新区 楼宇(征求意见稿,可能调整).")
        == "第5条：使用高新区楼宇（征求意见稿，可能调整）。"
    )
    assert fullwidth("1.5万元,USD 200,000 (AEO)认证") == "1.5万元，USD 200,000 （AEO）认证"
    assert fullwidth("Policy texts are in Chinese, see below.") == "Policy texts are in Chinese, see below."


def test_basis_names_document_status_and_clause_in_words() -> None:
    assert source_line(("sichuan-2024:16",)) == (
        "依据：《四川省关于推动跨境电商高质量发展助力外贸稳规模优结构行动方案（2024-2027年）》（征求意见稿）第16条"
    )
    assert (
        document_label("panjin-2020:2.13")
        == "《中国（盘锦）跨境电子商务综合试验区实施方案》（历史文件，目标期2020—2022年）"
    )
    assert source_line(("no-such-doc:1",)) == ""


def test_original_text_has_status_first_and_no_raw_id() -> None:
    text = original_text("dalian-gxq-2026:5")
    assert text.split("\n")[0] == "【征求意见稿，可能调整】"
    assert "每年最高 50 万元" in text and "dalian-gxq-2026" not in text
    assert original_text("liaoning-2026:99") is None


def test_answer_offers_the_original_and_shows_it(chat: Chat) -> None:
    chat.say("高新区海外仓补贴")
    assert "依据：《大连高新区促进跨境电商产业高质量发展若干政策》（征求意见稿）第5条" in chat.text
    assert "dalian-gxq-2026" not in chat.text
    chat.press("查看原文：第5条")
    assert chat.text.startswith("【征求意见稿，可能调整】\n《大连高新区")
    assert "给予 50%的资金支持，每年最高 50 万元" in chat.text


def press_value(chat: Chat, value: str) -> None:
    chat.send(InboundEvent(chat.channel, chat.user, chat.user, button=value, kind="button"))


def test_long_original_is_paged_and_an_earlier_more_button_still_works(chat: Chat) -> None:
    whole = original_text("liaoning-2026:14")
    assert len(whole) > SCREEN_CHARS  # 通关便利化: longer than one screen
    press_value(chat, "src:liaoning-2026:14")
    first_screen = chat.text
    assert first_screen.startswith("【现行有效】") and first_screen.endswith("……")
    earlier_more = chat.button("查看更多").value
    chat.say("四川省海外仓有什么支持")  # a newer reply in between
    press_value(chat, earlier_more)  # the earlier reply's button still shows that reply's rest
    assert first_screen.removesuffix("……") + chat.text == whole.replace("\n", "\n", 1) or chat.text in whole
    assert chat.text and chat.text not in first_screen and whole.endswith(chat.text)


def test_every_answer_keeps_the_text_rules() -> None:
    responder = get_responder()
    broken = {}
    for item in responder.faq.intents:
        reply = responder.respond_intent(item.intent.id)
        problems = offences(reply.answer)
        if problems:
            broken[item.intent.id] = problems[:3]
    assert broken == {}


def test_replies_to_the_dev_and_hold_out_sets_keep_the_text_rules() -> None:
    """What the assistant says to every enquiry of both sets: full-width punctuation, no space
    between Chinese characters, no raw clause id."""
    from intents.evaluate import DEV_SET, load_dev_set

    responder = get_responder()
    broken = {}
    for path in (DEV_SET, DEV_SET.with_name("holdout_set.yaml")):
        for item in load_dev_set(path):
            problems = offences(responder.respond(item.q, region=item.region).answer)
            if problems:
                broken[item.q] = problems[:2]
    assert len(broken) == 0, list(broken.items())[:10]


def test_a_run_of_clauses_is_named_as_a_range() -> None:
    refs = tuple(f"dalian-gxq-2026:{n}" for n in range(1, 12)) + ("dalian-gxq-2026:scope",)
    assert source_line(refs).endswith("（征求意见稿）第1—11条、适用范围")
    assert source_line(("liaoning-2026:14", "liaoning-2026:15", "liaoning-2026:18")).endswith("》第14条、第15条、第18条")


def test_a_reply_just_over_the_screen_is_not_cut_for_one_line() -> None:
    lines = ["结论。", *(f"• 第{i:02d}项：" + "说明" * 9 for i in range(1, 12)), "• 最后一行，再补充几句说明。最后一行，再补充几句说明。"]
    text = "\n".join(lines)
    assert sum(map(len, lines[:-1])) <= SCREEN_CHARS < sum(map(len, lines))  # one short line over
    assert split_for_phone(text) == (text, "")
    longer = text + "\n" + "\n".join(f"• 又一项{i}：" + "说明" * 10 for i in range(4))
    shown, rest = split_for_phone(longer)
    assert rest and shown.endswith("……")
