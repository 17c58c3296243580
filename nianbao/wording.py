"""What clerks read, in 简体中文: the names of tables, rows and columns as the template prints
them, why a cell's confidence is low, what a broken rule or a finding says, and the words for
statuses. One place for all of it, so the review page, the workbench and the exported problem
list say the same thing the same way. Canonical ids (``applications.result_total``) stay for
tooltips and exports; the Chinese names lead.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from nianbao.models import (Cell, CellKind, CellNote, CheckResult, ConfidenceFactor, FactorCode, Finding, NoteCode,
                            Report, Template, load_template)
from nianbao.models.template import TEMPLATE_VERSIONS
from nianbao.settings import ConfidenceSettings

DEFAULT_TEMPLATE = "2021"

# The printed group headers above template columns (SPEC §2): the template labels of these
# columns repeat across groups (结果维持 three times in 四、). Each entry: the header rows above
# the columns it spans, outermost first, and which columns (ids, or an id prefix) it spans.
COLUMN_GROUPS: dict[str, list[tuple[tuple[str, ...], tuple[str, ...], str]]] = {
    "applications": [(("法人或其他组织",),
                      ("commercial_enterprise", "research_institution", "social_welfare_org", "legal_service_org",
                       "other_org"), "")],
    "reviews_litigation": [(("行政复议",), (), "review_"),
                           (("行政诉讼", "未经复议直接起诉"), (), "direct_suit_"),
                           (("行政诉讼", "复议后起诉"), (), "suit_after_review_")],
}
# 申请人情况 spans every applicant column, 自然人 and 总计 too
_SPANS_ALL = {"applications": "申请人情况"}

STATUS_ZH = {"open": "待复核", "corrected": "已更正", "accepted": "已确认无误"}
RULE_STATUS_ZH = {"passed": "成立", "failed": "不成立", "not_assessable": "无法核对"}
KIND_ZH = {"number": "数字", "zero": "零", "blank": "空白", "dash": "横线/斜线/无", "text": "文字",
           "unreadable": "无法辨认", "missing": "未找到", "derived": "由勾稽关系推算"}
LEVELS_ZH = ("乡镇", "街道", "县区", "市", "省", "部门")
_NUMERALS = "一二三四五六七八九十"


def template_of(version: str | None) -> Template:
    """The report's template, or the current one when the version is unknown."""
    return load_template(version if version in TEMPLATE_VERSIONS else DEFAULT_TEMPLATE)


def column_groups(table: str, col: str) -> tuple[str, ...]:
    """The printed group header rows above a column, outermost first ("行政诉讼", "复议后起诉")."""
    out: tuple[str, ...] = (_SPANS_ALL[table],) if table in _SPANS_ALL else ()
    for groups, ids, prefix in COLUMN_GROUPS.get(table, []):
        if (ids and col in ids) or (prefix and col.startswith(prefix)):
            return out + groups
    return out


def table_short(template: Template, table: str) -> str:
    """"表三" for the table titled "三、收到和处理…" (the number it is printed with)."""
    try:
        title = template.table(table).title
    except KeyError:
        return table
    m = re.match(rf"^([{_NUMERALS}]+)、", title)
    return f"表{m.group(1)}" if m else title


@dataclass(frozen=True)
class CellName:
    """A cell's names: Chinese first, the canonical id beside."""

    table: str  # 三、收到和处理政府信息公开申请情况
    table_short: str  # 表三
    item: str  # 第二十条第（六）项 (a 第二十条 sub-table), "" otherwise
    row: str  # 七、总计 …
    col: str  # 自然人 / 行政诉讼 · 复议后起诉 · 结果维持
    ref: str  # applications.result_total.natural_person

    @property
    def short(self) -> str:
        """"表三 （七）总计 行 · 自然人 列" — what a clerk reads to find the cell on paper."""
        parts = [self.table_short]
        if self.item:
            parts.append(self.item)
        head = " ".join(p for p in parts if p)
        where = []
        if self.row:
            where.append(f"{self.row} 行")
        if self.col:
            where.append(f"{self.col} 列")
        return f"{head} {' · '.join(where)}".strip()


def cell_name(template: Template | None, table: str, row: str, col: str) -> CellName:
    """Names of the cell ``table.row.col`` from the template (group headers before a column
    label that repeats; a one-row table's row named by its sub-table)."""
    ref = f"{table}.{row}.{col}"
    tpl = template or template_of(None)
    try:
        spec = tpl.table(table)
    except KeyError:
        return CellName(table, table, "", row, col, ref)
    found = spec.find_row(row)
    if not found:
        return CellName(spec.title, table_short(tpl, table), "", row.split(".")[-1], col, ref)
    item, rspec = found
    column = next((c for c in item.columns if c.id == col), None)
    groups = [g for g in column_groups(table, col) if g != "申请人情况"]
    col_label = " · ".join([*groups, column.label]) if column else col
    row_label = _compact(rspec.label) if rspec.label else ""
    return CellName(spec.title, table_short(tpl, table), item.label if item.id else "", row_label, col_label, ref)


