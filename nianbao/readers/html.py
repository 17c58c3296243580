"""HTML pages (many reports are published as web pages) and HTML tables inside Markdown."""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, NavigableString, Tag

from nianbao.models import Document, Row, TextCell
from nianbao.readers.common import clean_inline, join_cell_lines, table_layouts

_BLOCKS = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "section", "article", "td", "th", "br", "tr", "pre"}


def read_html(html: str, path: str = "<html>") -> Document:
    rows = rows_from_html(html)
    return Document(path=path, format="html", rows=rows, tables=table_layouts(rows, "markup"))


def rows_from_html(html: str) -> list[Row]:
    """Rows in document order: each table row with grid column indexes (rowspan/colspan
    expanded), and each block of text outside tables as one text row."""
    soup = BeautifulSoup(html, "lxml")
    for bad in soup(["script", "style", "head", "noscript"]):
        bad.decompose()
    rows: list[Row] = []
    table_index = 0
    buffer: list[str] = []

    def flush_text() -> None:
        text = clean_inline(" ".join(buffer))
        buffer.clear()
        for line in text.split("\n"):
            line = " ".join(line.split())
            if line:
                rows.append(Row(kind="text", cells=[TextCell(text=line)]))

    def walk(node: Tag) -> None:
        nonlocal table_index
        for child in node.children:
            if isinstance(child, NavigableString):
                buffer.append(str(child))
                continue
            if not isinstance(child, Tag):
                continue
            if child.name == "table":
                flush_text()
                if child.find("table") is None:
                    rows.extend(_table_rows(child, table_index))
                    table_index += 1
                else:
                    walk(child)
                continue
            if child.name in _BLOCKS:
                flush_text()
                walk(child)
                flush_text()
            else:
                walk(child)

    walk(soup.body or soup)
    flush_text()
    return rows


def _cell_text(td: Tag) -> str:
    return join_cell_lines([s.strip() for s in td.stripped_strings])


MAX_COLSPAN = 1000  # the HTML standard's limits; browsers clamp larger values to these
MAX_ROWSPAN = 65534
_LEADING_DIGITS = re.compile(r"\s*(\d+)")


def _span(td: Tag, name: str, limit: int) -> int:
    """A cell's colspan/rowspan as browsers read it: leading digits ("2px" is 2), anything else
    1, clamped to ``limit``; so a hostile page neither crashes the reader nor makes it fill
    millions of grid slots."""
    value = td.get(name)
    m = _LEADING_DIGITS.match(value if isinstance(value, str) else "")
    return min(limit, max(1, int(m.group(1)))) if m else 1


def _table_rows(table: Tag, table_index: int) -> list[Row]:
    out: list[Row] = []
    occupied: dict[tuple[int, int], bool] = {}
    trs = [tr for tr in table.find_all("tr") if tr.find_parent("table") is table]
    for r, tr in enumerate(trs):
        cells: list[TextCell] = []
        c = 0
        for td in tr.find_all(["td", "th"], recursive=False):
            while occupied.get((r, c)):
                c += 1
            colspan = _span(td, "colspan", MAX_COLSPAN)
            rowspan = min(_span(td, "rowspan", MAX_ROWSPAN), len(trs) - r)  # not past the table's last row
            for dr in range(rowspan):
                for dc in range(colspan):
                    occupied[(r + dr, c + dc)] = True
            cells.append(TextCell(text=_cell_text(td), col=c, colspan=colspan))
            c += colspan
        if cells:
            out.append(Row(kind="table", cells=cells, table_index=table_index, exact_cells=True))
    return out
