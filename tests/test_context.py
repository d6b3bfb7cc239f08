"""Conversation context in the pure core (intents/context.py, intents/session.py): follow-ups read
against the session's last topic, complete questions and out-of-scope messages read alone, expiry."""

from __future__ import annotations

import pytest

from intents.context import IDLE_SECONDS, Context
from intents.respond import Responder, get_responder

T0 = 1_767_225_600.0  # 2026-01-01


@pytest.fixture(scope="module")
def responder() -> Responder:
    return get_responder()


class Session:
    """One conversation: each message read in the context the previous one left."""

    def __init__(self, responder: Responder, region: str | None = None) -> None:
        self.responder, self.region, self.context, self.now = responder, region, None, T0

    def say(self, text: str, minutes: float = 1.0):
        self.now += minutes * 60
        reply, self.context = self.responder.respond_in_context(
            text, self.context, region=self.region, now=self.now
        )
        return reply


def test_the_issue_dialogue_answers_every_follow_up(responder: Responder) -> None:
    chat = Session(responder)
    first = chat.say("高新区海外仓补贴怎么算")
    assert (first.kind, first.intent, first.followup) == ("answer", "gxq-overseas-warehouse-subsidy", None)
    cap = chat.say("那上限是多少？")
    assert (cap.kind, cap.intent, cap.followup) == ("answer", "gxq-overseas-warehouse-subsidy", "same")
    assert "50万元" in cap.answer
    spent = chat.say("我们去年花了120万")
    assert (spent.kind, spent.intent, spent.followup) == (
        "calculation",
        "gxq-overseas-warehouse-subsidy",
        "amount",
    )
    assert spent.calculation["total"] == 500000.0  # 120万 × 50% = 60万, capped at 50万 a year
    sichuan = chat.say("四川呢")
    assert (sichuan.intent, sichuan.followup) == ("sc-overseas-warehouse", "region")
    assert "征求意见稿" in sichuan.answer  # the Sichuan plan is a draft
    materials = chat.say("要什么材料")
    assert materials.followup == "materials" and materials.intent == "sc-overseas-warehouse"


def test_materials_of_an_item_with_a_checklist(responder: Responder) -> None:
    chat = Session(responder)
    chat.say("高新区海外仓补贴怎么算")
    reply = chat.say("怎么申请")
    assert (reply.kind, reply.intent, reply.followup) == (
        "checklist",
        "gxq-overseas-warehouse-subsidy",
        "materials",
    )
    assert "申报" in reply.answer


@pytest.mark.parametrize(
    ("follow_up", "intent"),
    [
        ("那国际物流呢", "gxq-intl-logistics-subsidy"),
        ("独立站呢", "gxq-independent-site-subsidy"),
        ("展会呢", "gxq-exhibition-subsidy"),
    ],
)
def test_a_sibling_item_in_the_same_place(responder: Responder, follow_up: str, intent: str) -> None:
    chat = Session(responder)
    chat.say("高新区海外仓补贴怎么算")
    reply = chat.say(follow_up)
    assert (reply.intent, reply.followup) == (intent, "sibling")


def test_the_small_low_profit_variant_reuses_the_revenue(responder: Responder) -> None:
    chat = Session(responder)
    first = chat.say("跨境电商4%核定征收所得税，年收入500万交多少")
    assert first.kind == "calculation" and first.calculation["tax"] == 50000.0  # 500万 × 4% × 25%
    variant = chat.say("那小型微利企业呢")
    assert (variant.kind, variant.intent) == ("calculation", "reg-small-low-profit")
    assert variant.calculation["tax"] == 10000.0  # 20万 × 25% × 20%


def test_revenue_named_after_the_deemed_profit_tax_is_its_figure_and_a_new_question_is_not(responder: Responder) -> None:
    chat = Session(responder)
    chat.say("跨境电商核定征收怎么算")
    figure = chat.say("客户一年收入600万")  # alone, 外汇名录登记 (20万美元) ranks first
    assert figure.kind == "calculation" and figure.calculation["tax"] == 60000.0  # 600万 × 4% × 25%
    assert "6万元" in figure.answer
    question = chat.say("年收入超过20万美元要做外汇名录登记吗")
    assert (question.kind, question.intent) == ("answer", "reg-forex-registration")


@pytest.mark.parametrize("applicant", ["个人呢", "那个体户呢"])
def test_a_kind_of_applicant_alone_asks_about_the_same_item(responder: Responder, applicant: str) -> None:
    chat = Session(responder)
    chat.say("高新区的跨境电商人才培训，企业自己组织的能补吗")
    reply = chat.say(applicant)  # once read as another item: the overseas-warehouse subsidy
    assert (reply.kind, reply.intent) == ("answer", "gxq-training-subsidy")
    assert "个人" in reply.answer  # 申报主体：产业园或出海产业发展中心，不是参训个人