def _compact(label: str) -> str:
    """A long printed row label cut to what tells it apart ("（二）部分公开（区分处理的…）" → "（二）部分公开")."""
    label = re.sub(r"（区分处理的[^）]*）", "", label)
    return label.strip()


# ---------------------------------------------------------------- the confidence factors' words

Params = Mapping[str, "str | int | float | bool"]
F = FactorCode
N = NoteCode


def _row_resolution(p: Params) -> tuple[str, str]:
    """A row printed with more or fewer values than columns, and what the rules made of it."""
    n_values, n_columns, outcome = p["values"], p["columns"], p["outcome"]
    placements = p.get("placements", 0)
    en, zh = {
        "far": ("too far off to resolve, values placed in order", "差得太多无法推断，按顺序放入"),
        "same": ("every placement the consistency rules accept gives the same values", "勾稽关系认可的各种放法数值相同"),
        "chosen": ("placement chosen by the consistency rules", "各数所在的列由勾稽关系选定"),
        "ambiguous": (f"ambiguous: {placements} placements fit the rules equally, first one used",
                      f"有歧义：{placements} 种放法同样符合勾稽关系，用了第一种"),
    }[str(outcome)]
    return (f"row printed {n_values} values for {n_columns} columns; {en}",
            f"这一行印了 {n_values} 个数，模板有 {n_columns} 列；{zh}")


def _by_position(p: Params, anchored: bool) -> tuple[str, str]:
    label = str(p.get("label", ""))
    return (f"row label {'missing' if not label.strip() else 'unreadable: ' + repr(label)}; "
            f"placed by position{' between matched rows' if anchored else ''}",
            ("行名缺失" if not label.strip() else f"行名无法辨认：{label!r}") + "；"
            + ("按上下已认出的行的位置放入" if anchored else "只按位置放入"))


