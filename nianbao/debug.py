"""``nianbao debug``: one page with what every stage saw — the detected grid and text lines
(scanned pages), and each canonical cell's id, value and confidence drawn at its box — so a
person can see why a cell came out wrong (as pdfplumber's visual debugging does)."""

from __future__ import annotations

from pathlib import Path

from nianbao.debug_draw import Label, save_page
from nianbao.errors import InputFileError
from nianbao.ingest import iter_page_images, render_page
from nianbao.models import Report
from nianbao.pipeline import parse_file
from nianbao.settings import Settings


def cell_labels(report: Report, page: int) -> list[Label]:
    """A label per canonical cell printed on ``page``: "row.col=value" coloured by confidence."""
    labels = []
    for cell in report.cells():
        if cell.page == page and cell.bbox is not None:
            value = "∅" if cell.value is None else cell.value
            labels.append(Label(cell.bbox, f"{cell.row}.{cell.col}={value}", cell.confidence))
    return labels


STAGES = ("cells", "page")  # what ``nianbao debug --stage`` can draw


def debug_page(path: str | Path, page: int, out: str | Path, settings: Settings | None = None,
               report: Report | None = None, stage: str = "cells") -> Path:
    """Parse ``path`` (unless ``report`` is given) and write the debug picture of ``page``.

    ``stage``: "cells" (default) draws grids, text lines and every canonical cell; "page"
    draws how a scanned or photographed page was prepared (page quad, flat page, traced lines,
    curl displacement; see ``debug_draw.draw_page_stage``) without parsing the report."""
    settings = settings or Settings()
    if stage not in STAGES:
        raise ValueError(f"unknown debug stage {stage!r} (stages: {', '.join(STAGES)})")
    if stage == "page":
        return _debug_page_stage(path, page, out, settings)
    report = report or parse_file(path, settings)
    info = next((p for p in report.pages if p.number == page), None)
    if info is None:
        raise InputFileError(str(path), f"no page {page} with page geometry (pages: {[p.number for p in report.pages]})")
    grids, lines = [], []
    if info.source == "scan":
        from nianbao.scan import read_page

        raw = next(p for p in iter_page_images(path, settings) if p.number == page)
        res = read_page(raw.image, page, raw.dpi, settings, keep_image=True)
        image, grids, lines = res.image, res.grids, res.text_lines
    else:
        image = render_page(path, page, info.dpi, info.rotation, info.skew, settings, warp=info.warp)
    return save_page(out, image, grids=grids, text_lines=lines, labels=cell_labels(report, page))


def _debug_page_stage(path: str | Path, page: int, out: str | Path, settings: Settings) -> Path:
    """The ``page`` stage's picture of one page image of ``path``."""
    import cv2

    from nianbao.debug_draw import draw_page_stage
    from nianbao.layout.page import prepare_page

    raw = next((p for p in iter_page_images(path, settings) if p.number == page), None)
    if raw is None:
        raise InputFileError(str(path), f"no page {page} with a page image")
    from nianbao.ocr import get_engine
    from nianbao.scan import page_orienter

    lay = settings.layout
    orient = page_orienter(get_engine(settings.ocr), lay) if lay.detect_orientation else None
    prep = prepare_page(raw.image, raw.dpi, lay, orient)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(out), draw_page_stage(prep, raw.image))
    return out