def test_a_place_after_a_summary_goes_to_the_place_s_items_not_its_materials_checklist(responder: Responder) -> None:
    chat = Session(responder)
    chat.say("品牌出海各地都有什么支持")
    reply = chat.say("高新区呢")  # once 高新区 brand materials, a checklist nobody asked for
    assert reply.kind == "answer" and reply.intent != "gxq-materials-brand"
    assert responder.by_id[reply.intent].jurisdiction == "dalian-gxq"


def test_a_region_follow_up_to_the_national_level_and_a_clause_number(responder: Responder) -> None:
    chat = Session(responder)
    chat.say("辽宁海外仓布局有什么支持")
    national = chat.say("国家层面呢")
    assert (national.intent, national.followup) == ("mof-overseas-warehouse", "region")
    chat = Session(responder)
    chat.say("高新区海外仓补贴")
    clause = chat.say("那第8条呢")
    assert (clause.intent, clause.followup) == ("gxq-promotion-subsidy", "clause")


def test_a_complete_question_ignores_the_context(responder: Responder) -> None:
    for question in (
        "9610是什么意思",
        "拿过市级资金还能报高新区的补贴吗",
        "四川的跨境电商方案生效了吗",
        "你好",
    ):
        chat = Session(responder)
        chat.say("高新区海外仓补贴怎么算")
        alone = responder.respond(question)
        inside = chat.say(question)
        assert (inside.kind, inside.intent, inside.followup) == (alone.kind, alone.intent, None), question


def test_out_of_scope_is_refused_mid_dialogue_and_the_topic_survives_it(responder: Responder) -> None:
    chat = Session(responder)
    chat.say("高新区海外仓补贴怎么算")
    for message in ("今天大连下雨吗", "顺便问下淘宝国内店怎么开", "个税汇算什么时候截止"):
        assert chat.say(message).kind == "fallback", message
    assert chat.say("那上限是多少").intent == "gxq-overseas-warehouse-subsidy"


def test_the_context_expires_after_thirty_idle_minutes(responder: Responder) -> None:
    chat = Session(responder)
    chat.say("高新区海外仓补贴怎么算")
    late = chat.say("我们去年花了120万", minutes=IDLE_SECONDS / 60 + 1)
    assert late.followup is None and late.kind != "calculation"  # an amount alone: which item?
    assert late.kind == "clarify" and len(late.suggestions) >= 2


def test_a_question_back_on_a_new_topic_replaces_the_old_topic(responder: Responder) -> None:
    chat = Session(responder)
    chat.say("高新区海外仓补贴怎么算")
    tied = chat.say("跨境电商外汇结算")  # Liaoning's or Sichuan's
    assert tied.kind == "clarify"
    assert chat.context is not None and chat.context.intent == tied.suggestions[0].intent


def test_a_follow_up_in_traditional_characters_is_answered_in_them(responder: Responder) -> None:
    chat = Session(responder)
    chat.say("高新區海外倉補貼怎麼算")
    reply = chat.say("上限呢")  # the same characters in both scripts: the conversation's script holds
    assert reply.followup == "same" and "萬元" in reply.answer and "万元" not in reply.answer


def test_context_round_trips_and_bad_stored_values_are_ignored() -> None:
    context = Context(
        intent="gxq-overseas-warehouse-subsidy",
        region="dalian-gxq",
        item="overseas-warehouse",
        amount="1200000",
        at=T0,
    )
    assert Context.from_dict(context.as_dict()) == context
    assert Context.from_dict(None) is None and Context.from_dict("x") is None  # type: ignore[arg-type]
    assert Context.from_dict({"intent": "x", "unknown": 1}) == Context(intent="x")
    assert context.live(T0 + IDLE_SECONDS) and not context.live(T0 + IDLE_SECONDS + 1)
    assert not Context().live(T0)


def test_counterparts_name_existing_intents_of_their_place() -> None:
    from intents.respond import get_responder
    from intents.session import counterparts

    by_id = get_responder().by_id
    wrong = [
        (name, place, intent_id)
        for name, group in counterparts()
        for place, intent_id in group.items()
        if intent_id not in by_id or by_id[intent_id].jurisdiction != place
    ]
    assert wrong == []
    assert len(counterparts()) >= 20