# each factor code's words from its parameters: (English for programmers, 简体中文 for clerks).
# Raises KeyError on a factor recorded without its parameters (a report stored before they
# were kept): ``factor_zh`` then says the code's gist (``_GIST_ZH``)
FACTOR_WORDS: dict[FactorCode, Callable[[Params], tuple[str, str]]] = {
    F.empty_cell: lambda p: ("no ink in the cell: read as blank", "格子里没有墨迹，读作空白"),
    F.slash_by_shape: lambda p: (f"the stroke leans like '/': read as '/', not {p['read']!r}",
                                 f"笔画像“/”一样倾斜，读作“/”而不是 {p['read']!r}"),
    F.slash_upright: lambda p: ("read as '/' but the stroke stands upright like a 1", "读作“/”，但笔画像 1 一样直立"),
    F.second_look_not_number: lambda p: (f"a second reading agrees on {p['read']!r}, which is not a number",
                                         f"再读一次仍是 {p['read']!r}，不是数字"),
    F.second_look_disagrees: lambda p: (f"a second reading differs: {p['other']!r}", f"再读一次结果不同：{p['other']!r}"),
    F.second_look_disagrees_not_number: lambda p: (
        f"a second reading differs ({p['other']!r}) and neither reads as a number",
        f"再读一次结果不同（{p['other']!r}），两次都读不成数字"),
    F.lookalike: lambda p: (f"look-alike characters read as digits: {p['read']!r} → {p['digits']!r}",
                            f"形近字当作数字读：{p['read']!r} → {p['digits']!r}"),
    F.single_lookalike: lambda p: (f"single look-alike character read as digit: {p['read']!r} → {p['digits']!r}",
                                   f"单个形近字当作数字读：{p['read']!r} → {p['digits']!r}"),
    F.speck_dropped: lambda p: (f"a speck beside the digits left out: {p['read']!r} → {p['digits']!r}",
                                f"去掉数字旁的污点：{p['read']!r} → {p['digits']!r}"),
    F.negative_count: lambda p: ("negative number where the template expects a count", "模板要的是件数，却读到负数"),
    F.not_a_number: lambda p: (f"not a number: {p['text']!r}", f"读不成数字：{p['text']!r}"),
    F.derived: lambda p: (("value not printed in its own cell; derived from the consistency rules",
                           "数值没有印在自己的格子里，由勾稽关系推算") if p.get("printed_elsewhere")
                          else ("not read; derived from the consistency rules", "没有读出，数值由勾稽关系推算")),
    F.row_label_fair: lambda p: (f"row label matched fairly ({p['score']:.2f}): {p['label']!r}",
                                 f"行名与模板大致对上（相似度 {p['score']:.2f}）：{p['label']!r}"),
    F.row_label_weak: lambda p: (f"row label matched weakly ({p['score']:.2f}): {p['label']!r}",
                                 f"行名与模板对得不牢（相似度 {p['score']:.2f}）：{p['label']!r}"),
    F.row_by_position_anchored: lambda p: _by_position(p, anchored=True),
    F.row_by_position: lambda p: _by_position(p, anchored=False),
    F.cell_disputed: lambda p: ("the ruling lines and the words place this cell differently",
                                "表格线和文字排列对这一格的位置说法不同"),
    F.placed_by_rules: _row_resolution,
    F.row_unresolved: _row_resolution,
    F.derived_unplaced: lambda p: ("placed by the consistency rules (its row was not found)",
                                   "由勾稽关系放入（文件中找不到这一行）"),
    F.page_turn_unsure: lambda p: (f"page turned {p['rotation']}° on too little evidence ({p['votes']})",
                                   f"这一页是正是倒依据不足（按转 {p['rotation']}° 读）：倒着读，一行数字的次序会颠倒"),
    F.breaks_rule: lambda p: (f"breaks rule {p['rule']} ({p['subject']}): {p['equation']}",
                              f"所在的勾稽关系不成立：{p['equation']}"),  # ids for programmers; see why_unsure
    F.derived_cap: lambda p: (f"derived from the consistency rules: at most {p['cap']:g}",
                              f"由勾稽关系推算，把握度最高记 {p['cap']:g}"),
    F.confirmed_by_rules: lambda p: (f"confirmed by {p['rules']} consistency rule(s)", f"有 {p['rules']} 条勾稽关系核对无误"),
    F.confirmed_by_one_rule: lambda p: (f"confirmed by {p['rules']} consistency rule(s)", f"有 {p['rules']} 条勾稽关系核对无误"),
    F.failure_points_elsewhere: lambda p: (
        f"its broken rule is explained by {p['culprit']}, where every broken rule of the table crosses; "
        f"its other {p['rules']} rule(s) hold",
        f"它所在的勾稽关系不成立，但表中不成立的各条关系都交于{p['culprit_zh']}这一格，问题出在那一格；"
        f"它所在的另外 {p['rules']} 条勾稽关系核对无误"),
    F.confirmed_via_unread: lambda p: (
        f"confirmed by {p['rules']} consistency rule(s), one through the value the rules give the unread cell "
        f"{p['unread']} (its other rule holds with it)",
        f"有 {p['rules']} 条勾稽关系核对无误，其中一条经由未读出的{p['unread_zh']}这一格：由一条关系推算出它的数，"
        "另一条关系用这个数也成立"),
    F.unconfirmed_ocr: lambda p: (f"an OCR reading no consistency rule confirms: at most {p['cap']:g}",
                                  f"扫描件上识别出的数字，没有一条勾稽关系能核对它，所以把握度最高只记 {p['cap']:g}"
                                  "（文字识别自己给的分数偏高，不足为凭）"),
    F.signed_column: lambda p: ("a column that may be negative: a faint minus sign is easily lost",
                                "这一列可以是负数：淡的负号容易丢失"),
    F.lone_stroke: lambda p: ("a lone stroke read as 1 may be a printed '/'", "单独一竖读成 1，可能印的是“/”"),
    F.scan_blank: lambda p: ("a blank or dash on a scan may be a number the scan lost", "扫描件上的空白或横线，可能是扫描丢失的数字"),
    F.text_agrees: lambda p: (f"agrees with the body text: 「{p['sentence']}」" + (f" (page {p['page']})" if p.get("page") else ""),
                              f"与正文一致：「{p['sentence']}」" + (f"（第 {p['page']} 页）" if p.get("page") else "")),
}

