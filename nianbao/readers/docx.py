"""Word files (.docx): paragraphs and tables in body order via python-docx; a merged cell is
read once, in the first grid cell it covers."""

from __future__ import annotations

from docx import Document as open_docx
from docx.table import Table as DocxTable
from docx.text.paragraph import Paragraph

from nianbao.models import Document, Row, TextCell
from nianbao.readers.common import join_cell_lines, table_layouts


def read_docx(path: str) -> Document:
    d = open_docx(path)
    rows: list[Row] = []
    table_index = 0
    for block in d.iter_inner_content():
        if isinstance(block, Paragraph):
            t = block.text.strip()
            if t:
                rows.append(Row(kind="text", cells=[TextCell(text=t)]))
        elif isinstance(block, DocxTable):
            seen: set = set()  # the <w:tc> elements themselves (kept alive, so identity is stable)
            for r_idx, row in enumerate(block.rows):
                cells: list[TextCell] = []
                for c_idx, cell in enumerate(row.cells):
                    if cell._tc in seen:
                        continue
                    seen.add(cell._tc)
                    span = sum(1 for c in row.cells if c._tc is cell._tc)
                    text = join_cell_lines([p.text.strip() for p in cell.paragraphs if p.text.strip()])
                    cells.append(TextCell(text=text, col=c_idx, colspan=span))
                if cells:
                    rows.append(Row(kind="table", cells=cells, table_index=table_index, exact_cells=True))
            table_index += 1
    return Document(path=path, format="docx", rows=rows, tables=table_layouts(rows, "markup"))
