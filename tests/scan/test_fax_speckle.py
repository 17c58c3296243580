"""A 1-bit fax page (speckle, toner spread, jagged rules): the review/litigation matrix's
fifteen values were lost because speckle between the numbers made the word detector join
them across the printed walls, and those joined boxes were then taken as proof that the
walls cut words, so the line grid was set aside for a word grid with merged cells
(world2031 report 020, page 5; the page image is its top half, as scanned)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from nianbao.layout import binarize, speck_mask, to_gray
from nianbao.layout.text import estimate_char_height
from nianbao.settings import Settings

DATA = Path(__file__).parents[1] / "data" / "scan"
TRUTH = ["1", "0", "0", "0", "1", "0", "0", "0", "0", "0", "0", "0", "0", "0", "0"]


@pytest.fixture(scope="module")
def fax_page():
    from nianbao.scan import read_page

    img = cv2.imread(str(DATA / "fax_speckle_reviews.png"))
    return img, read_page(img, 1, 200.0, Settings())


def test_fax_speckle_does_not_join_words_across_printed_walls(fax_page) -> None:
    _, res = fax_page
    st = next(st for st in res.structures if st.line_grid is not None and st.line_grid.n_cols == 15)
    assert st.chosen == "lines" and not st.faults  # the printed walls stand
    values = [r for r in res.rows if r.kind == "table"][-1]
    assert len(values.cells) == 15
    sure = [(c.text, t) for c, t in zip(values.cells, TRUTH) if c.confidence >= 0.9]
    assert len(sure) >= 12 and all(text == t for text, t in sure)


def test_speck_mask_takes_the_fax_speckle_and_no_ink_of_glyphs_or_rules(fax_page) -> None:
    img, _ = fax_page
    ink = binarize(to_gray(img))
    char_h = estimate_char_height(ink)
    p = Settings().layout
    specks = speck_mask(ink, char_h, p.speck_area, p.speck_reach)
    n_all, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    n_left, _ = cv2.connectedComponents(np.where(specks, 0, ink).astype(np.uint8), connectivity=8)
    assert n_all - n_left > 500  # a fax page's speckle goes ...
    # ... and nothing within reach of a glyph or a rule does
    big = (stats[:, cv2.CC_STAT_AREA] >= p.speck_area * char_h * char_h)[labels] & (ink > 0)
    r = max(1, round(p.speck_reach * char_h))
    near = cv2.dilate(big.astype(np.uint8), np.ones((2 * r + 1, 2 * r + 1), np.uint8)) > 0
    assert not (specks & near).any()