# what a factor recorded without its parameters says (a report stored before they were kept)
_GIST_ZH: dict[FactorCode, str] = {
    F.slash_by_shape: "笔画像“/”一样倾斜，读作“/”", F.second_look_not_number: "再读一次仍不是数字",
    F.second_look_disagrees: "再读一次结果不同", F.second_look_disagrees_not_number: "再读一次结果不同，两次都读不成数字",
    F.lookalike: "形近字当作数字读", F.single_lookalike: "单个形近字当作数字读",
    F.speck_dropped: "去掉数字旁的污点", F.not_a_number: "读不成数字",
    F.row_label_fair: "行名与模板大致对上", F.row_label_weak: "行名与模板对得不牢",
    F.placed_by_rules: "这一行印的数与模板的列数不同：各数所在的列由勾稽关系选定",
    F.row_unresolved: "这一行印的数与模板的列数不同：无法推断，按顺序放入",
    F.page_turn_unsure: "这一页是正是倒依据不足：倒着读，一行数字的次序会颠倒", F.breaks_rule: "违反勾稽关系",
    F.derived_cap: "由勾稽关系推算", F.confirmed_by_rules: "勾稽关系核对无误", F.confirmed_by_one_rule: "勾稽关系核对无误",
    F.failure_points_elsewhere: "所在的勾稽关系不成立，问题出在各条不成立关系相交的另一格",
    F.confirmed_via_unread: "勾稽关系核对无误（经由一个推算出的格）",
    F.unconfirmed_ocr: "扫描件上识别出的数字，没有一条勾稽关系能核对它", F.text_agrees: "与正文一致",
}


def factor(code: FactorCode, **params: str | int | float | bool) -> ConfidenceFactor:
    """A confidence factor with its parameters, its reason worded (in English) from them."""
    return ConfidenceFactor(code=code, reason=FACTOR_WORDS[code](params)[0], params=params)


def factor_zh(f: ConfidenceFactor) -> str:
    """A factor's reason in Chinese, from its code and parameters (not from its English)."""
    try:
        return FACTOR_WORDS[f.code](f.params)[1]
    except KeyError:
        return _GIST_ZH.get(f.code, f.reason)


# ---------------------------------------------------------------- the notes' words

# why a table's ruling lines (or its word grid) were not trusted (``layout.structure`` faults),
# by code, from the count: (English for programmers, 简体中文 for clerks)
FAULT_WORDS: dict[str, Callable[[int], tuple[str, str]]] = {
    "outside_grid": lambda n: (f"{n} word(s) outside the ruling-line grid", f"{n} 个词在表格线围成的格子之外"),
    "cut_by_wall": lambda n: (f"{n} word(s) cut by a wall", f"{n} 个词被格线切开"),
    "two_columns": lambda n: (f"{n} cell(s) hold words of two columns", f"{n} 个格子里有两列的文字"),
    "printed_columns_unfit": lambda n: (f"{n} printed value columns fit no template table",
                                        f"印出的 {n} 个数值列与模板中任何一张表都对不上"),
    "columns_unfit": lambda n: (f"{n} columns fit no template table", f"{n} 列与模板中任何一张表都对不上"),
    "no_grid": lambda n: ("no ruling-line grid", "没有找到表格线"),
}


class Fault(str):
    """A fault of a table's grid (``layout.structure``): the string is its English (for
    programmers, the debug drawing and ``TableLayout.faults``); ``code`` and ``n`` (how many
    words, cells or columns) are what it says, from which ``FAULT_WORDS`` words it in Chinese too."""

    code: str
    n: int

    def __new__(cls, code: str, n: int = 0) -> Fault:
        self = super().__new__(cls, FAULT_WORDS[code](n)[0])
        self.code, self.n = code, n
        return self

    def __getnewargs__(self) -> tuple[str, int]:  # type: ignore[override]
        return self.code, self.n


def _value_line(p: Params) -> tuple[str, str]:
    """A matrix's value line cut into its numbers by the gaps in its ink (no wall placed them)."""
    n, even, strays = p["values"], p.get("even", False), int(p.get("strays", 0))
    en, zh = {
        "last_line": (f"the grid gave no row of {n} values: the last line",
                      f"表格线没有给出一行 {n} 个数：按墨迹间的空隙把最后一行切成 {n} 个数"),
        "under_title": ("no grid under the matrix's title: its first line of numbers",
                        f"标题下没有找到表格线：按墨迹间的空隙把标题下第一行数字切成 {n} 个数"),
        "under_grid": ("the grid gave no row of its values: the first line of numbers under it",
                       f"表格线没有给出一行 {n} 个数：按墨迹间的空隙把表格下第一行数字切成 {n} 个数"),
        "inside": (f"the grid's last line gave no row of {n} values: its first line of numbers",
                   f"表格最后一行不是 {n} 个数：按墨迹间的空隙把表格内第一行数字切成 {n} 个数"),
        "unheaded": (f"a ruled table with no header read and no grid: its line of exactly {n} evenly spaced numbers "
                     "(only this table has so many columns)",
                     f"表头未能识别、没有表格线网格：只有本表有 {n} 列，按墨迹间的空隙把一行均匀排列的数字切成 {n} 个数"),
    }[str(p["line"])]
    return (f"{en} cut into {n} numbers by the gaps in its ink, placed in x order" + (", evenly spaced" if even else "")
            + (f", {strays} piece(s) off their pitch left out ({p['stray_texts']})" if strays else ""),
            zh + ("，间距均匀" if even else "") + (f"，去掉 {strays} 个不在列距上的笔画（{p['stray_texts']}）" if strays else "")
            + "，按从左到右的次序放入")


