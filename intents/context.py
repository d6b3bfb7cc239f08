"""Conversation context: what a session talked about last, and the follow-ups resolved against it.

A session's ``Context`` holds the last intent answered, its topic, place and support item, the
last amount given and the complete question that set the topic. A message that only makes
sense with it (issue 12) is read against it:

- ``same``: 「那上限是多少」「能补几年」「是一次性的吗」「谁可以申请」 -> the same intent;
- ``materials``: 「要什么材料」「怎么申请」 -> that item's checklist;
- ``region``: 「四川呢」「辽宁呢」「国家层面呢」 -> the same topic in that place;
- ``sibling``: 「那国际物流呢」「独立站呢」「9710呢」「那小型微利企业呢」 -> that intent, in the
  same place (with the amount given earlier when it has a calculator);
- ``amount``: 「花了120万」「那150万呢」 -> the calculator of the last item.

Everything else is read on its own: a complete question ignores the context (so a wrong context
never sticks), and an out-of-scope message is refused as ever. Classification is cheap (regular
expressions and the key terms of the normalised text): only a region or sibling follow-up costs
a second ranking, of a query built from the context.

Pure: no clock of its own (``now`` is given), no storage (the channel keeps ``as_dict()``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields

from intents.matcher import LOCAL, PLACES, detect_region, out_of_scope_cue
from intents.normalize import key_terms

IDLE_SECONDS = 30 * 60  # context expires after this long without a message
SAME, MATERIALS, REGION, SIBLING, AMOUNT, CLAUSE = (
    "same",
    "materials",
    "region",
    "sibling",
    "amount",
    "clause",
)
NATIONAL = "national"  # 「国家层面呢」: a follow-up may ask for the national rules
ANSWERED = ("answer", "calculation", "checklist")

PLACE_KEYS = frozenset({"#营口", "#盘锦", "#四川", "#辽宁", "#大连", "#高新区"})
ASPECT_KEYS = frozenset(
    {"#标准"}
)  # 具体标准有吗 asks an aspect (the standard of support), not about standardisation
STANDARDS_TOPIC = re.compile(r"标准(?:方面|那条|那部分|建设|化|体系|制定|合作)")  # 标准方面呢: standardisation itself
REGION_WORDS = {
    "dalian-gxq": "大连高新区",
    "liaoning": "辽宁",
    "yingkou": "营口",
    "panjin": "盘锦",
    "sichuan": "四川",
    NATIONAL: "国家",
}
NATIONAL_WORDS = re.compile(r"国家层面|国家级|国家|全国|中央|部委|商务部|national|nationwide|country")
OTHER_PLACE = re.compile(r"大连|高新区|高新|辽宁|营口|盘锦|四川|省里|省级|市里|市级")

# what makes a message elliptical: 那…, …呢, and their English counterparts
ELLIPTICAL_LEAD = re.compile(
    r"^(?:那么?|那如果|如果是?|要是|假如|换成|换到|改成|(?:我|我们)?(?:问|说|指)的是|and|what about|how about|什么(?=\S{1,8}$))"
)
# 对了/另外/还有 open a question of their own as often as a follow-up: a message the ranking alone
# is sure of is read alone after them (对了 9710要去海关注册吗), not after 那…
SWITCH_LEAD = re.compile(r"^(?:还有|另外|再问一?下|顺便问一?下|对了)")
LEAD = re.compile(f"{ELLIPTICAL_LEAD.pattern}|{SWITCH_LEAD.pattern}")
TAIL = re.compile(
    r"(?:呢|的呢|怎么样|咋样|如何|怎么说|有没有|有吗|有么|行吗|可以吗|也有吗|也行吗|也可以吗|也能吗|也一样吗|一样吗|也适用吗|适用吗|\?)$"
)
# what a follow-up about the same intent asks (its aspect); also English
ASPECT = re.compile(
    r"上限|最高|封顶|最多|最少|多少|几成|比例|标准|怎么算|如何算|咋算|怎么计算|算法|几年|多久|多长时间|期限|有效期|一次性|每年|每次|连续|"
    r"谁可以|谁能|哪些企业|什么企业|什么样的企业|哪类|条件|要求|门槛|资格|认定|审核|找谁|哪个部门|什么部门|谁负责|谁管|联系|电话|"
    r"依据|原文|条款|哪一条|第几条|出处|什么时候|啥时候|何时|截止|时间|叠加|重复|同时|扣减|扣除|抵扣|冲抵|核减|分支|外地|草案|征求意见|正式|生效|有效|过期|"
    r"例子|举例|具体|详细|展开|说说|讲讲|解释|意思|包括|包含|范围|能报|报销|能补|补多少|给多少|给钱|到账|拨付|发放|兑现|能拿|拿多少|"
    r"退多少|免多少|税率|交多少|怎么弄|咋弄|能不能|可不可以|是不是|算不算|有没有|靠谱|确定|还有吗|还有别的|其他的|"
    r"cap|limit|max|maximum|how long|years?|once|one[- ]off|who|eligib|condition|requirement|deadline|when|basis|clause|example|more detail",
    re.IGNORECASE,
)
MATERIALS_CUE = re.compile(
    r"^(?:那|都)?(?:要|需要)(?:啥|什么|哪些)(?:东西)?(?:呀|啊|呢)?$|材料|资料|清单|哪些文件|什么文件|文件清单|凭证|证明|证件|发票|准备|带啥|带什么|带哪些|提交|报送|交什么|交啥|交哪些|要交|上交|"
    r"怎么申报|如何申报|咋申报|怎么报|咋报|怎么申请|如何申请|咋申请|申报流程|申请流程|流程|手续(?!费)|步骤|"
    r"去哪报|去哪申请|在哪申请|在哪报|去哪办|在哪办|哪里办|去哪里办|哪个窗口|窗口|网上办|线上办|"
    r"办理|怎么办|咋办|怎么弄|咋弄|materials?|(?:what|which) documents|documents? (?:needed|required)|paperwork|how to apply|how do i apply|how (?:do|can|should) (?:we|i) (?:do (?:it|that|this)|apply|register|file|sign up)|steps?|process|procedure|prepare|checklist",
    re.IGNORECASE,
)
QUESTION = re.compile(
    r"谁|什么|啥|哪|几|多少|多大|怎么|咋|如何|吗|么|是否|能否|可否|有没有|是不是|能不能|可不可以|要不要|多久|多长|还是|不$|没$|[?？]$"
)
# 「海外仓那条」「品牌建设那部分」: a pointer to one part of a document
POINTER = re.compile(
    r"那条|这条|那一条|哪一条|那项|这项|那一项|那部分|这部分|那块|这块|那段|这段|那句|这句|那个(?=$|呢|吧)|的话$|(?<![a-z])(?:one|part|item|section)$"
)
CLAUSE_NUMBER = re.compile(r"第\s*(\d+)\s*条")  # 第三条 (numerals are Arabic in canonical text): that clause
# 「那评估呢」「主体培育呢」: a noun phrase and 呢, the shape of a question about a sibling
NOUN_ELLIPSIS = re.compile(
    r"(?:呢|的呢|怎么样|咋样|如何|怎么说)$|^(?:那么?|还有|另外|and|what about|how about)"
)
PLACE_REST = 12  # a message naming a place with this much else is still a follow-up on the topic
PROVINCE = re.compile(r"省里|省级|省内|全省|省上|省政府|省厅|省一级|province|provincial")
PROVINCE_OF = {
    "dalian-gxq": "liaoning",
    "yingkou": "liaoning",
    "panjin": "liaoning",
    "liaoning": "liaoning",
    "sichuan": "sichuan",
}
SCOPE_FLOOR = 0.04  # a message the scope model rates below this is no follow-up
OWN_REST = 6  # … even asking about an aspect, when it says this much else
ALONE_CONFIDENCE, ALONE_LENGTH = 0.8, 8  # a message this sure of an intent on its own is a new question
ALONE_REST = 4  # … when it says this much beyond asking about an aspect (一年总共封顶多少 says 一年)
NAMED_ALONE_CONFIDENCE = 0.75  # the same for a message that names the context's topic itself
NAMED_THERE = 0.5  # a message naming a place and a topic, ranked alone this sure in that place, is read alone
SURE_ALONE = 0.9  # without 那…/…呢, a message the ranking alone is this sure of is a new question
SMALL_PROFIT = re.compile(r"小型微利|小微")
# 要交哪些文件 may rank 你的答案依据哪些文件 first (0.76), and is materials; a message the ranking
# is all but certain is the small talk itself (你这些答案是依据哪些文件, 1.0) is that
CERTAIN_SMALL_TALK = 0.99
DEFINED_ALONE = 0.6
DEFINITION = re.compile(
    r"区别|不一样|不同|差别|差异|difference|是什么|是个什么|是啥|是个啥|是干嘛|是干什么|啥是|什么是|什么意思|啥意思|指什么|指的是|what is|what's|meaning of",
    re.IGNORECASE,
)
# (the text is normalised: 一年 may read 1年)
NEXT_YEAR = re.compile(r"下[一1]年|接下来[一1]年|下个年度|后[一1]年|来年")
MODIFIERS = re.compile(rf"小型微利|小微企业|小微|第\s*[123一二三]\s*年|{NEXT_YEAR.pattern}")
# words with no topic of their own: what is left of a follow-up after these, places and amounts
# (都 is no filler in 成都: the place goes with the places)
FILLER = re.compile(
    r"那么|那个|这个|那|呢|的|了|吗|吧|啊|呀|哦|嘛|么|也|还|又|再|是|就|(?<!成)都|请问|一下|我们|我|咱们|咱|公司|企业|这边|那边|这里|那里|地区|"
    r"政策|情况|方面|的话|怎么样|咋样|如何|有没有|有吗|行不行|行吗|可以吗|能不能|换成|换到|改成|如果|要是|假如|对了|另外|还有|顺便|"
    r"类似的|类似|一样|同样|相同|也有|这种|这类|那种|落实|执行|实施|出台|相关|对应|配套|有|那条|这条|那部分|这部分|那块|这块|那句|这句|说了|讲|咋说|怎么说|怎么写|"
    r"去年|今年|明年|一共|总共|大概|大约|左右|差不多|花了|投了|投入|花费|费用|支出|成本|开销|营业额|销售额|收入|营收|年收入|货值|订单|"
    r"万元|(?<=万|千|亿)多|万|元|块钱|块|钱|人民币|w|层面|级|省里|省|市|区|国家|全国|and|what|about|how|the|\?",
    re.IGNORECASE,
)
LATIN = re.compile(r"[a-z]+")
HAN = re.compile(r"[\u3400-\u9fff]")
ENGLISH_LEAD = re.compile(r"^\W*(?:ok\W+|okay\W+|thanks\W+)?(?:and|what about|how about|also|so)\b")
NUMBER = re.compile(r"\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百千]+")
# places and the national level, and numbers, in one pass
NOT_PLACE = re.compile("|".join([*(pattern.pattern for _, pattern in PLACES), NATIONAL_WORDS.pattern]))
NOT_TOPIC = re.compile(f"{NOT_PLACE.pattern}|{NUMBER.pattern}")


@dataclass(frozen=True)
class Context:
    intent: str | None = None  # the last intent answered
    topic: str | None = None  # its FAQ topic
    region: str | None = None  # the place the conversation is about (a region, or "national")
    item: str | None = None  # its calculator (overseas-warehouse, first-order, eit, …)
    amount: str = ""  # the last amount given, as written ("120万"), for a calculator follow-up
    modifiers: str = ""  # what the last calculation was for (小型微利, 第2年)
    text: str = ""  # the complete question that set the topic, personal data taken out
    subject: str | None = None  # the intent that answered that question (the subject explored)
    script: str = "hans"  # the script the user writes in
    at: float = 0.0  # epoch seconds of the last message that kept the context

    def live(self, now: float) -> bool:
        return self.intent is not None and 0 <= now - self.at <= IDLE_SECONDS

    def as_dict(self) -> dict:
        # every field is a str, None or a float: a copy of the fields is what asdict() makes, at a
        # tenth of its cost (saved with every message)
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, data: dict | None) -> Context | None:
        if not isinstance(data, dict):
            return None
        known = _CONTEXT_FIELDS
        try:
            return cls(**{name: value for name, value in data.items() if name in known})
        except TypeError:
            return None


_CONTEXT_FIELDS = frozenset(f.name for f in fields(Context))


@dataclass(frozen=True)
class FollowUp:
    kind: str  # same, materials, region, sibling, amount
    region: str | None = None  # region: the place asked about
    query: str = ""  # sibling: what the message names, for ranking; region, amount: what it adds


def residue(text: str) -> str:
    """What is left of a canonical message without places, numbers and words of no topic (and
    English words: those the domain knows are already Chinese terms in canonical text)."""
    return FILLER.sub("", LATIN.sub("", NOT_TOPIC.sub("", FILLER.sub("", text))))


def topic_words(text: str) -> str:
    """The message as a query of its own: without places, 那…/…呢 and pointers (那条), everything
    else kept for the ranking, which ignores function words itself (那9810的区别呢 -> 9810的区别)."""
    return NOT_PLACE.sub("", TAIL.sub("", LEAD.sub("", POINTER.sub("", text))))


def classify(
    text: str,
    raw: str,
    context: Context | None,
    now: float,
    has_amount: bool,
    match=None,
    context_keys=frozenset(),
) -> FollowUp | None:
    """How ``text`` (canonical, personal data out) follows up on ``context``; None when it is to
    be read on its own. ``raw`` is the message as typed (simplified, lower case), ``match`` its
    ranking on its own (its out-of-scope cue, small talk and scope guard the reading),
    ``context_keys`` the key terms of the context's intent."""
    if context is None or not context.live(now) or not text:
        return None
    follow = _classify(text, raw, context, has_amount, match, context_keys)
    if (
        follow is not None
        and follow.kind in (SAME, SIBLING, REGION)
        and sure_alone(text, raw, match, context)
    ):
        return None  # a complete question the ranking alone is sure of: the context does not apply
    return follow


