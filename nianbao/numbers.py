"""Reading one printed cell: the number, its unit, what kind of statement it is, and how
sure the reading is (full-width digits, separators, negatives, units, dashes, look-alikes)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from enum import Enum

from nianbao.models import CellKind, CellNote, ConfidenceFactor, FactorCode, NoteCode
from nianbao.wording import factor, note

DASHES = {"—", "——", "-", "--", "－", "/", "／", "无", "―", "─", "–", "一"}
_LOOKALIKES = str.maketrans({"O": "0", "o": "0", "〇": "0", "D": "0", "Q": "0", "l": "1", "I": "1", "|": "1",
                             "i": "1", "Z": "2", "z": "2", "S": "5", "s": "5", "B": "8", "b": "6", "g": "9", "q": "9"})
_UNIT_RE = re.compile(r"(万元|元|件|条|项|个)$")
_NUMBER_RE = re.compile(r"^[+-]?\d+(\.\d+)?$")
# specks a scan leaves beside a number (dust, a dot of a dotted rule): never part of a value
# ("." and "," are left alone, a decimal point and a thousands separator)
_SPECKS = "•·。：:∙⋅°'"
_SEPARATOR_RE = re.compile(r"(?<=\d)[,，、'’`](?=\d{3}(\D|$))")


@dataclass
class ParsedValue:
    value: float | int | None
    kind: CellKind
    unit: str | None = None
    factors: list[ConfidenceFactor] = field(default_factory=list)  # what makes the reading less sure (the ledger)
    notes: list[CellNote] = field(default_factory=list)  # what was done to the text that does not make it less sure


def normalize_text(text: str) -> str:
    """NFKC (full-width digits and brackets to ASCII), drop inline markup and spaces."""
    t = unicodedata.normalize("NFKC", text or "")
    t = re.sub(r"<[^>]+>", "", t)
    return re.sub(r"\s+", "", t)


def parse_cell(text: str, signed: bool = False, count: bool = False) -> ParsedValue:
    """Parse the text of one value cell. ``signed`` allows negatives (本年增/减). ``count``: the
    template's column holds a count (件, 条, 项: not money), a whole number, so a "." before its
    digits is no decimal point but a speck (".50", ".1·." on copier scans: spent mix2045 typeset
    copier 033, sheet copier 032); in a money column it stays (".67" may be 0.67 with its 0 lost)."""
    raw = text or ""
    t = normalize_text(raw).strip("*_`")
    if t == "":
        return ParsedValue(None, CellKind.blank)
    if t in DASHES or set(t) <= {"-", "—", "－", "/", "／"}:
        return ParsedValue(None, CellKind.dash)
    notes: list[CellNote] = []
    factors: list[ConfidenceFactor] = []
    unit = None
    t = t.rstrip("。.，,")  # a full stop after the unit ("0元..")
    m = _UNIT_RE.search(t)
    if m and len(t) > len(m.group(1)):
        unit = m.group(1) if m.group(1) in ("元", "万元") else None
        t = t[: m.start()]
    t = t.rstrip("。.，,")
    # specks on either side, however many and however mixed with full stops ("•0.:", ".1·.");
    # a look-alike letter counts as a digit here ("O·"), it is read as one below
    bare, prev = t, None
    while bare != prev:
        prev = bare
        bare = bare.strip(_SPECKS).rstrip("。.，,")
        if count:
            bare = bare.lstrip(".")
    ends = bare.translate(_LOOKALIKES)
    if bare != t and bare and ends[0].isdigit() and ends[-1].isdigit():
        factors.append(factor(FactorCode.speck_dropped, read=t, digits=bare))
        t = bare
    t2 = _SEPARATOR_RE.sub("", t)
    if t2 != t:
        notes.append(note(NoteCode.thousands_removed))
        t = t2
    if t.startswith("+"):
        t = t[1:]
    if not _NUMBER_RE.match(t):
        fixed = t.translate(_LOOKALIKES)
        if _NUMBER_RE.match(fixed) and any(ch.isdigit() for ch in t):
            factors.append(factor(FactorCode.lookalike, read=t, digits=fixed))
            t = fixed
        elif _NUMBER_RE.match(fixed) and len(t) == 1:
            factors.append(factor(FactorCode.single_lookalike, read=t, digits=fixed))
            t = fixed
        else:
            has_digit = any(ch.isdigit() for ch in t)
            return ParsedValue(None, CellKind.unreadable if has_digit else CellKind.text, unit,
                               [factor(FactorCode.not_a_number, text=raw.strip())])
    if t.startswith("-") and not signed:
        factors.append(factor(FactorCode.negative_count))
    value: float | int = float(t) if "." in t else int(t)
    kind = CellKind.zero if value == 0 else CellKind.number
    return ParsedValue(value, kind, unit, factors, notes)


class ValueClass(str, Enum):
    """What the text of one table cell is, as far as its characters tell.

    The one answer to "does this text read as a value?" for every stage (scan, assembly,
    review): a stage picks the classes it accepts, it does not re-derive them.
    """

    value = "value"  # a number other than 0 (look-alike letters allowed: "1O" is 10)
    zero = "zero"
    blank = "blank"  # nothing printed
    dash = "dash"  # "—", "/", "无", and 一 (how OCR reads a printed "—")
    garbled = "garbled"  # digits with characters that make no number ("1a2"): a value OCR garbled
    label = "label"  # words: a row or column label, a heading, a note


# the classes a printed value cell can hold (a label is the only thing that is not a value)
VALUE_CLASSES = frozenset({ValueClass.value, ValueClass.zero, ValueClass.dash, ValueClass.garbled})
# the classes that fill a value cell as it should be filled: a number, 0, a dash or nothing
WELL_FORMED_CLASSES = frozenset({ValueClass.value, ValueClass.zero, ValueClass.dash, ValueClass.blank})
# the classes that are a number (what a re-read must agree on, what a person may type)
NUMBER_CLASSES = frozenset({ValueClass.value, ValueClass.zero})
_CJK = re.compile(r"[\u4e00-\u9fff]")


def has_chinese(text: str) -> bool:
    """Whether ``text`` holds a Chinese character (CJK unified ideographs): a label's mark, as
    ``classify`` tells labels from numbers and garble."""
    return _CJK.search(text) is not None

_MAX_GARBLED_LEN = 12  # longer digit-and-letter strings are notes or codes, not a misread cell
# a number exactly as printed or typed, once separators are out: sign, digits, decimal point, 元/万元
_AS_PRINTED_RE = re.compile(r"^[+-]?\d+(\.\d+)?(万元|元)?$")


def classify(text: str, *, as_printed: bool = False) -> ValueClass:
    """Classify a cell's text by one rule.

    Empty is blank; a dash character is a dash; text that parses as a number (units 元/万元,
    thousands separators, look-alike letters and signs allowed) is a value or zero, unless it
    carries Chinese characters other than its unit — then it is a label ("5件以上", "1.重复申请");
    digits that do not parse, with no Chinese at all and at most 12 characters, are garbled;
    anything else is a label.

    ``as_printed``: no repairs — a value or zero must be written as a plain number (sign, digits,
    decimal point, thousands separators, unit 元/万元); what parses only after a repair (look-alike
    letters "1O", stray punctuation "5。") is garbled. For text that is exact evidence (a
    person's typed correction) or for telling a clean OCR reading from one to look at again.
    """
    t = normalize_text(text)
    if t == "":
        return ValueClass.blank
    pv = parse_cell(t, signed=True)
    if pv.kind == CellKind.blank:
        return ValueClass.blank
    if pv.kind == CellKind.unreadable:
        return ValueClass.garbled if not _CJK.search(t) and len(t) <= _MAX_GARBLED_LEN else ValueClass.label
    if _CJK.search(t.replace("万元", "").replace("元", "").replace("无", "").replace("一", "")):
        return ValueClass.label
    if pv.kind == CellKind.dash:
        return ValueClass.dash
    if pv.kind not in (CellKind.zero, CellKind.number):
        return ValueClass.label
    if as_printed and not _AS_PRINTED_RE.match(_SEPARATOR_RE.sub("", t)):
        return ValueClass.garbled
    return ValueClass.zero if pv.kind == CellKind.zero else ValueClass.value


SPACED_NUMBERS = re.compile(r"[-+]?\d+(?:\.\d+)?(?:\s+[-+]?\d+(?:\.\d+)?)+")


def value_like(text: str) -> bool:
    """A cell that reads as a value (number, dash, digits garbled by OCR) rather than a label or
    nothing: :func:`classify`'s value classes; also a cell holding several numbers apart (a scan
    that lost the walls between them)."""
    if text and SPACED_NUMBERS.fullmatch(text.strip()):
        return True
    return classify(text) in VALUE_CLASSES


def parse_typed(text: str) -> float | int | None:
    """A value a person typed (a reviewer's correction): "12", "-8", "1,234", "328.65", full-width
    digits; a dash ("-", "—", "/", "无") means blank, no number. Read by :func:`classify` with
    ``as_printed`` (a typed "1O" is a typing error, not a look-alike to repair); anything else,
    empty text included, raises ``ValueError``."""
    cls = classify(text, as_printed=True)
    if cls == ValueClass.dash:
        return None
    if cls not in NUMBER_CLASSES:
        raise ValueError(f"not a number: {text!r}")
    return parse_cell(text, signed=True).value


def to_wan(value: float | int | None, unit: str | None) -> float | None:
    """Money in 万元 when the unit is known."""
    if value is None or unit is None:
        return None
    if unit == "万元":
        return float(value)
    if unit == "元":
        return round(float(value) / 10000.0, 6)
    return None