def _grid_row_gaps(p: Params) -> tuple[str, str]:
    """Grid cells of a row that printed nothing, or that do not read as numbers."""
    unprinted, cells, garbled = int(p.get("unprinted", 0)), p.get("cells", 0), int(p.get("garbled", 0))
    en = ([f"{unprinted} of {cells} grid cells of the row have no printed cell"] if unprinted else []) \
        + ([f"{garbled} cell(s) do not read as numbers"] if garbled else [])
    zh = ([f"这一行 {cells} 个格子中有 {unprinted} 个没有印出内容"] if unprinted else []) \
        + ([f"{garbled} 个格子读不成数字"] if garbled else [])
    return "; ".join(en), "；".join(zh)


def _words_over_lines(p: Params) -> tuple[str, str]:
    """The structure read from the words, the ruling lines' faults (``params``: fault code → count)."""
    faults = [FAULT_WORDS[code](int(n)) for code, n in p.items()]
    return ("table structure read from the words: the ruling lines were contradicted ("
            + "; ".join(en for en, _ in faults) + ")",
            "表格结构按文字排列读出：表格线与文字矛盾（" + "；".join(zh for _, zh in faults) + "）")


# each note code's words from its parameters: (English for programmers, 简体中文 for clerks)
NOTE_WORDS: dict[NoteCode, Callable[[Params], tuple[str, str]]] = {
    N.thousands_removed: lambda p: ("thousands separator removed", "去掉了千分位逗号"),
    N.no_printed_cell: lambda p: ("no printed cell for this column", "这一列没有印出的格子"),
    N.row_not_found: lambda p: ("row not found in the document", "文件中找不到这一行"),
    N.blanks_dropped: lambda p: (f"dropped {p['dropped']} blank cell(s) beyond the {p['columns']} columns",
                                 f"去掉了 {p['columns']} 列之外的 {p['dropped']} 个空格子"),
    N.specks_left_out: lambda p: (f"{p['count']} cell(s) of specks only left out ({p['texts']}): values placed in their order",
                                  f"去掉 {p['count']} 个只有污点的格（{p['texts']}）：各数按顺序放入"),
    N.numbers_in_one_cell: lambda p: (f"{p['count']} numbers read in one cell ({p['text']!r}): placed in their order",
                                      f"格间的线丢失，一个格子里读出 {p['count']} 个数（{p['text']!r}）：按顺序放入各列"),
    N.numbers_after_label: lambda p: (
        f"{p['count']} numbers read at the end of one cell with the label's text: placed in their order",
        f"格间的线丢失，同一格里在行名之后读出 {p['count']} 个数：按顺序放入各列"),
    N.header_and_value: lambda p: ("the column's header and the value under it read as one cell: the number its value",
                                   "表头和下面的数读进了同一格（中间的线丢失）：取其中的数字"),
    N.label_and_number: lambda p: ("the row's label and one number read as one text: the number its value",
                                   "行名和一个数读成了一段文字（中间的线丢失）：取其中的数字"),
    N.values_beside_label: lambda p: (
        "text lines beside the row's label, level with it (no grid read the row): its values in x order",
        "没有读出这一行的表格线：取行名右侧同一高度的数字，按从左到右的次序放入"),
    N.grid_row_gaps: _grid_row_gaps,
    N.row_count_mismatch: lambda p: (f"row printed {p['values']} values for {p['columns']} columns",
                                     f"这一行印了 {p['values']} 个数，模板有 {p['columns']} 列"),
    N.rows_read_as_one: lambda p: (
        f"one of {p['rows']} table rows the grid read as one (their rules lost): cut by the cells' stacked values",
        f"行间的线丢失，{p['rows']} 行被读成了一行：按格中上下排列的数字分开"),
    N.value_line_cut: _value_line,
    N.words_over_lines: _words_over_lines,
    N.differs_from_text: lambda p: (f"differs from the body text: 「{p['sentence']}」", f"与正文不一致：「{p['sentence']}」"),
    N.corrected: lambda p: (f"corrected by {p['who']} at {p['at']} (machine read {p['machine']})",
                            f"已由 {p['who']} 于 {p['at']} 更正（机器读数 {p['machine']}）"),
    N.accepted: lambda p: (f"accepted by {p['who']} at {p['at']}", f"已由 {p['who']} 于 {p['at']} 确认无误"),
    N.read_score: lambda p: (f"OCR read confidence {p['score']:g}", f"文字识别把握度 {p['score']:g}"),
    N.faint_print: lambda p: ("faint print", "字迹淡"),
    N.lookalike_read: lambda p: (f"look-alike character read as a digit ({p['change']})", f"形近字当作数字读（{p['change']}）"),
    N.in_broken_rule: lambda p: ("in a broken consistency rule", "在一条不成立的勾稽关系中"),
    N.recorded: lambda p: (str(p["text"]), _stored_zh(str(p["text"]))),
}