def sure_alone(text: str, raw: str, match, context: Context) -> bool:
    """No mark of ellipsis (那…, …呢) and the ranking alone is sure of another intent (a variant,
    按小型微利算呢, stays a follow-up: it carries the amount given earlier)."""
    top = match.top if match is not None else None
    if top is None or top.intent == context.intent or top.confidence < SURE_ALONE or MODIFIERS.search(text):
        return False
    if top.kind != "policy" and ASPECT.search(text):
        return False  # 到啥时候截止 near 你的数据截止到哪天: an aspect of the topic, not small talk
    if len(residue(ASPECT.sub("", text))) <= 1:
        # 一次性？ asks an aspect and names nothing; 找谁办 names no subject but a verb (however sure
        # a long question ending in 找谁办 makes the ranking): of the topic just discussed
        return False
    if elsewhere_unnamed(text, top, context):
        return False
    return not (ELLIPTICAL_LEAD.search(text) or NOUN_ELLIPSIS.search(text) or NOUN_ELLIPSIS.search(raw.strip()))


def _classify(
    text: str, raw: str, context: Context, has_amount: bool, match, context_keys
) -> FollowUp | None:
    if match.out_of_scope if match is not None else out_of_scope_cue(text):
        return None  # refused, whatever came before
    keys = key_terms(text) - PLACE_KEYS - (frozenset() if STANDARDS_TOPIC.search(text) else ASPECT_KEYS)
    place = detect_region(text)
    if place is None and PROVINCE.search(text):
        place = PROVINCE_OF.get(context.region or "")
    national = bool(NATIONAL_WORDS.search(text)) and not OTHER_PLACE.search(text)
    elliptical = bool(LEAD.search(text) or TAIL.search(text) or TAIL.search(raw.strip()))
    materials = bool(MATERIALS_CUE.search(text) or MATERIALS_CUE.search(raw))
    asks = bool(
        ASPECT.search(text)
        or ASPECT.search(raw)
        or QUESTION.search(text)
        or raw.rstrip().endswith(("?", "？"))
    )
    variant = bool(MODIFIERS.search(text))
    rest = residue(ASPECT.sub("", MATERIALS_CUE.sub("", MODIFIERS.sub("", text))))
    # an English sentence says more than its Chinese remainder shows: without "and …" / "what
    # about …" it is read as a question of its own, not as another part or place of the topic
    english = not HAN.search(raw) and len(LATIN.findall(raw)) >= 3 and not ENGLISH_LEAD.search(raw)
    talk = small_talk(match)
    certain = talk and (match.top.confidence >= CERTAIN_SMALL_TALK or bool(PUT_THROUGH.search(text)))
    if (
        talk
        and (certain or not (materials and len(rest) <= 2))
        and (certain or not ASPECT.search(text))
        and not has_amount
    ):
        return (
            None  # 谢谢, 转人工, 你好: small talk is answered as small talk (一共8万 含人工3万 is a figure)
        )
    if place or national:
        region = place if place and place != "other" else (NATIONAL if national else None)
        if region is None or has_amount:
            return None  # another province, or a figure with a place: a question of its own
        if region == context.region:
            if not (rest and residue(LEAD.sub("", text))) and not english:  # (什么大连高新区: What about in Dalian?)
                return FollowUp(SAME)  # 高新区呢 while on a 高新区 topic
            if len(rest) <= 4 and not english and not answered_there(match, region):
                return FollowUp(SIBLING, query=rest)  # 营口的目标: another part, same place
            return None  # a question of its own about the same place
        if match is not None and match.scope is not None and match.scope < SCOPE_FLOOR:
            return None  # 成都周末去哪玩: a place, but nothing the assistant covers
        # (对了/另外/还有 before a place and a question of its own mark no ellipsis)
        switched = bool(SWITCH_LEAD.search(text)) and not text.endswith("呢")
        if keys and (
            ((not elliptical or switched) and not keys <= context_keys) or answered_there(match, region, NAMED_THERE)
        ):
            return None  # 盘锦有没有海外仓补贴: a place and a topic of its own, a question of its own
        if english:
            return None
        if len(rest) <= 2 or (
            len(residue(text)) <= PLACE_REST and ((elliptical and not switched) or not answered_there(match, region))
        ):
            # 四川呢 / 盘锦的企业能享受不 / 营口这边有专门的扶持资金吗: this topic (or what the
            # message adds to it) in that place
            return FollowUp(REGION, region=region, query=residue(text))
        return None
    number = CLAUSE_NUMBER.search(text)
    if number and len(residue(CLAUSE_NUMBER.sub("", text))) <= 4:
        return FollowUp(CLAUSE, query=number.group(1))  # 那第8条 / 第三条: that clause of the document
    if keys:
        stripped = residue(text)
        for key in keys:
            stripped = stripped.replace(key[1:], "")
        if has_amount and not confident_elsewhere(match, context):
            # 货值50万，在海外仓压了8个月 / 服务器+主题插件 6万2: an amount, for the item just discussed
            # or for the one the message names (session.named_calculator)
            return FollowUp(AMOUNT, query=rest)
        if POINTER.search(text) and len(stripped) <= 8:
            return FollowUp(SIBLING, query=topic_words(text) or text)  # 海外仓那条说了啥
        if variant and len(stripped) <= 12 and SMALL_PROFIT.search(text):
            return FollowUp(SIBLING, query="小型微利")  # 按小型微利算会不会少交点
        if DEFINITION.search(text) and not has_amount and defined_alone(match, context):
            return None  # 1210具体是个啥模式: what a term is, asked of the term itself
        if keys <= context_keys:
            if materials and len(stripped) <= 8 and not answered_alone_here(match, context):
                return FollowUp(MATERIALS)  # 结汇的手续都有哪些
            if asks and len(stripped) <= 8 and not answered_alone(match, context):
                return FollowUp(SAME)  # 滞销多久才算: the item just discussed, named again
        if len(stripped) <= (4 if elliptical else 5 if asks else 2) and not english:
            return FollowUp(SIBLING, query=topic_words(text) or text)  # 那国际物流呢, 9810又是干嘛的
        return None
    if has_amount and (len(rest) <= 1 or not confident_elsewhere(match, context) or names_input(text, context)):
        # 去年仓租加尾程派送一共七十多万 / 货值三十万 (nothing but a figure) / 客户一年收入600万 after
        # the 4% tax (no other topic named; 一年40万 names a year, no topic): the calculator reads it
        return FollowUp(AMOUNT, query=rest)
    if materials:
        return FollowUp(MATERIALS) if len(rest) <= 10 else None
    if variant and SMALL_PROFIT.search(text):
        return FollowUp(SIBLING, query="小型微利")  # 小微企业呢: the small low-profit variant
    if (
        match is not None
        and match.scope is not None
        and match.scope < SCOPE_FLOOR
        and (not (elliptical or ASPECT.search(text)) or len(rest) >= OWN_REST)
    ):
        # reads like nothing the assistant covers (你叫什么名字, 多少钱一斤), also when it asks how
        # long or how much about a subject of its own (个体户转成公司要办多久)
        return None
    if APPLICANT.fullmatch(text):
        return FollowUp(SAME)  # 个人呢 after the training subsidy: who may apply for the same item
    if NOUN_ELLIPSIS.search(text) and not asks and not variant and 1 <= len(rest) <= 6:
        # (the words as typed: 那分公司呢 is 分公司, not the 分 left when 公司 goes as a word of no topic)
        return FollowUp(SIBLING, query=topic_words(text) or rest)  # 那评估呢, 主体培育呢: another part of the same topic
    if (
        (asks or elliptical or variant)
        and len(rest) <= 10
        and not (len(rest) >= ALONE_REST and confident_alone(match, context))
    ):
        return FollowUp(SAME)
    return None


