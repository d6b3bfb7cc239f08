"""One splitter for any policy text: clauses from the document's own numbering.

``policy add`` reads a new document with this, so it must need nothing document-specific.
It finds the document in the text (a file may hold several, like yingkou-panjin-2020.txt),
then reads the numbering levels 一、 (一) 1. (1) and 第X条:

- flat: when the deepest level counts straight through the document (1.…21. across the
  sections, (一)…(二十) across 一、…四、), an item's id is its number; the sections around
  the items take names (``scope`` 适用范围, ``general`` 总体要求, ``annex`` 附则, ``closing`` for
  组织保障 or whatever follows the last item, its numbered parts ``closing.1``…);
- nested: when the numbering restarts in each section, the levels are joined with dots
  (二、(一) 1. -> ``2.1.1``); a (一) that only heads numbered items is not a clause itself;
- 第X条 articles are numbered straight through by definition.

Text before the first numbered part is the ``preamble``. The clause ids are those of
policy_faq/documents/SOURCES.md, and tests run the six seed documents through this.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from policy_faq.corpus import L1, L2, L3, SENTENCE_END, chinese_number, clean_lines, heading_of

L4 = re.compile(r"^[（(](\d{1,2})[）)]\s*(.*)$")
ARTICLE = re.compile(r"^第([一二三四五六七八九十百零〇\d]+)条\s*(.*)$")
END_MARKS = re.compile(r"^(?:【责任编辑|来源[:：]|审核[:：]|责任编辑[:：])")
SECTION_NAMES = (  # an unnumbered section's name, by the words of its heading
    ("适用范围", "scope"), ("附则", "annex"), ("总体要求", "general"), ("指导思想", "general"),
    ("组织保障", "closing"), ("保障措施", "closing"), ("组织实施", "closing"), ("组织领导", "closing"),
)  # fmt: skip
BRACKETS = str.maketrans({"（": "(", "）": ")", "《": "", "》": "", "：": ":", "，": ","})
Parts = Iterator[tuple[str, str, list[str]]]  # (clause id, heading or "", lines)


def plain_line(line: str) -> str:
    """A line without markdown heading and bold marks (the 高新区 text is markdown)."""
    return re.sub(r"^#+\s*", "", line).replace("**", "").strip()


def _key(text: str) -> str:
    return re.sub(r"\s+", "", text.translate(BRACKETS))


def _number(text: str) -> int:
    if text.isdigit():
        return int(text)
    text = text.replace("零", "").replace("〇", "")
    if "百" in text:
        hundreds, _, rest = text.partition("百")
        return chinese_number(hundreds) * 100 + (chinese_number(rest) if rest else 0)
    return chinese_number(text)


def level_of(line: str) -> tuple[str, int, str] | None:
    """(level, number, rest) of a numbered line: L1 一、, L2 (一), L3 1., L4 (1), A 第X条."""
    for name, pattern in (("A", ARTICLE), ("L1", L1), ("L2", L2), ("L4", L4), ("L3", L3)):
        if match := pattern.match(line):
            try:
                return name, _number(match.group(1)), match.group(2)
            except KeyError:
                return None
    return None


def _title_like(line: str) -> bool:
    """A short line that is no sentence: a title, (征求意见稿), (2026—2028年), a date."""
    return len(line) <= 40 and not re.search(r"[。；;]", line) and level_of(line) is None


def find_body(lines: list[str], title: str | None) -> list[str]:
    """The lines of the document called ``title``: from after its title line to the next
    document in the same file (a title line before 一、 starting again) or an end mark."""
    starts = [i for i, line in enumerate(lines) if level_of(line) and level_of(line)[:2] == ("L1", 1)]
    # each 一、 opens a document; its title is the last title-like line before that document's text
    begin = 0
    if title:
        key = _key(title)
        hits = [i for i, line in enumerate(lines) if len(_key(line)) >= 8 and (key.startswith(_key(line)) or _key(line).startswith(key))]
        before_first_item = [i for i in hits if not starts or i < starts[0]]
        later = [i for i in hits if starts and i > starts[0]]
        if later:  # a second document in the file: its title comes after the first one's items
            begin = later[-1] + 1
        elif before_first_item:
            begin = before_first_item[-1] + 1
    body = lines[begin:]
    end = len(body)
    for i, line in enumerate(body):
        if END_MARKS.match(line):
            end = i
            break
    body = body[:end]
    # a next document: a title line followed (after its preamble) by 一、 once more
    seen_l1 = False
    for i, line in enumerate(body):
        found = level_of(line)
        if found and found[0] == "L1":
            if found[1] == 1 and seen_l1:
                j = i - 1
                while j > 0 and not _title_like(body[j]):
                    j -= 1
                body = body[:j]
                break
            seen_l1 = True
    # what follows the title: (征求意见稿), (2026—2028年), the addressee (各省…人民政府:)
    start = 0
    while start < len(body) and (_title_like(body[start]) or (len(body[start]) <= 60 and body[start].endswith((":", "：")))):
        if level_of(body[start]):
            break
        start += 1
    return body[start:]


def split_text(raw: str, title: str | None = None) -> Parts:
    """(clause id, heading, lines) of the document called ``title`` in ``raw``."""
    lines = [line for line in find_body([plain_line(line) for line in clean_lines(raw)], title) if line]
    numbered = [(i, found) for i, line in enumerate(lines) if (found := level_of(line))]
    if not numbered:
        yield "preamble", "前言", lines
        return
    first = numbered[0][0]
    if first:
        yield "preamble", "前言", lines[:first]
    levels = {found[0] for _, found in numbered}
    if "A" in levels:
        yield from _merged(_flat(lines[first:], "A", numbered_above=()))
        return
    present = [name for name in ("L1", "L2", "L3", "L4") if name in levels]
    for level in reversed(present):
        if (level != "L1" or present == ["L1"]) and _straight(lines, level):
            yield from _merged(_flat(lines[first:], level, numbered_above=present[: present.index(level)]))
            return
    yield from _merged(_nested(lines[first:]))


def _straight(lines: list[str], level: str) -> bool:
    """Does ``level`` count 1, 2, 3… through the document, across two sections or more (up to a
    closing section, 组织保障 or 附则, which may number its own parts again)?"""
    order = ("L1", "L2", "L3", "L4")
    run, parent, parents = 0, None, set()
    for i, line in enumerate(lines):
        found = level_of(line)
        if not found or found[0] not in order:
            continue
        if found[0] == "L1" and level != "L1" and _section_name(found[2], "") in ("closing", "annex") and run:
            break
        if order.index(found[0]) < order.index(level):
            parent = i  # the heading the next items stand under
        elif found[0] == level:
            if found[1] != run + 1:
                return False
            run = found[1]
            parents.add(parent)
    return run >= 2 and (len(parents) >= 2 or parents == {None})


def _section_name(heading: str, default: str) -> str:
    for words, name in SECTION_NAMES:
        if words in heading:
            return name
    return default


def _merged(parts: Parts) -> Parts:
    """Parts in order, empty ones dropped, two parts of one id (two unnamed sections before
    the first item are both ``general``) joined."""
    seen: dict[str, tuple[str, str, list[str]]] = {}
    for clause_id, heading, lines in parts:
        if not lines:
            continue
        if clause_id in seen:
            seen[clause_id][2].extend(lines)
        else:
            seen[clause_id] = (clause_id, heading, list(lines))
    yield from seen.values()


def _flat(lines: list[str], item_level: str, numbered_above: list[str] | tuple) -> Parts:
    """Items numbered straight through; the sections before, between and after them take names."""
    current: tuple[str, str, list[str]] | None = None  # the clause being read
    tail: list[str] = []  # paragraphs after an item's last sentence: the item's, or the closing's
    last_item = 0
    in_closing = False
    for line in lines:
        found = level_of(line)
        name = found[0] if found else None
        if name == item_level and found[1] == last_item + 1 and not in_closing:
            if current:
                yield current[0], current[1], current[2] + tail
            tail, last_item = [], found[1]
            current = (str(found[1]), "", [line])
        elif name in numbered_above or (name == item_level and in_closing):
            heading = found[2].rstrip("。").strip()
            named = _section_name(heading, "")
            if in_closing and (not named or name != "L1"):  # a numbered part of the closing section
                if current:
                    yield current
                current = (f"closing.{found[1]}", "", [line])
                continue
            if current:
                yield current[0], current[1], current[2] + tail
            tail = []
            if last_item == 0:
                current = (named if named in ("scope", "annex") else "general", heading, [])
            elif named:
                in_closing = named == "closing"
                current = (named, heading, [])
            else:
                current = None  # a heading over the next items: not a clause
        elif current and current[0].isdigit() and (tail or current[2][-1][-1] in SENTENCE_END) and name is None:
            tail.append(line)  # maybe the item's next paragraph, maybe the closing text
        elif current:
            current[2].append(line)
        else:
            current = ("closing" if last_item else "general", "", [line])
    if current and tail and current[0].isdigit():
        yield current
        yield "closing", "组织实施", tail
    elif current:
        yield current[0], current[1], current[2] + tail


def _nested(lines: list[str]) -> Parts:
    """一、(一) 1. joined with dots: 二、(一) 1. -> 2.1.1; a (一) that only heads numbered items
    is no clause of its own; (1) and deeper stay in the text of their clause."""
    level1 = level2 = 0
    current: tuple[str, str, list[str]] | None = None
    for line in lines:
        found = level_of(line)
        name = found[0] if found else None
        if name == "L1":
            level1, level2 = found[1], 0
            if current:
                yield current
            current = (str(level1), found[2].rstrip("。"), [])  # kept only when text follows
        elif name == "L2":
            level2 = found[1]
            if current:
                yield current
            current = (f"{level1}.{level2}", heading_of(found[2]), [line])
        elif name == "L3":
            if current and current[0].count(".") == 1 and len(current[2]) == 1:
                current = None  # (一) was only a heading over numbered items
            if current:
                yield current
            current = (f"{level1}.{level2}.{found[1]}" if level2 else f"{level1}.{found[1]}", "", [line])
        elif current:
            current[2].append(line)
    if current:
        yield current