def note(code: NoteCode, **params: str | int | float | bool) -> CellNote:
    """A note on a cell with its parameters, its reason worded (in English) from them."""
    return CellNote(code=code, reason=NOTE_WORDS[code](params)[0], params=params)


def note_zh(n: CellNote) -> str:
    """A note in Chinese, from its code and parameters (not from its English)."""
    return NOTE_WORDS[n.code](n.params)[1]


# a note stored as English only (a report parsed before notes had codes): the code and
# parameters read back from its words, so that it is said in the same Chinese as a coded one
_LEGACY: list[tuple[re.Pattern[str], NoteCode, Callable[[re.Match[str]], dict]]] = [
    (re.compile(r"^OCR read confidence ([\d.]+)"), N.read_score, lambda m: {"score": float(m[1])}),
    (re.compile(r"^no printed cell for this column$"), N.no_printed_cell, lambda m: {}),
    (re.compile(r"^row not found in the document$"), N.row_not_found, lambda m: {}),
    (re.compile(r"^differs from the body text: 「(.*)」$"), N.differs_from_text, lambda m: {"sentence": m[1]}),
    (re.compile(r"^dropped (\d+) blank cell\(s\) beyond the (\d+) columns$"), N.blanks_dropped,
     lambda m: {"dropped": int(m[1]), "columns": int(m[2])}),
    (re.compile(r"^thousands separator removed$"), N.thousands_removed, lambda m: {}),
    (re.compile(r"^corrected by (.*?) at (\S+) \(machine read (.*)\)$"), N.corrected,
     lambda m: {"who": m[1], "at": m[2], "machine": m[3]}),
    (re.compile(r"^accepted by (.*?) at (\S+)$"), N.accepted, lambda m: {"who": m[1], "at": m[2]}),
    (re.compile(r"^in a broken consistency rule$"), N.in_broken_rule, lambda m: {}),
    (re.compile(r"^faint print$"), N.faint_print, lambda m: {}),
    (re.compile(r"^look-alike character read as a digit \((.*)\)$"), N.lookalike_read, lambda m: {"change": m[1]}),
    (re.compile(r"^(\d+) of (\d+) grid cells of the row have no printed cell$"), N.grid_row_gaps,
     lambda m: {"unprinted": int(m[1]), "cells": int(m[2])}),
    (re.compile(r"^(\d+) cell\(s\) do not read as numbers$"), N.grid_row_gaps, lambda m: {"garbled": int(m[1])}),
    (re.compile(r"^row printed (\d+) values for (\d+) columns$"), N.row_count_mismatch,
     lambda m: {"values": int(m[1]), "columns": int(m[2])}),
    (re.compile(r"^(\d+) cell\(s\) of specks only left out \((.*)\): values placed in their order$"), N.specks_left_out,
     lambda m: {"count": int(m[1]), "texts": m[2]}),
    (re.compile(r"^(\d+) numbers read in one cell \('(.*)'\): placed in their order$"), N.numbers_in_one_cell,
     lambda m: {"count": int(m[1]), "text": m[2]}),
    (re.compile(r"^(\d+) numbers read at the end of one cell with the label's text: placed in their order$"),
     N.numbers_after_label, lambda m: {"count": int(m[1])}),
    (re.compile(r"^one of (\d+) table rows the grid read as one \(their rules lost\): cut by the cells' stacked values$"),
     N.rows_read_as_one, lambda m: {"rows": int(m[1])}),
    (re.compile(r"^(?:the grid gave no row of (\d+) values: the last line|(no grid under the matrix's title: its first "
                r"line of numbers)|(the grid gave no row of its values: the first line of numbers under it)) cut into "
                r"(\d+) numbers by the gaps in its ink, placed in x order(, evenly spaced)?"
                r"(?:, (\d+) piece\(s\) off their pitch left out \((.*)\))?$"), N.value_line_cut,
     lambda m: {"line": "under_title" if m[2] else "under_grid" if m[3] else "last_line", "values": int(m[4]),
                "even": bool(m[5]), **({"strays": int(m[6]), "stray_texts": m[7]} if m[6] else {})}),
    (re.compile(r"^the column's header and the value under it read as one cell: the number its value$"),
     N.header_and_value, lambda m: {}),
    (re.compile(r"^the row's label and one number read as one text: the number its value$"), N.label_and_number,
     lambda m: {}),
    (re.compile(r"^text lines beside the row's label, level with it \(no grid read the row\): its values in x order$"),
     N.values_beside_label, lambda m: {}),
    (re.compile(r"^table structure read from the words: the ruling lines were contradicted \((.*)\)$"),
     N.words_over_lines, lambda m: _legacy_faults(m[1])),
]
_LEGACY_FAULTS = [(re.compile("^" + re.escape(FAULT_WORDS[code](987654321)[0]).replace("987654321", r"(\d+)") + "$"), code)
                  for code in FAULT_WORDS]


