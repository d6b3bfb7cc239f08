"""Input a question cannot be made of gets a polite, clear reply instead of an answer:
non-text messages, empty or over-long text, control characters, emoji only, markup only,
and attempts to give the assistant instructions. Never raises."""

from __future__ import annotations

import re
import unicodedata

from bot.conversation.messages import InboundEvent

MAX_CHARS = 2000
NOT_TEXT = "我目前只能阅读文字消息,暂时看不了图片、语音、文件、贴纸或位置。请用文字输入您的问题。"
EMPTY = "请输入您想咨询的问题,例如「海外仓费用80万能补多少」。"
TOO_LONG = "您的消息有{n}个字,超过了{limit}字的上限。请简要说明您想咨询的政策问题。"
BINARY = "消息里有无法识别的字符。请用文字重新输入您的问题。"
SYMBOLS = "我看不懂只有表情或符号的消息。请用文字描述您的问题,例如「跨境电商出口怎么退税」。"
MARKUP = "我只能回答文字问题,不处理网页代码或标记。请直接用文字描述您的问题。"
INSTRUCTION = "我只按收录的政策文件回答跨境电商政策问题,不执行其他指令。请直接输入您的政策问题。"

TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(\s[^<>]*)?/?>|<!--.*?-->|&#?\w+;", re.S)
SCRIPT = re.compile(
    r"<\s*(script|iframe|object|embed|style|svg|img|form)\b|javascript:|<[^>]*\bon[a-z]+\s*=", re.I
)
INJECTION = re.compile(
    r"ignore\s+(all\s+)?(the\s+)?(previous|prior|above)|disregard\s+(all\s+)?(previous|prior)|"
    r"system\s*prompt|you\s+are\s+now|jailbreak|\bDAN\b|"
    r"忽略(之前|以上|上面|前面|所有)的?(指令|指示|提示|规则|设定)|系统提示词|"
    r"你现在(是|扮演)|扮演.{0,10}(角色|助手)|泄露.{0,6}(提示词|密钥|数据库)|"
    r";\s*(drop|delete|truncate|alter|insert|update)\s|\bunion\s+select\b|\bor\s+1\s*=\s*1\b|\{\{.*\}\}|\$\{.*\}",
    re.I,
)


def _is_binary(text: str) -> bool:
    for char in text:
        if char in "\n\r\t":
            continue
        category = unicodedata.category(char)
        if category in ("Cc", "Cs", "Co", "Cn") or char == "\ufffd":
            return True
    return False


def _has_words(text: str) -> bool:
    """A letter or a digit of any script (Chinese characters count as letters)."""
    return any(unicodedata.category(char)[0] in "LN" for char in text)


def problem(event: InboundEvent) -> str | None:
    """The reply for input that is not a question; None when the text can be handled."""
    if event.kind not in ("text", "button"):
        return NOT_TEXT
    if event.kind == "button":
        return None if event.button else EMPTY
    text = event.text or ""
    if not text.strip():
        return EMPTY
    if len(text) > MAX_CHARS:
        return TOO_LONG.format(n=len(text), limit=MAX_CHARS)
    if _is_binary(text):
        return BINARY
    if INJECTION.search(text):
        return INSTRUCTION
    if SCRIPT.search(text) or (TAG.search(text) and not _has_words(TAG.sub(" ", text))):
        return MARKUP
    if not _has_words(text):
        return SYMBOLS
    return None


def clean(text: str) -> str:
    """Text with markup removed (a question pasted from a web page still gets its answer)."""
    return re.sub(r"\s+", " ", TAG.sub(" ", text)).strip() if TAG.search(text) else text.strip()
