"""``nianbao debug``: one page with what every stage saw — the detected grid and text lines
(scanned pages), and each canonical cell's id, value and confidence drawn at its box — so a
person can see why a cell came out wrong (as pdfplumber's visual debugging does)."""

from __future__ import annotations

import json
from pathlib import Path

from nianbao.debug_draw import STAGES as STRUCTURE_STAGES
from nianbao.debug_draw import Label, save_page, with_word_reading
from nianbao.errors import InputFileError, NotAReportError, UsageError
from nianbao.ingest import IMAGE_FORMATS, iter_page_images, pdf_page_kinds, render_page, sniff_format
from nianbao.models import Report
from nianbao.pipeline import parse_file
from nianbao.settings import Settings

# formats read as text (no page pictures): what ``sniff_format`` calls them, in words
_PAGELESS = {"html": "an HTML page", "docx": "a Word file", "doc": "a Word file", "text": "a text file",
             "zip": "a zip archive", "unknown": "a file of unknown format"}


def cell_labels(report: Report, page: int) -> list[Label]:
    """A label per canonical cell printed on ``page``: "row.col=value" coloured by confidence."""
    labels = []
    for cell in report.cells():
        if cell.page == page and cell.bbox is not None:
            value = "∅" if cell.value is None else cell.value
            labels.append(Label(cell.bbox, f"{cell.row}.{cell.col}={value}", cell.confidence))
    return labels


def page_count(path: str | Path, settings: Settings) -> int:
    """Pages of a PDF or image file, read in milliseconds (no parse). Anything without pages
    (HTML, Word, text) is refused: debug draws the pages of scanned or PDF input."""
    fmt = sniff_format(path)
    if fmt == "pdf":
        return len(pdf_page_kinds(path, settings))
    if fmt in IMAGE_FORMATS:
        from PIL import Image, UnidentifiedImageError

        try:
            with Image.open(path) as im:  # reads the header only
                return int(getattr(im, "n_frames", 1))
        except (OSError, UnidentifiedImageError) as e:
            raise InputFileError(str(path), f"corrupt or unreadable image ({e})") from e
    what = _PAGELESS.get(fmt, f"a {fmt} file")
    raise UsageError(f"{path}: {what} has no pages to draw; debug draws the pages of scanned or PDF input "
                     "(PDF, PNG, JPEG, TIFF). See its cells with 'nianbao parse' or 'nianbao review'")


STAGES = ("cells", "page", *STRUCTURE_STAGES)  # what ``nianbao debug --stage`` can draw


def debug_page(path: str | Path, page: int, out: str | Path, settings: Settings | None = None,
               report: Report | None = None, stage: str = "cells", dump: bool = True) -> Path:
    """Parse ``path`` (unless ``report`` is given) and write the debug picture of ``page``; for a
    scanned page with ``dump`` also a JSON of the stages' intermediates beside it (page info,
    timings, grids, text lines, rows, table structures). A file in which no table was found is
    drawn all the same, without cell labels.

    The page number is checked against the file's page count before the (slow) parse.
    ``stage``: "cells" (default) draws grids, text lines and every canonical cell; "page"
    draws how a scanned or photographed page was prepared (page quad, flat page, traced lines,
    curl displacement; see ``debug_draw.draw_page_stage``) without parsing the report; a stage
    of the word reading of the page's tables (``debug_draw.STAGES``: regions, words, lines,
    columns, rows, word-grid, line-grid, chosen, walls) draws that stage, with the word reading switched on."""
    settings = settings or Settings()
    if stage not in STAGES:
        raise UsageError(f"unknown debug stage {stage!r} (stages: {', '.join(STAGES)})")
    pages = page_count(path, settings)
    if not 1 <= page <= pages:
        raise UsageError(f"{path}: no page {page}: the file has {pages} page{'s' if pages != 1 else ''} (1–{pages})")
    if stage == "page":
        return _debug_page_stage(path, page, out, settings)
    structure_stage = stage if stage in STRUCTURE_STAGES else None
    if structure_stage:
        settings = with_word_reading(settings)
    if report is None:
        try:
            report = parse_file(path, settings)
        except NotAReportError:
            report = None  # no table found: exactly when one wants to see what the stages saw
    info = next((p for p in report.pages if p.number == page), None) if report is not None else None
    if report is not None and info is None:
        raise InputFileError(str(path), f"page {page} has nothing to draw (blank or unread); pages read: "
                             f"{', '.join(str(p.number) for p in report.pages) or 'none'}")
    labels = cell_labels(report, page) if report is not None else []
    if info is not None and info.source != "scan":
        if structure_stage:
            raise InputFileError(str(path), f"page {page} has a text layer: its tables come from the PDF, not from a word reading")
        image = render_page(path, page, info.dpi, info.rotation, info.skew, settings=settings, warp=info.warp)
        return save_page(out, image, labels=labels)
    from nianbao.scan import read_page

    raw = next(p for p in iter_page_images(path, settings) if p.number == page)
    res = read_page(raw.image, page, raw.dpi, settings, keep_image=True)
    written = save_page(out, raw.image if res.image is None else res.image, grids=res.grids, text_lines=res.text_lines,
                        labels=labels, structures=res.candidates if structure_stage == "regions" else res.structures,
                        stage=structure_stage, page_words=res.page_words, walls_kept=res.walls_kept)
    if dump:  # the stages' intermediates beside the picture
        data = {"page": res.info.model_dump(), "kind": raw.kind, "timings": res.timings,
                "grids": [g.model_dump() for g in res.grids], "text_lines": res.text_lines,
                "rows": [r.model_dump() for r in res.rows], "tables": [t.model_dump() for t in res.layouts]}
        written.with_suffix(".json").write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    return written


def _debug_page_stage(path: str | Path, page: int, out: str | Path, settings: Settings) -> Path:
    """The ``page`` stage's picture of one page image of ``path``."""
    import cv2

    from nianbao.debug_draw import draw_page_stage
    from nianbao.layout.page import prepare_page
    from nianbao.ocr import get_engine
    from nianbao.scan import page_orienter

    raw = next((p for p in iter_page_images(path, settings) if p.number == page), None)
    if raw is None:
        raise InputFileError(str(path), f"no page {page} with a page image")
    lay = settings.layout
    orient = page_orienter(get_engine(settings.ocr), lay) if lay.detect_orientation else None
    prep = prepare_page(raw.image, raw.dpi, lay, orient)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(out), draw_page_stage(prep, raw.image))
    return out