def _legacy_faults(text: str) -> dict:
    """Faults stored as English ("3 word(s) cut by a wall; no ruling-line grid") by code."""
    out: dict[str, int] = {}
    for part in text.split("; "):
        code, m = next(((c, m) for p, c in _LEGACY_FAULTS if (m := p.match(part))), (None, None))
        if code is None or m is None:
            raise ValueError(part)
        out[code] = int(m[1]) if m.groups() else 0
    return out


def _legacy_zh(reason: str) -> str | None:
    for pattern, code, params in _LEGACY:
        m = pattern.search(reason)
        if m:
            try:
                return note_zh(CellNote(code=code, reason=reason, params=params(m)))
            except (ValueError, KeyError):
                return None
    return None


def _stored_zh(reason: str) -> str:
    """A note stored as English only, read back into its code where its words say which."""
    whole = _legacy_zh(reason)
    if whole is not None:
        return whole
    return "；".join(_legacy_zh(part) or part for part in reason.split("; "))


def reason_zh(reason: str | CellNote) -> str:
    """One recorded note in Chinese: a coded note from its code and parameters (``note_zh``); a
    note stored as English only (a report parsed before notes had codes) read back into its code
    first; a compound one ("a; b") part by part; a part read back into no code stays as recorded.
    A factor's reason is worded from its code instead (``factor_zh``)."""
    return note_zh(reason) if isinstance(reason, CellNote) else _stored_zh(reason)


# ---------------------------------------------------------------- why a cell is unsure


def why_unsure(cell: Cell, report: Report | None, settings: ConfidenceSettings, lang: str = "zh") -> list[str]:
    """Why this cell's confidence is what it is, in words: its recorded reasons, and where none
    was recorded a reason derived from its kind and the cap its confidence sits at."""
    s = settings
    reasons = list(cell.reasons)
    if not _explains_cap(cell, reasons):
        derived = _derived_reason(cell, report, s)
        if derived:
            reasons.append(derived)
    if lang != "zh":
        return reasons
    template = template_of(report.template_version) if report is not None else None
    checks = {(c.rule, c.subject): c for c in report.checks} if report is not None else {}
    coded = {f.reason: f for f in cell.factors}  # a reason a factor carries is worded from its code
    noted = {n.reason: n for n in cell.notes}  # and a note's from its code
    out = []
    for r in reasons:
        f = coded.get(r)
        chk = checks.get((str(f.params.get("rule")), str(f.params.get("subject")))) \
            if f is not None and f.code == FactorCode.breaks_rule else None
        if chk is not None and template is not None:
            out.append(f"所在的勾稽关系不成立：{rule_finding(template, chk)}")
        else:
            out.append(factor_zh(f) if f is not None else note_zh(noted[r]) if r in noted else reason_zh(r))
    return out


# what a factor or a note says for a cell rather than against it: no reason why it is below 1
_AFFIRMING = {F.confirmed_by_rules, F.confirmed_by_one_rule, F.confirmed_via_unread, F.text_agrees,
              N.corrected, N.accepted}


def _explains_cap(cell: Cell, reasons: list[str]) -> bool:
    """Whether the recorded reasons say why the cell is below 1 (a "confirmed" one does not): by
    the code of the factor or note that carries a reason; a reason stored without one by its words."""
    codes = {**{f.reason: f.code for f in cell.factors}, **{n.reason: n.code for n in cell.notes}}
    return any(codes[r] not in _AFFIRMING if r in codes
               else not r.startswith(("confirmed by", "agrees with the body text", "corrected by", "accepted by"))
               for r in reasons)