def answered_there(match, region: str, confidence: float = 0.0) -> bool:
    """The message alone is surely about an intent of that place (营口综试区的跨境物流是怎么规划的)."""
    top = match.top if match is not None else None
    wanted = ("national", "multi") if region == NATIONAL else (region,)
    return (
        top is not None and top.jurisdiction in wanted and top.confidence >= (confidence or ALONE_CONFIDENCE)
    )


def defined_alone(match, context: Context) -> bool:
    """A question what a term is (1210具体是个啥模式) that, ranked alone, goes to another intent
    with some confidence: the national rule's own intent answers it, not the topic that mentioned it."""
    top = match.top if match is not None else None
    return (
        top is not None
        and top.intent != context.intent
        and top.jurisdiction == "national"
        and top.confidence >= DEFINED_ALONE
    )


def answered_alone(match, context: Context) -> bool:
    """A message naming the context's topic that another intent answers well on its own (the same
    question asked again after the place changed, say): it is read on its own."""
    top = match.top if match is not None else None
    return top is not None and top.intent != context.intent and top.confidence >= NAMED_ALONE_CONFIDENCE


def answered_alone_here(match, context: Context) -> bool:
    """As answered_alone, by another intent of the context's own place or level: the paperwork for
    the 4% method after the small low-profit variant is the 4% rule's, while 核定要报送啥 after 四川's
    restatement of the rule stays with 四川 (the national rule ranks first alone)."""
    top = match.top if match is not None else None
    return answered_alone(match, context) and top.jurisdiction == context.region