def test_a_place_follow_up_goes_to_that_place_s_intent_on_the_subject() -> None:
    from intents.respond import get_responder

    responder = get_responder()
    reply, context = responder.respond_in_context("高新区的产业园每年最高给多少", None, now=1000.0)
    assert reply.intent == "gxq-industrial-park-subsidy"
    reply, context = responder.respond_in_context("四川呢", context, now=1060.0)
    assert (reply.intent, reply.followup) == ("sc-industrial-parks", "region")
    reply, context = responder.respond_in_context("辽宁跨境电商有补贴吗", None, now=1000.0)
    reply, _ = responder.respond_in_context("那高新区呢", context, now=1060.0)
    assert reply.intent == "gxq-policy-overview"


def test_a_place_follow_up_keeps_the_subject_the_user_named(responder: Responder) -> None:
    # 营口's overseas warehouses are in its brand-building intent: 辽宁呢 after 那海外仓呢 asks about
    # 辽宁's overseas warehouses, not its brand building
    chat = Session(responder)
    assert chat.say("营口那边有啥政策").intent == "yk-plan-overview"
    assert chat.say("那海外仓呢").intent == "yk-brand"
    assert (chat.say("辽宁呢").intent, chat.context.subject) == ("ln-overseas-warehouse", "yk-brand")
    assert chat.say("那盘锦").intent == "pj-overseas-warehouse"
    assert chat.say("国家层面呢").intent == "mof-overseas-warehouse"


@pytest.mark.parametrize(
    "talk",
    [
        # 高新区's overview is also its intent on funding: after subsidies compared across places,
        # the next places are asked about their funding, not their plans' overviews
        [("辽宁跟四川比，哪边给跨境电商的补贴多", "x-subsidies"), ("那大连高新区呢", "gxq-policy-overview"),
         ("营口有没有类似的", "yk-funding"), ("盘锦呢", "pj-funding")],
        # 成都 is in 四川 (都 is no filler there): 成都的 after 四川's funding asks the same
        [("四川跨境电商有没有补贴", "sc-policy-funding"), ("成都的", "sc-policy-funding")],
    ],
)
def test_a_place_follow_up_keeps_the_topic_that_was_set(responder: Responder, talk: list[tuple[str, str]]) -> None:
    chat = Session(responder)
    for message, intent in talk:
        assert chat.say(message).intent == intent, message


def test_until_when_in_a_policy_talk_asks_about_that_policy(responder: Responder) -> None:
    # 截止到啥时候 alone may ask how current the assistant's documents are; after a policy answer it
    # asks about that policy, while a question naming the documents stays small talk
    chat = Session(responder)
    chat.say("高新区的跨境政策现在能申报了吗")
    reply = chat.say("截止到啥时候")
    assert reply.kind == "answer" and reply.intent.startswith("gxq-")
    assert chat.say("你收录的政策文件截止到什么时候").intent == "chat-about-data"


def test_a_place_asked_whether_its_plan_is_a_draft_goes_to_its_status(responder: Responder) -> None:
    chat = Session(responder)
    chat.say("高新区的跨境政策现在能申报了吗")
    assert chat.say("四川那个也是草案吗").intent == "sc-draft-status"


@pytest.mark.parametrize("message", ["转人工吧，想确认下尾程到底算不算", "ok please transfer me to staff", "麻烦帮我转人工，海外仓这个我还有疑问"])
def test_a_message_that_opens_with_put_me_through_is_handed_off(responder: Responder, message: str) -> None:
    chat = Session(responder)
    chat.say("高新区海外仓补贴怎么算")
    assert (chat.say(message).kind, responder.respond(message).kind) == ("handoff", "handoff")


def test_labour_costs_and_the_service_number_are_no_request_for_a_person(responder: Responder) -> None:
    chat = Session(responder)
    chat.say("高新区海外仓补贴怎么算")
    assert chat.say("人工费算不算").kind == "answer"
    assert chat.say("客服电话是多少").kind != "handoff"


def test_out_of_scope_words_mid_dialogue_are_refused(responder: Responder) -> None:
    chat = Session(responder)
    chat.say("盘锦对海外仓有支持吗")
    for message in ("五一放几天假", "亚马逊又封我号了 咋申诉"):
        assert chat.say(message).kind == "fallback", message
    assert chat.say("辽宁呢").intent == "ln-overseas-warehouse"


def test_a_place_asked_for_money_goes_to_what_that_place_funds(responder: Responder) -> None:
    # 高新区 has no industry-belt intent: 给不给钱 there asks what its policy funds
    chat = Session(responder)
    chat.say("辽宁产业带")
    assert chat.say("国家层面呢").intent == "mof-industry-belt"
    assert chat.say("大连高新区给不给钱").intent == "gxq-policy-overview"