def _derived_reason(cell: Cell, report: Report | None, s: ConfidenceSettings) -> str | None:
    """A reason for a cell the parser recorded none for, from its kind and confidence."""
    kind = getattr(cell.kind, "value", cell.kind)
    scanned = bool(report) and any(p.number == cell.page and p.source == "scan" for p in report.pages)  # type: ignore[union-attr]
    if kind == CellKind.missing.value:
        return "表格或这一格没有在文件中找到"
    if kind == CellKind.derived.value:
        return "没有读出，数值由勾稽关系推算"
    if kind == CellKind.unreadable.value:
        return "印出的内容无法辨认为数字"
    if cell.confidence >= 1.0:
        return None
    capped = scanned and cell.read_confidence * cell.placement_confidence > cell.confidence + 1e-6
    if capped and kind in (CellKind.number.value, CellKind.zero.value):
        return (f"扫描件上识别出的数字，没有一条勾稽关系能核对它，所以把握度最高只记 {s.unconfirmed_ocr_cap:g}"
                f"（文字识别自己给的分数偏高，不足为凭）")
    if capped:
        return f"扫描件上的空白、横线或文字，可能是扫描丢失的数字（把握度最高记 {s.unconfirmed_ocr_cap:g}）"
    if cell.read_confidence < 1.0 and cell.read_confidence <= cell.placement_confidence:
        return f"文字识别把握度 {cell.read_confidence:.2f}"
    if cell.placement_confidence < 1.0:
        return f"行列归属把握度 {cell.placement_confidence:.2f}"
    return None


# ---------------------------------------------------------------- rules and findings


def _num(v: float | int | None) -> str:
    if v is None:
        return "—"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return f"{v:g}"


def _rule_sides(text: str) -> tuple[str, str]:
    """"（七）总计等于（一）至（六）各项之和" → ("（七）总计", "（一）至（六）各项之和")."""
    left, sep, right = text.partition("等于")
    if not sep:
        return text, "各项之和"
    return left.rstrip("，, "), right


def rule_location(template: Template, check: CheckResult) -> str:
    """Where a rule applies: "表三 （七）总计 行 · 自然人 列" (one cell on the left), or the
    column / row it runs over."""
    table = check.rule.split(".")[0]
    spec = next((r for r in template.rules if r.id == check.rule), None)
    short = table_short(template, table)
    if spec is None:
        return short
    if len(spec.lhs) == 1:
        row, col = (spec.lhs[0], check.subject) if spec.over == "columns" else (check.subject, spec.lhs[0])
        return cell_name(template, table, row, col).short
    if spec.over == "columns":
        name = cell_name(template, table, spec.lhs[0], check.subject)
        return f"{short} {name.col} 列"
    name = cell_name(template, table, check.subject, spec.rhs[0])
    return f"{short} {name.row} 行"


def rule_finding(template: Template, check: CheckResult) -> str:
    """A broken rule in words: "表三 （七）总计 行 · 自然人 列：印刷 95，（一）至（六）各项之和为 96"."""
    spec = next((r for r in template.rules if r.id == check.rule), None)
    where = rule_location(template, check)
    if spec is None:
        return f"{where}：{check.description}（{check.equation}）"
    left, right = _rule_sides(spec.text)
    if check.lhs is None or check.rhs is None:
        return f"{where}：{spec.text}，无法核对（有格子没有数字）"
    if len(spec.lhs) == 1:
        return f"{where}：印刷 {_num(check.lhs)}，{right}为 {_num(check.rhs)}"
    return f"{where}：{left}为 {_num(check.lhs)}，{right}为 {_num(check.rhs)}（应当相等）"


def finding_zh(template: Template, finding: Finding) -> str:
    """A disagreement between two sources in words (text vs table; year vs year)."""
    if finding.kind == "text_vs_table":
        text = next((e for e in finding.sources if e.source == "text"), None)
        cells = [e for e in finding.sources if e.source == "cell" and e.cell]
        names = []
        total: float = 0
        for e in cells:
            t, r, c = split_cell_ref(e.cell or "")
            names.append(cell_name(template, t, r, c).short)
            total += e.value or 0
        said = f"正文写「{text.text[:60]}」（{_num(text.value)} {text.unit or ''}）" if text else "正文"
        page = f"（第 {text.page} 页）" if text and text.page else ""
        return f"{said}{page}，表中 {'＋'.join(names)} 为 {_num(total)}"
    if finding.kind == "carried_forward":
        return f"上一年“结转下年度继续办理”与本年“上年结转”不一致：{finding.message.rsplit(':', 1)[-1].strip()}"
    if finding.kind == "in_force":
        return f"现行有效件数与上年现行有效＋本年制发－废止不一致：{finding.message.rsplit(':', 1)[-1].strip()}"
    return finding.message


def split_cell_ref(ref: str) -> tuple[str, str, str]:
    """"active_disclosure.art20_6.coercion.decisions" → (table, row, col): the table is the first
    part, the column the last, the row whatever lies between (a 第二十条 row has a dot)."""
    table, rest = ref.split(".", 1)
    row, col = rest.rsplit(".", 1)
    return table, row, col