# what a calculator's figure is called: an amount named so is the input of the calculator just
# discussed, however sure the message alone is of another intent (客户一年收入600万 after the 4%
# deemed-profit tax is its revenue, not 外汇名录登记's 20万美元)
CALCULATOR_INPUT = {"eit": re.compile(r"收入|营收|销售额|营业额|流水|卖了|revenue|turnover|sales")}


# a kind of applicant named alone: asks whether it may apply for the item just discussed
APPLICANT = re.compile(
    r"(?:那|那么|那如果是)?(?:个人|个体户|个体工商户|自然人|外资企业|外企|国企|民企|初创企业|新企业|新注册的?企业)(?:呢|可以吗|行吗|能报吗|能申请吗|也行吗)"
)


def names_input(text: str, context: Context) -> bool:
    """The message calls its amount what the calculator just discussed takes (一年收入600万)."""
    pattern = CALCULATOR_INPUT.get(context.item or "")
    return pattern is not None and bool(pattern.search(text))


def confident_elsewhere(match, context: Context) -> bool:
    """The message, ranked alone, is surely about an intent without a calculator (外汇名录登记20万美元
    以上要登记吗): its amount is part of a question, not a figure to compute."""
    top = match.top if match is not None else None
    return (
        top is not None
        and top.kind == "policy"
        and top.intent != context.intent
        and top.confidence >= ALONE_CONFIDENCE
        and not (top.action or "").startswith("calc:")
    )  # (含人工3万 near 转人工 is still a figure)


