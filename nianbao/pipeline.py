"""The one place where the stages meet: file → Document (readers, or layout + OCR for scans)
→ assembly → checks → confidence → Report."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

from nianbao.assembly import assemble
from nianbao.checks import check_report
from nianbao.confidence import score_cells
from nianbao.errors import EngineUnavailableError, InputFileError, NotAReportError
from nianbao.metadata import title_metadata
from nianbao.models import Document, Report, SourceInfo
from nianbao.readers import read_text_file, sniff_format
from nianbao.settings import Settings


def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _check_pdf(path: str, settings: Settings) -> int:
    """Open the PDF once to give clear errors (corrupt, encrypted, too many pages)."""
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(path)
    except pdfium.PdfiumError as exc:
        msg = str(exc).lower()
        if "password" in msg:
            raise InputFileError(path, "encrypted PDF (password required)") from None
        raise InputFileError(path, f"corrupt or unreadable PDF ({exc})") from None
    try:
        n = len(pdf)
    finally:
        pdf.close()
    if n == 0:
        raise InputFileError(path, "PDF has no pages")
    if n > settings.limits.max_pages:
        raise InputFileError(path, f"PDF has {n} pages, more than the limit of {settings.limits.max_pages}")
    return n


def read_document(path: str, fmt: str, settings: Settings) -> Document:
    """Read a file into a Document with the reader its content calls for."""
    if fmt == "text":
        from nianbao.readers.text import read_text

        return read_text(read_text_file(path), path)
    if fmt == "html":
        from nianbao.readers.html import read_html

        return read_html(read_text_file(path), path)
    if fmt == "docx":
        from nianbao.readers.docx import read_docx

        try:
            return read_docx(path)
        except Exception as exc:  # python-docx raises many types for broken packages
            raise InputFileError(path, f"corrupt Word document ({type(exc).__name__}: {exc})") from None
    if fmt == "pdf":
        _check_pdf(path, settings)
        from nianbao.readers.pdf import read_pdf_text, text_layer_quality

        try:
            usable = text_layer_quality(path, settings.limits.max_pages)
        except Exception as exc:
            raise InputFileError(path, f"corrupt or unreadable PDF ({type(exc).__name__}: {exc})") from None
        if usable and sum(usable) >= max(1, len(usable) // 2):
            return read_pdf_text(path, dpi=settings.layout.render_dpi)
    return _read_scanned(path, settings)


def _read_scanned(path: str, settings: Settings) -> Document:
    try:
        from nianbao.scan import read_scanned_pages
    except ImportError as exc:
        raise EngineUnavailableError(f"{path}: scanned input needs the scan pipeline, which failed to import: {exc}") from exc
    return read_scanned_pages(path, settings)


def parse_document(doc: Document, settings: Settings, source: SourceInfo) -> Report:
    """Assemble, check and score an already-read document."""
    t0 = time.perf_counter()
    agency, year = title_metadata(doc)
    asm = assemble(doc, settings.assembly, year)
    if not any(t.found for t in asm.tables):
        raise NotAReportError(source.path)
    report = Report(source=source, agency=agency, year=year, template_version=asm.template.version,
                    version_evidence=asm.version_evidence, pages=doc.pages, tables=asm.tables)
    equations, results = check_report(report, asm.template)
    report.checks = results
    score_cells(report, equations, results, settings.confidence)
    from nianbao.metadata import report_metadata
    from nianbao.statements import check_text

    report.metadata = report_metadata(doc)
    check_text(report, doc, settings.confidence)  # body-text figures against the tables (findings)
    missing_tables = [t.id for t in report.tables if not t.found]
    if missing_tables:
        report.warnings.append("table(s) not found: " + ", ".join(missing_tables))
    report.timings["assemble_s"] = round(time.perf_counter() - t0, 4)
    return report


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
    source = SourceInfo(path=path, sha256=file_sha256(path), size=size, format=doc.format, pages=len(doc.pages))
    report = parse_document(doc, settings, source)
    report.timings["read_s"] = round(t_read, 4)
    report.timings["total_s"] = round(time.perf_counter() - t0, 4)
    return report
