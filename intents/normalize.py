"""Text normalisation shared by matching, search and validation.

Full-width to half-width, traditional to simplified, lower case, punctuation and spaces removed.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

import zhconv
import zhconv.zhconv as _zhconv_module

# zhconv opens its bundled dictionary without closing it (a ResourceWarning); given a path it
# reads the same file inside a ``with`` block.
_zhconv_module.loaddict(str(Path(_zhconv_module.__file__).with_name("zhcdict.json")))

PUNCTUATION = re.compile(r"[\s\u3000\W_]+", re.UNICODE)


@lru_cache(maxsize=65536)
def normalize(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)  # full-width letters, digits and punctuation -> half-width
    text = zhconv.convert(text, "zh-cn")
    text = text.lower()
    return PUNCTUATION.sub("", text)


def char_ngrams(text: str, sizes: tuple[int, ...] = (1, 2)) -> list[str]:
    """Character n-grams of normalised text; Latin words and numbers stay whole tokens."""
    tokens: list[str] = []
    for chunk in re.findall(r"[a-z0-9.]+|[^a-z0-9.]+", text):
        if chunk[0].isascii():
            tokens.append(chunk)
            continue
        for size in sizes:
            tokens.extend(chunk[i : i + size] for i in range(len(chunk) - size + 1))
    return tokens