def test_an_aspect_and_a_verb_stay_on_the_topic_however_sure_the_ranking(responder: Responder) -> None:
    # an FAQ question of the AEO intent ends in 找谁办, which makes the ranking alone sure of it
    chat = Session(responder)
    assert chat.say("四川对海外仓有啥扶持").intent == "sc-overseas-warehouse"
    reply = chat.say("找谁办")
    assert (reply.intent, reply.followup) == ("sc-overseas-warehouse", "same")


@pytest.mark.parametrize(("pointer", "intent"), [("海外仓那条", "gxq-overseas-warehouse-subsidy"), ("商标那条呢", "gxq-ip-certification-subsidy")])
def test_a_pointer_to_an_item_is_the_item_not_its_materials(responder: Responder, pointer: str, intent: str) -> None:
    chat = Session(responder)
    chat.say("高新区跨境电商扶持政策一共有哪几项")
    assert chat.say(pointer).intent == intent
    reply = chat.say("要准备哪些材料")
    assert reply.kind == "checklist"


def test_a_follow_up_on_an_aspect_leads_with_the_line_that_answers_it(responder: Responder) -> None:
    from policy_faq.typography import offences

    chat = Session(responder)
    first = chat.say("高新区海外仓补贴怎么算").answer
    assert chat.say("那上限是多少").answer == first  # 每年最高50万元 is already the first line
    reply = chat.say("谁可以申请")
    lines = reply.answer.splitlines()
    assert lines[0] == "对象：在高新区依法经营、经区级主管部门认定的企业。"
    assert sorted(line.removeprefix("• ") for line in lines) == sorted(line.removeprefix("• ") for line in first.splitlines())
    assert offences(reply.answer) == []
    chat = Session(responder)
    chat.say("辽宁对海外仓有啥支持")
    assert chat.say("找哪个部门").answer.startswith("具体支持问所在市商务局或省商务厅。")


def test_a_second_grant_on_top_of_a_first_goes_to_the_place_s_overlap_rule(responder: Responder) -> None:
    chat = Session(responder)
    chat.say("高新区国际物流补贴怎么算")
    reply = chat.say("拿过市里的物流补贴还能再报区里的吗")
    assert reply.intent == "gxq-city-funding-overlap"
    assert chat.say("上限是多少").intent == "gxq-city-funding-overlap"  # the new topic holds


def test_paperwork_for_another_rule_of_the_same_level_is_that_rule_s(responder: Responder) -> None:
    chat = Session(responder)
    chat.say("Does the 4% deemed profit rule apply to cross-border exporters?")
    chat.say("what if we're a small low-profit enterprise")
    assert chat.say("What paperwork do we need to file for the 4% method?").intent == "reg-deemed-profit"
    # a place's restatement of the rule keeps its own materials follow-up
    chat = Session(responder)
    chat.say("四川核定征收怎么规定的")
    assert chat.say("核定要报送啥").intent == "sc-tax-deemed-profit"


def test_a_question_about_the_assistant_itself_is_small_talk_mid_dialogue(responder: Responder) -> None:
    chat = Session(responder)
    chat.say("营口跨境电商金融支持有哪些")
    reply = chat.say("你这些答案是依据哪些文件")
    assert (reply.kind, reply.intent) == ("smalltalk", "chat-about-data")


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("大连高新区给不给钱", "gxq-policy-overview"),
        ("四川有补贴吗", "sc-policy-funding"),
        ("辽宁有啥扶持", "ln-funding-support"),
        ("营口跨境电商综试区有扶持资金吗", "yk-funding"),
    ],
)
def test_a_place_and_money_alone_is_answered_with_what_the_place_funds(responder: Responder, text: str, intent: str) -> None:
    reply = responder.respond(text)
    assert (reply.kind, reply.intent) == ("answer", intent)
    assert reply.suggestions  # the other readings one tap away


