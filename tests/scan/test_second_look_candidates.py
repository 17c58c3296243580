"""Which OCR readings of a cell get a second look (``scan._second_look``), asked of the one value
classifier (``numbers.classify``) rather than a digit count of scan's own."""

from __future__ import annotations

import pytest

from nianbao.scan import _is_clean_number, _is_numberish


@pytest.mark.parametrize("text", [": 0.", "0..", "1a2", "12", "0", "O", "〇", "。", "1,234"])
def test_digits_with_stray_marks_get_a_second_look(text):
    """": 0." and "0.." (a fax's specks around a lone 0) were skipped by the old digits-per-character
    rule, so the cell stayed unread; they are garbled digits, exactly what a second look settles."""
    assert _is_numberish(text)


@pytest.mark.parametrize("text", ["", "自然人", "第1", "2020年", "—", "/", "abc"])
def test_labels_dashes_and_blanks_get_no_second_look(text):
    assert not _is_numberish(text)


@pytest.mark.parametrize("text, clean", [("12", True), ("-3", True), ("1,234", True), ("3.5万元", True),
                                         ("1O", False), ("0..", False), (": 0.", False), ("—5", False)])
def test_a_clean_reading_is_a_number_as_printed(text, clean):
    assert _is_clean_number(text) is clean
