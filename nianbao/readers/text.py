"""Text extracts as other tools write them: Word's tab-separated export (one cell per line,
rows separated by blank lines), pdftotext/TSV (one row per line, cells split by tabs) and
Markdown as MinerU writes it (headings, inline markup, tables as TSV or as HTML)."""

from __future__ import annotations

import re

from nianbao.models import Document, Row, TextCell
from nianbao.readers.common import clean_inline, table_layouts
from nianbao.readers.html import rows_from_html
_MD_PREFIX = re.compile(r"^\s*(?:#{1,6}\s+|[-*+]\s+(?=\S))")
_RULE_LINE = re.compile(r"^[\s\-|:=]+$")


def _is_word_cell_export(lines: list[str]) -> bool:
    """Word's export writes each table cell on its own line starting with one tab."""
    cell_lines = sum(1 for ln in lines if re.match(r"^\t[^\t]*$", ln))
    multi_tab = sum(1 for ln in lines if ln.count("\t") >= 2)
    return cell_lines >= 20 and cell_lines > 3 * multi_tab


def read_text(text: str, path: str = "<text>") -> Document:
    """Read any of the text-extract formats into rows (format chosen by content)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    if re.search(r"<table\b", text, re.I):
        return _read_markdown_with_html(text, path)
    lines = text.split("\n")
    if _is_word_cell_export(lines):
        return Document(path=path, format="text-word", rows=_word_rows(lines))
    fmt = "markdown" if any(re.match(r"^#{1,6}\s", ln) for ln in lines) else "text-tsv"
    return Document(path=path, format=fmt, rows=_tsv_rows(lines))


def _text_row(line: str) -> Row | None:
    t = clean_inline(_MD_PREFIX.sub("", line))
    return Row(kind="text", cells=[TextCell(text=t)]) if t else None


def _tsv_rows(lines: list[str]) -> list[Row]:
    rows: list[Row] = []
    for line in lines:
        if "\t" in line.strip("\n") and line.strip():
            cells = [clean_inline(c) for c in line.split("\t")]
            if all(_RULE_LINE.match(c) or not c for c in cells) and any(cells):
                continue  # markdown table rule "---\t---"
            while cells and not cells[-1]:
                cells.pop()
            if len([c for c in cells if c]) >= 1:
                rows.append(Row(kind="table", cells=[TextCell(text=c) for c in cells]))
        else:
            if _RULE_LINE.match(line) and line.strip():
                continue
            row = _text_row(line)
            if row:
                rows.append(row)
    return rows


def _word_rows(lines: list[str]) -> list[Row]:
    rows: list[Row] = []
    current: list[str] | None = None

    def flush() -> None:
        nonlocal current
        if current is not None:
            while current and not current[-1]:
                current.pop()
            if any(current):
                kind = "table" if len(current) > 1 else "text"
                rows.append(Row(kind=kind, cells=[TextCell(text=c) for c in current]))
        current = None

    for line in lines:
        if line.startswith("\t") and "\t" not in line[1:]:
            if current is None:
                current = []
            current.append(clean_inline(line[1:]))
        elif not line.strip():
            flush()
        else:
            flush()
            row = _text_row(line)
            if row:
                rows.append(row)
    flush()
    return rows


def _read_markdown_with_html(text: str, path: str) -> Document:
    rows: list[Row] = []
    pos = 0
    for n, m in enumerate(re.finditer(r"<table\b.*?</table>", text, re.I | re.S)):
        rows.extend(_tsv_rows(text[pos : m.start()].split("\n")))
        # each table its own index (each is read as table 0 of its own piece of HTML)
        rows.extend(r.model_copy(update={"table_index": n}) if r.table_index is not None else r
                    for r in rows_from_html(m.group(0)))
        pos = m.end()
    rows.extend(_tsv_rows(text[pos:].split("\n")))
    return Document(path=path, format="markdown", rows=rows, tables=table_layouts(rows, "markup"))
