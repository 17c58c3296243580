"""The national templates (2019 and 2021) loaded from their declarative JSON descriptions.

Each version is one JSON file in ``templates/``; code never branches on the version id,
it reads the rows, columns and rules from here.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Literal

from pydantic import BaseModel, Field

TEMPLATE_VERSIONS: tuple[str, ...] = ("2019", "2021")


class ColumnSpec(BaseModel):
    id: str
    label: str
    aliases: list[str] = Field(default_factory=list)
    money: bool = False
    signed: bool = False
    unit: str | None = None  # unit fixed by the template header itself (e.g. 2021 fees in 万元)

    @property
    def names(self) -> list[str]:
        return [self.label, *self.aliases]


class RowSpec(BaseModel):
    id: str
    label: str
    aliases: list[str] = Field(default_factory=list)
    optional: bool = False  # only output when the report prints it (other version's rows, provincial rows)
    # rows of the other version this one adds up (2019's （六）其他处理 = 2021's three sub-rows):
    # a report prints one or the other, and the rules count what it printed
    stands_for: list[str] = Field(default_factory=list)

    @property
    def names(self) -> list[str]:
        return [self.label, *self.aliases]


class ItemSpec(BaseModel):
    """One printed sub-table: a 第二十条 item, or the whole applications / reviews matrix."""

    id: str
    label: str
    columns: list[ColumnSpec]
    rows: list[RowSpec]

    def row_id(self, row: RowSpec) -> str:
        return self.row_id_by_id(row.id)

    def row_id_by_id(self, row_id: str) -> str:
        """Canonical row id: ``<item>.<row>`` for 第二十条 items, the bare row id otherwise."""
        return f"{self.id}.{row_id}" if self.id else row_id


class TableSpec(BaseModel):
    id: Literal["applications", "reviews_litigation", "active_disclosure"]
    title: str
    anchors: list[str]
    items: list[ItemSpec]

    def canonical_keys(self, include_optional: bool = False) -> list[tuple[str, str]]:
        """(row id, col id) of every cell this table has in the template."""
        keys: list[tuple[str, str]] = []
        for item in self.items:
            for row in item.rows:
                if row.optional and not include_optional:
                    continue
                keys.extend((item.row_id(row), col.id) for col in item.columns)
        return keys

    def find_row(self, row_id: str) -> tuple[ItemSpec, RowSpec] | None:
        for item in self.items:
            for row in item.rows:
                if item.row_id(row) == row_id:
                    return item, row
        return None


class RuleSpec(BaseModel):
    """A consistency rule: sum(lhs) == sum(rhs), applied per column (``over=columns``: lhs/rhs
    are row ids) or per row (``over=rows``: lhs/rhs are column ids)."""

    id: str
    table: str
    over: Literal["columns", "rows"]
    lhs: list[str]
    rhs: list[str]
    text: str


class Template(BaseModel):
    version: str
    title: str
    markers: list[str]
    tables: list[TableSpec]
    rules: list[RuleSpec]

    def table(self, table_id: str) -> TableSpec:
        for t in self.tables:
            if t.id == table_id:
                return t
        raise KeyError(table_id)


@lru_cache(maxsize=None)
def load_template(version: str) -> Template:
    """Load the declarative description of template ``version`` ("2019" or "2021")."""
    if version not in TEMPLATE_VERSIONS:
        raise ValueError(f"unknown template version {version!r}; known: {', '.join(TEMPLATE_VERSIONS)}")
    text = resources.files("nianbao.models").joinpath("templates").joinpath(f"{version}.json").read_text("utf-8")
    return Template.model_validate(json.loads(text))
