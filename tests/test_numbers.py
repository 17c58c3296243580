"""One classifier for "does this text read as a value?" (``numbers.classify``)."""

import pytest

from nianbao.numbers import VALUE_CLASSES, ValueClass, classify, parse_cell
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