@pytest.mark.parametrize(
    ("first", "message"),
    [
        ("营口跨境电商品牌建设有什么支持", "营口买房现在有补贴吗"),  # a place and 补贴, but a home of one's own
        ("盘锦对海外仓有支持吗", "盘锦河蟹现在啥价"),  # a place and a price of the day
        ("盘锦跨境电商金融服务有哪些", "卢布现在汇率多少"),
        ("辽宁品牌建设有什么支持", "商标代理费一般收多少"),  # a provider's fee, not the plan's support
        ("高新区几项补贴能同时报吗", "代账公司一个月收多少钱合理"),
        ("小型微利企业所得税怎么算", "And how much personal income tax do I pay on my own salary?"),
        ("盘锦跨境电商有什么扶持", "盘锦大米多少钱一斤"),  # a price of goods
        ("高新区首单滞销补偿怎么算", "顺便问下亚马逊库存积压咋清"),  # clearing stock, not the compensation
        ("9810出口退税怎么办", "亚马逊回款怎么做账确认收入"),  # bookkeeping
        ("辽宁招引跨境电商企业落户有什么政策", "沈阳落户需要啥条件"),  # a person's 户口, not a firm's
    ],
)
def test_a_price_a_salary_or_a_home_mid_dialogue_is_refused(responder: Responder, first: str, message: str) -> None:
    chat = Session(responder)
    assert chat.say(first).kind != "fallback"
    assert chat.say(message).kind == "fallback"


def test_the_zone_s_own_streets_name_it(responder: Responder) -> None:
    reply = responder.respond("我们在七贤岭有家跨境公司，波兰租了个海外仓，这块政府给补吗")
    assert (reply.kind, reply.intent) == ("answer", "gxq-overseas-warehouse-subsidy")


def test_the_readme_example_with_the_city_named_is_answered(responder: Responder) -> None:
    reply = responder.respond("大连高新区海外仓补贴怎么算")
    assert (reply.kind, reply.intent) == ("answer", "gxq-overseas-warehouse-subsidy")


def test_a_typo_in_materials_still_asks_for_the_checklist(responder: Responder) -> None:
    chat = Session(responder)
    chat.say("高新区海外注册商标的费用能补吗")
    assert chat.say("要啥才料").kind == "checklist"


@pytest.mark.parametrize(
    ("text", "intent"),
    [("辽宁跨境电商海外仓不局支持", "ln-overseas-warehouse"), ("886", "chat-goodbye")],
)
def test_chat_slang_and_homophone_typos_are_read_as_meant(responder: Responder, text: str, intent: str) -> None:
    reply = responder.respond(text)
    assert reply.intent == intent and reply.kind != "clarify"


def test_a_homophone_of_repeated_reads_as_repeated() -> None:
    from intents.normalize import canonical

    assert "重复" in canonical("高新区的跨境补贴能重附申报吗")


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("个体户能申请高新区补贴吗", "gxq-eligibility"),  # the eligibility rule says so, not the exclusions
        ("四川有钱拿吗", "sc-policy-funding"),
        ("您好，想咨询一下跨境电商政策方面的事", "chat-help"),  # no topic yet: what the assistant does
    ],
)
def test_who_may_apply_money_slang_and_a_bare_greeting_are_read_as_meant(responder: Responder, text: str, intent: str) -> None:
    reply = responder.respond(text)
    assert reply.intent == intent and reply.kind in ("answer", "smalltalk")


def test_a_deduction_asked_after_the_overlap_rule_stays_on_it(responder: Responder) -> None:
    chat = Session(responder)
    assert chat.say("拿了市里的资金，区里的还能报吗").intent == "gxq-city-funding-overlap"
    reply = chat.say("会扣减吗")
    assert (reply.kind, reply.intent) == ("answer", "gxq-city-funding-overlap")


@pytest.mark.parametrize(
    "message",
    [
        "8月份大连热不热",
        "杭州综试区的跨境电商园区有房租减免吗",
        "出口退税率13%的商品有哪些",
        "我们一票货被海关查验了 能帮我查下啥时候放行吗",  # one shipment's case: customs' to answer
        "HS编码查不到我们这个产品 该归哪个",
        "我们小规模纳税人 季度销售额多少以内免增值税",
        "Our container is being held for inspection at Dalian port. What should we do?",
        "Shopify独立站用哪个主题转化率高？",  # a shop's conversion, not the site subsidy
        "增值税小规模3%减按1%到什么时候",
        "现在TikTok上选啥品好卖",
        "海关查验我们一票货 已经扣了一周了 啥时候放行 急",
        "我们一票9610的货在大连被海关查验了，一般多久能放行？",  # one shipment, whatever its mode
        "義烏市場採購貿易1039怎麼報關？",
        "Can foreign tourists get their VAT back when they leave China after shopping?",
        "How do I appeal an Amazon account suspension?",
        "在高新区注册一家公司要多久，需要带什么材料？",
        "季度增值税申报表里，免税销售额应该填在哪一栏？",
        "你觉得今年美国市场还能做吗",
    ],
)
def test_weather_another_city_s_rent_relief_and_a_goods_tax_rate_table_are_refused(responder: Responder, message: str) -> None:
    assert responder.respond(message).kind == "fallback"


