"""The one place where the stages meet: file → Document (readers, or layout + OCR for scans)
→ assembly → checks → confidence → Report."""

from __future__ import annotations

import time
from pathlib import Path

from nianbao import __version__
from nianbao.assembly import assemble
from nianbao.checks import check_report
from nianbao.confidence import score_cells
from nianbao.fileio import sha256_file
from nianbao.errors import EngineUnavailableError, InputFileError, NotAReportError
from nianbao.metadata import title_metadata
from nianbao.models import Document, Report, SourceInfo
from nianbao.ingest import sniff_format
from nianbao.numbers import value_like
from nianbao.readers import read_text_file
from nianbao.settings import Settings


_UNSUPPORTED = {
    "unknown": "binary data of an unknown format (not a PDF, image, Word file, HTML or text)",
    "doc": "a legacy Word .doc file: save it as .docx or PDF first",
    "zip": "a zip archive, not a report (nianbao batch and the server unpack zips)",
}


def read_document(path: str, fmt: str, settings: Settings) -> Document:
    """Read a file into a Document with the reader its content calls for: text-layer PDF
    pages through pdfplumber, scanned or drawn pages and images through layout + OCR."""
    if fmt in _UNSUPPORTED:
        raise InputFileError(path, _UNSUPPORTED[fmt])
    if fmt == "text":
        from nianbao.readers.text import read_text

        return read_text(read_text_file(path), path)
    if fmt == "html":
        from nianbao.readers.html import read_html

        return read_html(read_text_file(path), path)
    if fmt == "docx":
        from nianbao.ingest import check_docx
        from nianbao.readers.docx import read_docx

        check_docx(path, settings.limits)  # the zip-bomb guards, before python-docx expands it
        try:
            return read_docx(path)
        except Exception as exc:  # python-docx raises many types for broken packages
            raise InputFileError(path, f"corrupt Word document ({type(exc).__name__}: {exc})") from None
    if fmt != "pdf":
        return _read_scanned(path, settings, None)
    from nianbao.ingest import no_template_sign, pdf_page_kinds
    from nianbao.readers.pdf import read_pdf_text, text_layer_quality

    kinds = pdf_page_kinds(path, settings)  # raises for corrupt, encrypted, over the limits
    if all(k == "empty" for k in kinds):
        raise InputFileError(path, "PDF has no text layer and no images (nothing to read)")
    no_sign = no_template_sign(path, settings.limits.template_sign_pages, settings.text_layer)
    if no_sign:  # stop before reading (and OCR-ing) every page
        raise NotAReportError(path, no_sign)
    try:
        usable = text_layer_quality(path, settings.text_layer, len(kinds))
    except Exception as exc:
        raise InputFileError(path, f"corrupt or unreadable PDF ({type(exc).__name__}: {exc})") from None
    text_pages = [i + 1 for i, k in enumerate(kinds) if k == "text" and usable[i]]
    other_pages = [i + 1 for i, k in enumerate(kinds) if k != "empty" and i + 1 not in text_pages]
    if not other_pages:
        return read_pdf_text(path, settings.text_layer, dpi=settings.layout.render_dpi)
    scanned = _read_scanned(path, settings, other_pages)
    if not text_pages:
        return scanned
    text_doc = read_pdf_text(path, settings.text_layer, dpi=settings.layout.render_dpi, pages=text_pages)
    return mixed_document(path, text_doc, scanned)


def mixed_document(path: str, text_doc: Document, scanned: Document) -> Document:
    """One Document of a PDF's text-layer pages and its scanned pages, rows in page order; the
    scanned pages' tables numbered after the text layer's (each reading numbers its own from
    0), each with the structure its reader stated."""
    shift = 1 + max((r.table_index for r in text_doc.rows if r.table_index is not None), default=-1)
    scanned_rows = [r.model_copy(update={"table_index": r.table_index + shift}) if r.table_index is not None else r
                    for r in scanned.rows]
    tables = [*text_doc.tables, *(t.model_copy(update={"index": t.index + shift}) for t in scanned.tables)]
    rows = sorted(text_doc.rows + scanned_rows, key=lambda r: r.page or 0)  # stable: keeps order within a page
    pages = sorted(text_doc.pages + scanned.pages, key=lambda p: p.number)
    return Document(path=path, format="pdf-mixed", rows=rows, pages=pages, tables=tables, timings=scanned.timings)


def _read_scanned(path: str, settings: Settings, pages: list[int] | None) -> Document:
    try:
        from nianbao.scan import read_scanned_pages
    except ImportError as exc:
        raise EngineUnavailableError(f"{path}: scanned input needs the scan pipeline, which failed to import: {exc}") from exc
    return read_scanned_pages(path, settings, pages=pages)


