"""One classifier for "does this text read as a value?" (``numbers.classify``)."""

import pytest

from nianbao.numbers import VALUE_CLASSES, ValueClass, classify, parse_cell, parse_typed
from nianbao.models import CellKind


@pytest.mark.parametrize(
    "text, cls",
    [
        ("", ValueClass.blank),
        ("  ", ValueClass.blank),
        ("0", ValueClass.zero),
        ("０", ValueClass.zero),
        ("12", ValueClass.value),
        ("1,234", ValueClass.value),
        ("328.65万元", ValueClass.value),
        ("-8", ValueClass.value),
        ("1O", ValueClass.value),  # look-alike letter: a value read with lowered confidence
        ("O", ValueClass.zero),  # a lone look-alike of 0: the second look settles it
        ("—", ValueClass.dash),
        ("/", ValueClass.dash),
        ("无", ValueClass.dash),
        ("一", ValueClass.dash),  # how OCR reads a printed "—"
        ("1a2", ValueClass.garbled),
        ("1.重复申请", ValueClass.label),
        ("5件以上", ValueClass.label),
        ("自然人", ValueClass.label),
        ("ABCDEFGHIJKLMNOP1", ValueClass.label),
    ],
)
def test_classify_names_what_a_cell_holds(text, cls):
    assert classify(text) == cls


def test_a_label_is_the_only_class_that_is_not_a_value():
    assert set(ValueClass) - VALUE_CLASSES == {ValueClass.label, ValueClass.blank}


def test_classify_agrees_with_the_cell_parser_on_numbers():
    for text in ["0", "7", "1,024", "12.5", "3万元"]:
        kind = parse_cell(text).kind
        assert kind in (CellKind.number, CellKind.zero)
        assert classify(text) in (ValueClass.value, ValueClass.zero)


@pytest.mark.parametrize("text", ["12元", "1a2元", "一1", "第1"])
def test_garbled_digits_carry_no_chinese_at_all(text):
    """Digits that do not parse are a garbled value only with no Chinese beside them (the rule
    assembly's label/value split has always used): "1a2元" is a label's fragment, not a value."""
    assert classify(text) == (ValueClass.value if text == "12元" else ValueClass.label)


@pytest.mark.parametrize(
    "text, cls",
    [
        ("12", ValueClass.value),
        ("1,234", ValueClass.value),
        ("-8", ValueClass.value),
        ("３２８．６５", ValueClass.value),
        ("12.5万元", ValueClass.value),
        ("0", ValueClass.zero),
        ("1O", ValueClass.garbled),  # a look-alike letter is a repair, not a printed number
        ("O", ValueClass.garbled),
        ("5。", ValueClass.garbled),
        ("—", ValueClass.dash),
        ("", ValueClass.blank),
        ("自然人", ValueClass.label),
    ],
)
def test_as_printed_takes_no_repairs(text, cls):
    assert classify(text, as_printed=True) == cls


@pytest.mark.parametrize(
    "typed, value",
    [("12", 12), ("-8", -8), ("1,234", 1234), ("328.65", 328.65), ("１２", 12), ("－8", -8), (" 7 ", 7),
     ("-", None), ("—", None), ("/", None), ("无", None)],
)
def test_a_reviewers_typed_value(typed, value):
    assert parse_typed(typed) == value
    assert type(parse_typed(typed)) is type(value)


@pytest.mark.parametrize("typed", ["", "abc", "1O", "1,23", "12件", "1.2.3"])
def test_a_typed_value_that_is_no_number_is_refused(typed):
    with pytest.raises(ValueError):
        parse_typed(typed)


def test_number_with_a_speck_beside_it_is_read_with_the_speck_left_out():
    """Spent mix2039 typeset copier 059: active-disclosure cells read "501•", "。348" and an
    application cell "·0" were unreadable, three values lost. A speck at a number's start or
    end is no part of it: the number is read, its reading less sure (speck_dropped). A decimal
    point stays (".67" may be 0.67 with its 0 lost) and so does a speck between digits."""
    from nianbao.models import FactorCode
    from nianbao.numbers import ValueClass, classify, parse_cell

    for text, value in [("501•", 501), ("。348", 348), ("·0", 0), ("0：", 0), ("• 12 ·", 12)]:
        pv = parse_cell(text)
        assert pv.value == value, text
        assert [f.code for f in pv.factors] == [FactorCode.speck_dropped], text
        assert classify(text) in (ValueClass.value, ValueClass.zero)
        assert classify(text, as_printed=True) == ValueClass.garbled
    assert parse_cell(".67").value is None
    assert parse_cell("5•01").value is None
    assert parse_cell("•").value is None and classify("•") != ValueClass.value