def test_a_branch_asked_after_who_may_apply_is_the_branch_rule(responder: Responder) -> None:
    chat = Session(responder)
    assert chat.say("高新区跨境电商政策哪些企业能申报").intent == "gxq-eligibility"
    assert chat.say("那分公司呢").intent == "gxq-branch-or-outside"  # 公司 is no word of no topic here


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("我们公司自己去参加法兰克福展 展位费加机票十几万 高新区能给补吗", "gxq-exhibition-subsidy"),  # 机票 of a fair
        ("Does the independent website subsidy in Dalian High-tech Zone cover salaries of our own developers?", "gxq-independent-site-subsidy"),
    ],
)
def test_a_fair_s_air_fares_and_a_site_s_developers_pay_are_costs_of_the_item(responder: Responder, text: str, intent: str) -> None:
    reply = responder.respond(text)
    assert reply.kind != "fallback" and intent in (reply.intent, *(s.intent for s in reply.suggestions))


def test_a_fee_is_no_paperwork_mid_dialogue(responder: Responder) -> None:
    chat = Session(responder)
    assert chat.say("四川跨境电商外汇结算有什么便利").kind == "answer"
    assert chat.say("PayPal提现手续费多少").kind == "fallback"  # 手续费 is a provider's price, not 手续


def test_a_latin_synonym_inside_an_english_word_is_left_alone() -> None:
    from intents.normalize import canonical

    assert "社交媒体" not in canonical("held for inspection")  # ins (Instagram) inside inspection
    assert "增值税" not in canonical("aim to cultivate")  # vat inside cultivate
    assert canonical("用ins做推广") == canonical("用instagram做推广")


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("高新区跨境电商补贴都有哪几项", "gxq-policy-overview"),  # not how to apply for them
        ("啥样的公司才能报高新区这个政策啊", "gxq-eligibility"),  # not branches and outsiders
        ("高新区补贴清单 来一份", "gxq-policy-overview"),  # the list of subsidies, not a checklist
        ("Is there a warehouse subsidy in Dalian Hi-tech Zone?", "gxq-overseas-warehouse-subsidy"),
        ("头乘运费补贴连续几年", "gxq-intl-logistics-subsidy"),  # 头乘: 头程 mistyped
        ("鲅鱼圈港跨境电商物流有啥规划", "yk-logistics"),  # where one asks from is no topic
        ("Is Sichuan's cross-border e-commerce action plan official yet?", "sc-draft-status"),
        ("高新区补贴咋申报", "gxq-how-to-apply"),
        ("四川《关于推动跨境电商高质量发展助力外贸稳规模优结构行动方案（2024-2027年）》正式印发了吗？", "sc-draft-status"),
    ],
)
def test_phrasings_that_blind_batches_found_misread_are_answered_with_their_intent(
    responder: Responder, text: str, intent: str
) -> None:
    # the zone's list, how to apply, a warehouse in English, a typo, a district, a draft
    reply = responder.respond(text)
    assert (reply.kind, reply.intent) == ("answer", intent)


@pytest.mark.parametrize("message", ["个体户转成公司要办多久", "你会写代码不", "你们能帮我订个舱吗", "盘锦到大连的高速今天封路没"])
def test_a_question_of_its_own_outside_the_policies_is_refused_mid_dialogue(responder: Responder, message: str) -> None:
    # short, with a question word or an aspect (多久), they once read as follow-ups on the topic
    chat = Session(responder)
    chat.say("高新区海外仓补贴怎么算")
    reply = chat.say(message)
    assert (reply.kind, reply.followup) == ("fallback", None)
    assert chat.say("上限呢").intent == "gxq-overseas-warehouse-subsidy"  # the topic survives the refusal


def test_another_city_s_hi_tech_zone_is_that_city_not_dalian_s(responder: Responder) -> None:
    reply = responder.respond("我们在成都高新区，做跨境电商海外仓有啥支持")
    assert (reply.kind, reply.intent) == ("answer", "sc-overseas-warehouse")
    assert responder.respond("沈阳高新区的企业，省里对海外仓有支持吗").intent == "ln-overseas-warehouse"
    assert responder.respond("高新区海外仓补贴怎么算").intent == "gxq-overseas-warehouse-subsidy"