def parse_document(doc: Document, settings: Settings, source: SourceInfo) -> Report:
    """Assemble, check and score an already-read document."""
    t0 = time.perf_counter()
    agency, year = title_metadata(doc)
    asm = assemble(doc, settings.assembly, year)
    if not any(t.found for t in asm.tables):
        raise NotAReportError(source.path)
    report = Report(source=source, agency=agency, year=year, template_version=asm.template.version,
                    version_evidence=asm.version_evidence, pages=doc.pages, tables=asm.tables,
                    nianbao_version=__version__, settings_hash=settings.results_hash())
    equations, results = check_report(report, asm.template)
    report.checks = results
    signed = {(t.id, item.row_id(r), c.id) for t in asm.template.tables for item in t.items
              for r in item.rows for c in item.columns if c.signed}
    from nianbao.metadata import report_metadata
    from nianbao.statements import check_text

    report.metadata = report_metadata(doc)
    if report.agency is None and isinstance(report.metadata.agency.value, str):
        report.agency = report.metadata.agency.value  # no title: the signature line names it
    check_text(report, doc)  # body-text figures against the tables (findings, text_agrees factors)
    # the one place a cell's confidence is composed: from every stage's evidence and factors
    score_cells(report, equations, results, settings.confidence, signed)
    from nianbao.suggestions import suggest_splits

    suggest_splits(report, doc, asm.template, settings)  # split/joined digits: offered, never applied
    missing_tables = [t.id for t in report.tables if not t.found]
    if missing_tables:
        report.warnings.append("table(s) not found: " + ", ".join(missing_tables))
    report.timings["assemble_s"] = round(time.perf_counter() - t0, 4)
    return report


def untabled_number_pages(doc: Document, row_values: int, page_rows: int) -> list[int]:
    """Pages of a text-layer reading whose numbers stand in no table: no table row on the page,
    and at least ``page_rows`` text lines that each carry ``row_values`` or more numbers. A table
    printed without the rules pdfplumber finds its cells by (a 三线表: rules above and below
    only), whose row-group labels are set upright one character a line beside the labels, comes
    out of the text layer as lines that interleave labels, group characters and values (dev seed
    4986, typst born-digital report 000: the application and review matrices not found)."""
    tabled = {r.page for r in doc.rows if r.kind == "table"}
    counts: dict[int, int] = {}
    for r in doc.rows:
        if r.kind != "text" or r.page is None or r.page in tabled:
            continue
        words = " ".join(c.text for c in r.cells).split()
        if sum(value_like(w) for w in words) >= row_values:
            counts[r.page] = counts.get(r.page, 0) + 1
    return sorted(p for p, n in counts.items() if n >= page_rows)


def _untabled_pages_read_as_scans(path: str, doc: Document, report: Report | None, source: SourceInfo,
                                  settings: Settings) -> tuple[Document, Report] | None:
    """A text-layer PDF whose reading left a template table unfound, with pages of numbers in
    no table (``untabled_number_pages``): those pages read again from their picture (layout +
    OCR: the word reading places a table's values by its words, not by rules), the rest from the
    text layer; that reading is kept when it finds more of the template's tables. Its cells carry
    the scan's confidence (OCR evidence), not the text layer's. ``report`` None: the text layer
    gave none of the tables (a report whose every table is printed without rules). The pages
    read again are at most the document's, which ingest has held to ``Limits.max_pages``."""
    layer = settings.text_layer
    found = sum(t.found for t in report.tables) if report is not None else 0  # None: the text layer found none
    if doc.format != "pdf-text" or not layer.untabled_read_as_scan or (report is not None and found == len(report.tables)):
        return None
    pages = untabled_number_pages(doc, layer.untabled_row_values, layer.untabled_page_rows)
    if not pages:
        return None
    scanned = _read_scanned(path, settings, pages)
    kept = set(pages)
    # the pages read again hold no table row, so the text layer's table structures all stay
    text_doc = doc.model_copy(update={"rows": [r for r in doc.rows if r.page not in kept],
                                      "pages": [p for p in doc.pages if p.number not in kept]})
    mixed = mixed_document(path, text_doc, scanned)
    try:
        again = parse_document(mixed, settings, source.model_copy(update={"format": mixed.format}))
    except NotAReportError:
        return None
    if sum(t.found for t in again.tables) <= found:
        return None
    return mixed, again


def parse_file(path: str | Path, settings: Settings | None = None) -> Report:
    """Parse one report file of any supported format into a Report.

    Raises InputFileError for a file that cannot be read and NotAReportError for a document
    without the standard tables; both name the file and the reason.
    """
    settings = settings or Settings()
    path = str(path)
    t0 = time.perf_counter()
    fmt = sniff_format(path)
    size = Path(path).stat().st_size
    if size > settings.limits.max_file_mb * 1024 * 1024:
        raise InputFileError(path, f"file is {size / 1e6:.0f} MB, more than the limit of {settings.limits.max_file_mb} MB")
    doc = read_document(path, fmt, settings)
    t_read = time.perf_counter() - t0
    # the absolute path, so that the review finds the input from any working folder
    source = SourceInfo(path=str(Path(path).resolve()), sha256=sha256_file(path), size=size, format=doc.format, pages=len(doc.pages))
    try:
        report: Report | None = parse_document(doc, settings, source)
    except NotAReportError:
        report = None  # no table from the text layer: its pages of numbers may still hold them
        if doc.format != "pdf-text":
            raise
    again = _untabled_pages_read_as_scans(path, doc, report, source, settings)
    if again is not None:
        doc, report = again
        t_read = time.perf_counter() - t0
    if report is None:
        raise NotAReportError(source.path)
    report.timings["read_s"] = round(t_read, 4)
    for stage, seconds in doc.timings.items():  # scanned pages, stage by stage
        report.timings[f"scan_{stage}_s"] = seconds
    report.timings["total_s"] = round(time.perf_counter() - t0, 4)
    return report
