"""A page whose 0°/180° answer rests on too little evidence: nothing read on it is certain.

``review_matrix_page_tiny_headers.png``: a sheet printout (LibreOffice Calc) photographed through
a scanner app, black and white, 170 dpi: one review/litigation matrix at the top of an
otherwise empty page, its headers 9 px bold and unreadable. The line classifier gave two
confident votes for "upside down" and the page was turned over on them; its one value row
"1 0 0 0 1 0 … 0" was then read backwards, the 1s landing in 复议后起诉, and the group rules
(结果维持 + … = 总计), symmetric under that reversal, confirmed them at 0.99: two silent errors.
The page now stays as it came and every cell read on it is placed at most
``confidence.page_turn_unsure_placement``, below what arithmetic may confirm.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import pytest

from nianbao.confidence import fold
from nianbao.models import FactorCode
from nianbao.scan import read_page
from nianbao.settings import Settings

DATA = Path(__file__).parents[1] / "data" / "scan"
PAGE = DATA / "review_matrix_page_tiny_headers.png"


@pytest.mark.slow
def test_upside_down_review_row_is_not_confirmed_by_symmetric_rules() -> None:
    settings = Settings()
    res = read_page(cv2.imread(str(PAGE)), 1, 170.0, settings)
    assert res.info.rotation == 0 and not res.info.half_turn_sure
    table_cells = [c for r in res.rows if r.kind == "table" for c in r.cells]
    assert table_cells and all(any(f.code == FactorCode.page_turn_unsure for f in c.factors) for c in table_cells)
    # placed at most the cap, below what the consistency rules may lift into certainty
    cap = fold(1.0, table_cells[0].factors, "placement", settings.confidence)
    assert cap == settings.confidence.page_turn_unsure_placement < settings.confidence.min_placement_to_confirm