def test_a_message_naming_what_each_tied_reading_names_is_answered_not_asked_back(responder: Responder) -> None:
    # the document (its title names 海外仓) and its financing line (金融, 结算) are tied, but the
    # message names both: "which one?" would not help; the other is the first suggestion
    reply = responder.respond("What does the MOFCOM 2024 opinion on overseas warehouses say about financing and settlement?")
    assert (reply.kind, reply.intent) == ("answer", "mof-finance-settlement")
    assert reply.suggestions[0].intent == "mof-overview"


def test_an_amount_after_a_move_to_another_place_goes_to_that_place_s_calculator(responder: Responder) -> None:
    # the menu said 四川; the talk moved to 高新区; 一年40万 names a year, not a topic
    chat = Session(responder, region="sichuan")
    chat.say("海外仓有啥支持政策")
    assert chat.say("高新区呢").intent == "gxq-overseas-warehouse-subsidy"
    reply = chat.say("一年40万")
    assert (reply.kind, reply.intent) == ("calculation", "gxq-overseas-warehouse-subsidy")
    assert "20万元" in reply.answer


def test_a_total_names_no_other_calculator(responder: Responder) -> None:
    chat = Session(responder)
    chat.say("高新区国际认证补贴，CE和UL认证费能报吗")
    reply = chat.say("共計3萬2")  # 共计 once ranked the small low-profit tax first
    assert (reply.kind, reply.intent) == ("calculation", "gxq-ip-certification-subsidy")
    assert "1.6萬元" in reply.answer  # in the user's script


@pytest.mark.parametrize("message", ["印花税咋交", "营口到莫斯科现在整柜运价多少"])
def test_other_taxes_and_freight_rates_are_refused_mid_dialogue(responder: Responder, message: str) -> None:
    chat = Session(responder)
    chat.say("4%核定征收咋算")
    assert chat.say(message).kind == "fallback"


def test_an_english_pointer_to_one_item_goes_to_it_and_its_figures_follow(responder: Responder) -> None:
    chat = Session(responder)
    chat.say("Which parts of the Dalian Hi-tech Zone policy fit an overseas warehouse operator?")
    pointed = chat.say("how much for the warehouse one")
    assert (pointed.intent, pointed.followup) == ("gxq-overseas-warehouse-subsidy", "sibling")
    spent = chat.say("we spent 1,500,000 yuan last year")
    assert (spent.kind, spent.intent) == ("calculation", "gxq-overseas-warehouse-subsidy")
    assert "50万元" in spent.answer  # 150万 × 50% is over the yearly cap


@pytest.mark.parametrize(("text", "kind", "intent"), [
    ("打扰您了，我年纪大眼睛不好，字看不清楚，能不能找个真人帮我看看", "handoff", "chat-handoff"),
    ("人工智能对跨境电商有啥影响", None, None),  # 人工智能 is no request for a person
    ("高新区海外仓补贴怎么申请", "answer", "gxq-overseas-warehouse-subsidy"),
])  # fmt: skip
def test_a_request_for_a_person_and_how_to_apply_are_answered(responder: Responder, text: str, kind: str | None, intent: str | None) -> None:
    reply = responder.respond(text)
    if kind is None:
        assert reply.kind != "handoff"
    else:
        assert (reply.kind, reply.intent) == (kind, intent)


@pytest.mark.parametrize(("text", "intent"), [
    ("Does the Dalian high-tech zone subsidise overseas warehouses?", "gxq-overseas-warehouse-subsidy"),  # not "or several items at once?"
    ("高新区国际通道", "gxq-intl-logistics-subsidy"),  # not "or its materials?"
    ("问下海外仓", "x-overseas-warehouse"),  # a topic alone, the summary across places
])  # fmt: skip
def test_one_item_named_is_answered_not_asked_back(responder: Responder, text: str, intent: str) -> None:
    reply = responder.respond(text)
    assert (reply.kind, reply.intent) == ("answer", intent)
    assert responder.respond("高新区海外仓补贴和推广补贴能一起报吗").intent == "gxq-multiple-items"


