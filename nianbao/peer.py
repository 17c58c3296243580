"""A peer table pipeline, run side by side with ours by ``nianbao bench --peer``.

The peer is img2table (bordered-table detection from ruling lines, cell grid with merged
cells) with the same OCR engine we use: RapidOCR 3.10 with the PP-OCRv6 models shipped in
its wheel, passed by explicit path (img2table's own RapidOCR adapter would otherwise pick the
English recogniser, and any other model config tries to download). Its extracted tables are
turned into our intermediate ``Document`` (one table row per img2table row, merged cells
collapsed into one cell with a colspan, a rowspan kept only in its first row) and mapped onto
canonical cells by the same label matching our own assembly uses (``nianbao.pipeline.parse_document``),
so the comparison measures table finding and reading, not a different mapping.

Install: ``pip install "nianbao[peer]"``. img2table imports ``cv2.ximgproc``, which only
the opencv *contrib* builds have; opencv-python-headless (our dependency) lacks it, so the
extra also brings opencv-contrib-python-headless (same ``cv2`` module, a superset).
"""

from __future__ import annotations

import time
from functools import lru_cache
from pathlib import Path

from nianbao.settings import Settings

DESCRIPTION = "img2table (bordered tables, rotation fix) + RapidOCR PP-OCRv6 small, mapped by nianbao.assembly"
RENDER_DPI = 200  # img2table renders PDF pages at 200 dpi


def available() -> tuple[bool, str]:
    """(True, "") when the peer can run here, else (False, exactly why)."""
    try:
        import img2table  # noqa: F401
        from img2table.document import PDF  # noqa: F401
    except ImportError as e:
        return False, f"img2table is not installed ({e}); pip install 'nianbao[peer]'"
    except Exception as e:  # img2table imports cv2 features at import time
        return False, f"img2table cannot be imported: {type(e).__name__}: {e}"
    import cv2

    if not hasattr(cv2, "ximgproc"):
        return False, (f"img2table needs cv2.ximgproc (opencv contrib), but the cv2 installed ({cv2.__version__}, "
                       f"{Path(cv2.__file__).parent}) is a build without contrib modules; "
                       f"pip install opencv-contrib-python-headless=={cv2.__version__.split('-')[0]}")
    try:
        from nianbao.ocr.rapid import MODEL_FILES, model_dir
    except ImportError as e:
        return False, f"nianbao.ocr.rapid unavailable: {e}"
    d = model_dir()
    missing = [f for f in MODEL_FILES.values() if not (d / f).exists()]
    if missing:
        return False, f"rapidocr models missing in {d}: {', '.join(missing)}"
    return True, ""


@lru_cache(maxsize=1)
def ocr_instance():
    """img2table's RapidOCR adapter configured with the packaged model files (no download)."""
    from img2table.ocr import RapidOCR as I2TRapid
    from rapidocr import LangRec

    from nianbao.ocr.rapid import packaged_model_params

    params = {**packaged_model_params(threads=2), "Rec.lang_type": LangRec.CH}
    return I2TRapid(params=params)


def tables_to_document(path: str, tables_by_page: dict, page_sizes: dict[int, tuple[int, int]]):
    """img2table's ExtractedTables -> nianbao Document (rows of TextCells with grid columns)."""
    from nianbao.models import Document, PageInfo, Row, TextCell

    doc = Document(path=str(path), format="peer-img2table")
    t_index = 0
    for page in sorted(tables_by_page):
        for table in tables_by_page[page]:
            prev_row: list | None = None
            for _, cells in table.content.items():
                out = []
                k = 0
                while k < len(cells):
                    c = cells[k]
                    span = 1
                    while k + span < len(cells) and cells[k + span].bbox == c.bbox:
                        span += 1
                    b = c.bbox
                    text = (c.value or "").strip()
                    if prev_row is not None and k < len(prev_row) and prev_row[k].bbox == b:
                        text = ""  # a rowspan: printed once, in its first row
                    out.append(TextCell(text=text, bbox=(float(b.x1), float(b.y1), float(b.x2), float(b.y2)),
                                        confidence=0.9 if text else 1.0, col=k, colspan=span))
                    k += span
                prev_row = cells
                doc.rows.append(Row(kind="table", cells=out, page=page + 1, table_index=t_index, exact_cells=False))
            t_index += 1
    for page, (w, h) in sorted(page_sizes.items()):
        doc.pages.append(PageInfo(number=page + 1, width=float(w), height=float(h), dpi=RENDER_DPI, source="scan"))
    return doc


def extract(path: str | Path):
    """Run img2table on every page; return (tables by 0-based page, page sizes)."""
    from img2table.document import PDF

    pdf = PDF(src=str(path), detect_rotation=True, pdf_text_extraction=True)
    tables = pdf.extract_tables(ocr=ocr_instance(), implicit_rows=False, implicit_columns=False,
                                borderless_tables=False, min_confidence=50)
    sizes = {i: (img.shape[1], img.shape[0]) for i, img in enumerate(pdf.images)}
    return tables, sizes


def parse_with_peer(path: Path, settings: Settings):
    """Bench parser: (long rows, tables found, failed checks, pages) from the peer; its tables
    are assembled and checked by nianbao with ``settings``."""
    from nianbao.errors import NotAReportError
    from nianbao.models import SourceInfo
    from nianbao.output import long_rows
    from nianbao.fileio import sha256_file
    from nianbao.pipeline import parse_document

    t0 = time.perf_counter()
    tables, sizes = extract(path)
    doc = tables_to_document(str(path), tables, sizes)
    source = SourceInfo(path=str(path), sha256=sha256_file(path), size=Path(path).stat().st_size,
                        format=doc.format, pages=len(doc.pages))
    try:
        report = parse_document(doc, settings, source)
    except NotAReportError as e:
        raise NotAReportError(str(path)) from e
    report.timings["peer_total_s"] = round(time.perf_counter() - t0, 4)
    found = [t.id for t in report.tables if t.found]
    failed = [(c.rule, c.subject) for c in report.checks if getattr(c.status, "value", c.status) == "failed"]
    return long_rows(report), found, failed, len(doc.pages)
