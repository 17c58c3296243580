"""Fuzzy matching of printed labels against template labels, robust to OCR garble.

Labels are normalised (NFKC, quotes, brackets, spaces, markup). Similarity is a weighted
bag-of-characters and bag-of-bigrams overlap: characters shared by many template labels
("政府信息公开申请数量") weigh little, distinctive ones ("新收" vs "结转") weigh much, so a
label survives a few garbled characters and extra text from merged header cells.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable

_DROP = re.compile(r"[\s\"'“”‘’「」《》<>*#_`|、，,。.:：;；!！?？·\-—/／\\]+")
_ENUM = re.compile(r"^(?:[一二三四五六七八九十]+、|\(?[一二三四五六七八九十]+\)|\d+\.)")


def normalize_label(text: str) -> str:
    """Canonical form for comparison: NFKC, no markup, quotes, punctuation or spaces."""
    t = unicodedata.normalize("NFKC", text or "")
    t = re.sub(r"<[^>]+>", "", t)
    t = t.replace("（", "(").replace("）", ")")
    return _DROP.sub("", t)


def strip_enumeration(label: str) -> str:
    """Drop a leading enumeration ("一、", "(三)", "2.") from a normalised label."""
    return _ENUM.sub("", label)


def _bigrams(s: str) -> list[str]:
    return [s[i : i + 2] for i in range(len(s) - 1)]


class LabelMatcher:
    """Scores printed text against a fixed set of template labels (one vocabulary per table)."""

    def __init__(self, vocabulary: Iterable[str]):
        labels = [strip_enumeration(normalize_label(v)) for v in vocabulary]
        n = max(len(labels), 1)
        char_df: Counter[str] = Counter()
        big_df: Counter[str] = Counter()
        for lab in labels:
            char_df.update(set(lab))
            big_df.update(set(_bigrams(lab)))
        self._char_idf = {c: math.log(1 + n / df) for c, df in char_df.items()}
        self._big_idf = {b: math.log(1 + n / df) for b, df in big_df.items()}
        self._default_idf = math.log(1 + n)

    def _weights(self, items: list[str], idf: dict[str, float]) -> Counter[str]:
        w: dict[str, float] = {}
        for it in items:
            w[it] = w.get(it, 0.0) + idf.get(it, self._default_idf)
        return Counter(w)

    def score(self, alias: str, text: str) -> float:
        """How well ``text`` contains ``alias`` (0..1); mostly recall of the alias, a little precision."""
        a = strip_enumeration(normalize_label(alias))
        t = normalize_label(text)
        if not a or not t:
            return 0.0
        if a in t:
            recall = 1.0
        else:
            recall = 0.5 * self._overlap(list(a), list(t), self._char_idf) + 0.5 * self._overlap(
                _bigrams(a), _bigrams(t), self._big_idf
            ) if len(a) > 1 else self._overlap(list(a), list(t), self._char_idf)
        precision = self._overlap(list(t), list(a), self._char_idf)
        return 0.8 * recall + 0.2 * precision

    def best(self, aliases: Iterable[str], text: str) -> float:
        return max((self.score(a, text) for a in aliases), default=0.0)

    def _overlap(self, a_items: list[str], t_items: list[str], idf: dict[str, float]) -> float:
        if not a_items:
            return 0.0
        wa = self._weights(a_items, idf)
        ca, ct = Counter(a_items), Counter(t_items)
        total = sum(wa.values())
        hit = sum(wa[x] * min(1.0, ct[x] / ca[x]) for x in ca if x in ct)
        return hit / total if total else 0.0