@pytest.mark.parametrize(("first", "then", "kind", "intent"), [
    ("高新区海外仓补贴比例多少", "我问的是国际物流不是海外仓", "answer", "gxq-intl-logistics-subsidy"),  # a correction
    ("辽宁海外仓有支持吗", "不是，我说的是四川", "answer", "sc-overseas-warehouse"),
    ("高新区海外仓补贴", "要啥", "checklist", "gxq-overseas-warehouse-subsidy"),  # two characters: the paperwork
    ("高新区海外仓补贴", "等下我接个电话", "smalltalk", "chat-later"),  # an interruption, the topic kept
    ("AEO认证对跨境电商企业有啥用", "对了 9710要去海关注册吗", "answer", "reg-9710"),  # 对了 opens a new question
    ("代账公司问：客户在高新区注册，但人都在外地，会不会被认定为空壳企业", "社保要交几个人才行", "answer", "gxq-shell-company"),  # staff numbers
    ("Do cross-border sellers need to register with SAFE?", "How do we do it?", "checklist", "reg-forex-registration"),
])  # fmt: skip
def test_corrections_short_asks_and_interruptions_in_a_phone_chat(responder: Responder, first: str, then: str, kind: str, intent: str) -> None:
    chat = Session(responder)
    chat.say(first)
    reply = chat.say(then)
    assert (reply.kind, reply.intent) == (kind, intent)
    if intent == "chat-later":
        assert chat.say("上限呢").intent == "gxq-overseas-warehouse-subsidy"


def test_a_complete_question_on_a_national_rule_is_answered_as_alone_in_a_place_s_talk(responder: Responder) -> None:
    chat = Session(responder)
    chat.say("辽宁对跨境电商外汇结算有什么便利")
    question = "没有进项发票的出口货能免增值税吗"
    reply = chat.say(question)
    assert (reply.intent, reply.followup) == (responder.respond(question).intent, None) == ("reg-no-invoice-exemption", None)
    elliptical = Session(responder)
    elliptical.say("辽宁对跨境电商外汇结算有什么便利")
    assert elliptical.say("那无票免税呢").intent == "ln-tax-no-invoice"  # an elliptical sibling stays in the place


def test_another_question_with_a_place_after_a_switch_word_is_read_alone(responder: Responder) -> None:
    chat = Session(responder)
    chat.say("大连高新区有没有独立站补贴")
    question = "另外想确认下，四川这个方案已经正式发了吗？"
    assert chat.say(question).intent == responder.respond(question).intent == "sc-draft-status"
    assert responder.respond("辽宁有钱吗").intent == "ln-funding-support"  # 有钱 asks for a subsidy


def test_after_a_summary_across_subjects_a_place_goes_to_the_subject_asked_about(responder: Responder) -> None:
    for question, liaoning in (("跨境电商收款结汇有啥便利政策", "ln-forex-settlement"), ("跨境电商融资有什么政策", "ln-finance-credit")):
        chat = Session(responder)
        assert chat.say(question).intent == "x-finance-forex-logistics"
        assert chat.say("辽宁呢").intent == liaoning, question
    chat = Session(responder)
    chat.say("做品牌出海有啥补贴")
    assert chat.say("高新区的呢").intent == "gxq-ip-certification-subsidy"  # trademarks and certification


@pytest.mark.parametrize("text", ["美元最近会涨吗", "美线海运头程现在多少钱一方"])
def test_exchange_rate_bets_and_freight_prices_are_refused(responder: Responder, text: str) -> None:
    assert responder.respond(text).kind == "fallback"


def test_an_english_warehouse_somewhere_abroad_is_an_overseas_warehouse(responder: Responder) -> None:
    reply = responder.respond("We spent 1.2 million RMB on our US warehouse last year, company is in the hi-tech zone. How much can we get back?")
    assert (reply.kind, reply.intent) == ("calculation", "gxq-overseas-warehouse-subsidy")


@pytest.mark.parametrize(("text", "intent"), [
    ("我们大连的，9810现在还要备案海外仓吗？", "reg-9810"),  # a company in the city asks a national rule
    ("大连海外仓补贴多少", "gxq-overseas-warehouse-subsidy"),  # money for an item: the zone's scheme still answers
    ("我们在大连，海外仓去年花了80万能补多少", "gxq-overseas-warehouse-subsidy"),
])  # fmt: skip
def test_the_city_named_gives_the_zone_no_head_start_over_national_rules(responder: Responder, text: str, intent: str) -> None:
    assert responder.respond(text).intent == intent


@pytest.mark.parametrize(("text", "kind", "intent"), [
    ("和定征收跟查账征收哪个税负低，我们毛利才3个点", "answer", None),  # 哪个税负 is no 个税
    ("谢了兄弟", "smalltalk", "chat-thanks"),
    ("3q", "smalltalk", "chat-thanks"),
])  # fmt: skip
def test_which_tax_burden_and_slang_thanks_are_read_as_meant(responder: Responder, text: str, kind: str, intent: str | None) -> None:
    reply = responder.respond(text)
    assert reply.kind == kind and (intent is None or reply.intent == intent)
    if intent is None:
        assert reply.intent in ("reg-deemed-profit", "reg-small-low-profit")
