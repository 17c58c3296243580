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


def debug_page(path: str | Path, page: int, out: str | Path, settings: Settings | None = None,
               report: Report | None = None, stage: str | None = None) -> Path:
    """Parse ``path`` (unless ``report`` is given) and write the debug picture of ``page``;
    with ``stage`` (one of ``debug_draw.STAGES``) that stage of the word reading of the
    page's tables instead (the word reading is switched on for it)."""
    settings = settings or Settings()
    if stage:
        from nianbao.debug_draw import with_word_reading

        settings = with_word_reading(settings)
    report = report or parse_file(path, settings)
    info = next((p for p in report.pages if p.number == page), None)
    if info is None:
        raise InputFileError(str(path), f"no page {page} with page geometry (pages: {[p.number for p in report.pages]})")
    grids, lines, structures = [], [], []
    if info.source == "scan":
        from nianbao.scan import read_page

        raw = next(p for p in iter_page_images(path, settings) if p.number == page)
        res = read_page(raw.image, page, raw.dpi, settings, keep_image=True)
        image, grids, lines, structures = res.image, res.grids, res.text_lines, res.structures
    else:
        if stage:
            raise InputFileError(str(path), f"page {page} has a text layer: its tables come from the PDF, not from a word reading")
        image = render_page(path, page, info.dpi, info.rotation, info.skew)
    return save_page(out, image, grids=grids, text_lines=lines, labels=cell_labels(report, page),
                     structures=structures, stage=stage)