# a message that opens by asking to be put through (转人工吧，想确认下…, please transfer me to staff):
# a person it is, whatever else it says (on canonical text: 转人工 reads 人工, English stopwords are gone)
PUT_THROUGH = re.compile(
    r"^(?:好的?|那|ok|okay)?\W*(?:请|麻烦你?|帮我|给我|能不能|可以)?(?:转|找|要|接)?(?:个|一下)?(?:人工(?!智能)|真人|客服(?!电话|热线|号码))|"
    r"^(?:ok|okay)?\W*(?:please\W+)?(?:transfer|connect|put)\W+(?:me\W+)?(?:to\W+|through\W+)*(?:a\W+|an\W+|the\W+)?(?:staff|human|person|agent|someone)",
    re.IGNORECASE,
)


def small_talk(match) -> bool:
    """The message is, on its own, small talk (谢谢, 你好, 转人工, 你的答案根据哪些文件): near one
    of its questions, or surely ranked to it."""
    top = match.top if match is not None else None
    if top is not None and PUT_THROUGH.search(match.text):
        return True  # 转人工吧，想确认下尾程: the hand-off, not the topic
    if top is None or top.kind == "policy":
        return False
    if top.intent == ABOUT_DATA and UNTIL_WHEN.search(match.text) and not OWN_SOURCES.search(match.text):
        return False  # 截止到啥时候 in a talk on a policy: that policy's term, not what the assistant holds
    return top.confidence >= 0.8 or (top.confidence >= 0.5 and top.features.get("fuzz", 0.0) >= 0.75)


ABOUT_DATA = "chat-about-data"
UNTIL_WHEN = re.compile(r"截止|到期|有效期|过期|到(?:啥|什么)时候|until when")
OWN_SOURCES = re.compile(r"你|收录|文件|数据|资料|更新|知识|sources?|data")


def elsewhere_unnamed(text: str, top, context: Context) -> bool:
    """The ranking alone goes to another place's intent, but the message names no place (谁牵头
    after 盘锦's targets ranks 四川's organisation): people name the place they switch to."""
    return top.jurisdiction in LOCAL and context.region in LOCAL and top.jurisdiction != context.region and detect_region(text) is None


def confident_alone(match, context: Context) -> bool:
    """A message that is a complete question of its own: ranked alone, one intent (another than the
    context's) is sure of it, and the message is long enough to say something by itself."""
    if match is None or match.top is None:
        return False
    top = match.top
    if elsewhere_unnamed(match.text, top, context):
        return False
    return (
        top.intent != context.intent
        and top.confidence >= ALONE_CONFIDENCE
        and match.informative >= ALONE_LENGTH
    )


def calc_item(intent) -> str | None:
    action = intent.action or ""
    return action.split(":", 1)[1] if action.startswith("calc:") else None


def applies_with(intent) -> bool:
    """The intent is the application materials of items (checklist:apply-…), not an item itself."""
    return (intent.action or "").startswith("checklist:apply-")


def checklist_of(intent) -> str | None:
    """The checklist a materials follow-up on ``intent`` gets: its own, or its item's."""
    action = intent.action or ""
    if action.startswith("checklist:"):
        return action.split(":", 1)[1]
    if action == "calc:eit":
        return "deemed-profit"
    if action.startswith("calc:"):
        return "apply-" + action.split(":", 1)[1]
    return None


def modifiers_of(text: str, intent) -> str:
    """What a calculation is for beyond the amount: 小型微利, the first-order policy year."""
    found = " ".join(MODIFIERS.findall(text))
    if "小型微利" in intent.title and "小型微利" not in found:
        found = f"{found} 小型微利".strip()
    return found


# 「谁可以申请」「找哪个部门」 after an answer: the line of that answer saying so leads the reply
# (asked-about words -> what a line answering them says, most telling first); the rest follows
ASPECT_LINES = (
    (re.compile(r"上限|最高|封顶|最多|补多少|给多少|能补|金额|多少钱"), (re.compile(r"最高|上限|封顶"), re.compile(r"万元"))),
    (re.compile(r"比例|几成|怎么算|如何算|咋算|算法"), (re.compile(r"%|比例|税率"),)),
    (
        re.compile(r"谁可以|谁能|哪些企业|什么企业|什么样的企业|哪类|条件|要求|门槛|资格"),
        (re.compile(r"^(?:对象|主体|条件|申报主体)："), re.compile(r"须|应当|符合")),
    ),
    (
        re.compile(r"找谁|哪个部门|什么部门|谁负责|谁管|联系|谁认定|谁来认定|谁审"),
        (re.compile(r"部门|主管|商务局|商务厅|税务机关|海关|负责|解释"), re.compile(r"认定")),
    ),
    (
        re.compile(r"几年|多久|多长时间|期限|有效期|到什么时候|到啥时候|截止|何时|什么时候开始|从哪天|哪天开始"),
        (re.compile(r"日起|起施行|有效期|期限|截至|\d{4}年\d{1,2}月|—\d{4}年"),),
    ),
)
BULLET = "• "


def lead_with_aspect(answer: str, text: str) -> str:
    """``answer`` with the lines that answer the aspect ``text`` asks about first, when its first
    line does not already (那上限是多少: 每年最高50万元 is there; 谁可以申请: 对象 and 主体 lead)."""
    for asked, says in ASPECT_LINES:
        if not asked.search(text):
            continue
        lines = answer.split("\n")
        if any(pattern.search(lines[0]) for pattern in says):
            return answer
        bullets = [i for i, line in enumerate(lines[1:], 1) if line.startswith(BULLET)]
        for pattern in says:
            hits = [i for i in bullets if pattern.search(lines[i][len(BULLET) :])]
            if hits:
                moved = [lines[i] for i in hits[1:]]
                rest = [line for i, line in enumerate(lines[1:], 1) if i not in hits]
                return "\n".join([lines[hits[0]][len(BULLET) :], *moved, BULLET + lines[0], *rest])
        return answer
    return answer
