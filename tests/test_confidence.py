"""Confidence: what arithmetic can confirm, and what an OCR reading alone cannot."""

from __future__ import annotations

from nianbao.models import Document, PageInfo, Row, SourceInfo, TextCell
from nianbao.pipeline import parse_document
from nianbao.readers.common import table_layouts
from nianbao.settings import Settings

AD_2019 = [
    ("第二十条第（一）项", []), ("信息内容", ["本年新制作数量", "本年新公开数量", "对外公开总数量"]),
    ("规章", ["1", "0", "3"]), ("规范性文件", ["2", "2", "15"]),
    ("第二十条第（五）项", []), ("信息内容", ["上一年项目数量", "本年增/减", "处理决定数量"]),
    ("行政许可", ["12", "5", "40"]), ("其他对外管理服务事项", ["3", "0", "0"]),
    ("第二十条第（六）项", []), ("信息内容", ["上一年项目数量", "本年增/减", "处理决定数量"]),
    ("行政处罚", ["7", "0", "9"]), ("行政强制", ["0", "0", "0"]),
]


def _scanned_report(read_conf: float = 0.99, table=AD_2019):
    rows = [Row(kind="text", page=1, cells=[TextCell(text="某县某局2020年政府信息公开工作年度报告")])]
    for k, (label, values) in enumerate(table):
        cells = [TextCell(text=label, col=0, bbox=(10, 10 + 20 * k, 90, 28 + 20 * k))]
        cells += [TextCell(text=v, col=1 + j, confidence=read_conf, bbox=(100 + 50 * j, 10 + 20 * k, 140 + 50 * j, 28 + 20 * k))
                  for j, v in enumerate(values)]
        rows.append(Row(kind="table", page=1, table_index=0, exact_cells=True, cells=cells))
    doc = Document(path="scan.pdf", format="pdf-scan", rows=rows, tables=table_layouts(rows, "lines"),
                   pages=[PageInfo(number=1, width=1000, height=1400, dpi=200, source="scan")])
    return parse_document(doc, Settings(), SourceInfo(path="scan.pdf", sha256="", size=0, format="pdf-scan"))


def test_ocr_number_no_rule_checks_is_capped_below_certainty():
    ad = _scanned_report().table("active_disclosure")
    cell = ad.cell("art20_1.normative_documents", "published_total")
    assert cell.value == 15 and cell.confidence <= Settings().confidence.unconfirmed_ocr_cap


def test_ocr_lone_one_may_be_a_slash_and_stays_below_threshold():
    ad = _scanned_report().table("active_disclosure")
    cell = ad.cell("art20_1.regulations", "made_this_year")
    assert cell.value == 1 and cell.confidence < 0.9
    assert any("'/'" in r for r in cell.reasons)


def test_ocr_value_of_a_signed_column_stays_below_threshold():
    """A lost minus sign ("-5" read "5") must never look certain."""
    ad = _scanned_report().table("active_disclosure")
    cell = ad.cell("art20_5.licensing", "change")
    assert cell.value == 5 and cell.confidence < 0.9


def test_text_layer_reading_is_not_capped(tmp_path):
    from pathlib import Path

    from nianbao.pipeline import parse_file

    report = parse_file(Path(__file__).parent / "data" / "report_2022_city_bureau.pdf")
    assert report.table("active_disclosure").cell("art20_5.licensing", "decisions").confidence == 1.0


def _scanned_matrix(printed_rows: list[tuple[str, list[str]]]):
    """A scanned page holding the application matrix's title and, one grid row each, the
    ``printed_rows`` (label, the numbers read), parsed into a report."""
    rows = [Row(kind="text", page=1, cells=[TextCell(text="三、收到和处理政府信息公开申请情况")])]
    for k, (label, printed) in enumerate(printed_rows):
        cells = [TextCell(text=label, col=0, bbox=(10, 100 + 30 * k, 300, 128 + 30 * k))]
        cells += [TextCell(text=v, col=1 + j, confidence=0.99, bbox=(310 + 40 * j, 100 + 30 * k, 345 + 40 * j, 128 + 30 * k))
                  for j, v in enumerate(printed)]
        rows.append(Row(kind="table", page=1, table_index=0, exact_cells=True, cells=cells))
    doc = Document(path="scan.pdf", format="pdf-scan", rows=rows, tables=table_layouts(rows, "lines"),
                   pages=[PageInfo(number=1, width=1000, height=1400, dpi=200, source="scan")])
    return parse_document(doc, Settings(), SourceInfo(path="scan.pdf", sha256="", size=0, format="pdf-scan"))


def test_row_rule_alone_does_not_confirm_a_scanned_cell_whose_column_rules_are_not_assessable():
    """Eval report 055: a garbled row (2, 0, …, 2 for 0, 1, …, 1) still satisfied its row rule while
    the column rules could not be assessed (rows not read); it came out at 1.0. Arithmetic
    confirms a cell only when every rule it is in holds."""
    labels = ["一、本年新收政府信息公开申请数量", "二、上年结转政府信息公开申请数量", "三、本年度办理结果 （一）予以公开",
              "（二）部分公开（区分处理的，只计这一情形，不计其他情形）", "（三）不予公开 1.属于国家秘密"]
    report = _scanned_matrix([(label, ["2", "0", "0", "0", "0", "0", "2"]) for label in labels])
    cell = report.table("applications").cell("partially_disclosed", "total")
    assert cell.value == 2
    assert cell.confidence < 0.9


def test_blank_or_dash_on_a_scan_stays_below_threshold():
    """A cell whose faint number the scan lost comes out blank; it was reported as a printed
    blank at 0.99 (the 采购 amount of a generated scan), a certain-looking wrong value."""
    table = [(label, ["", "/", "0"] if label == "行政强制" else values) for label, values in AD_2019]
    ad = _scanned_report(table=table).table("active_disclosure")
    assert ad.cell("art20_6.coercion", "previous_year").confidence < 0.9
    assert ad.cell("art20_6.coercion", "change").confidence < 0.9


# ----------------------------------------------------------------------------- the ledger

def _ledger_report(settings: Settings | None = None):
    """A scanned 第二十条 table as the scan stage gives it, with the evidence the scan records
    (an empty grid cell, a second look that disagreed, a cell the two structure readings place
    differently, a stroke read by its shape), a look-alike and a garbled reading."""
    from nianbao.models import ConfidenceFactor, FactorCode

    def fx(code: FactorCode, reason: str) -> list[ConfidenceFactor]:
        return [ConfidenceFactor(code=code, reason=reason)]

    special = {
        ("其他对外管理服务事项", 1): dict(text="", factors=fx(FactorCode.empty_cell, "no ink in the cell: read as blank")),
        ("规章", 2): dict(text="3", factors=fx(FactorCode.second_look_disagrees, "a second reading differs: '8'")),
        ("规范性文件", 0): dict(text="2", factors=fx(FactorCode.cell_disputed,
                                                    "the ruling lines and the words place this cell differently")),
        ("规范性文件", 2): dict(text="l5"),
        ("行政许可", 0): dict(text="/", factors=fx(FactorCode.slash_by_shape, "the stroke leans like '/': read as '/', not '1'")),
        ("行政处罚", 2): dict(text="9?", confidence=0.6),
    }
    rows = [Row(kind="text", page=1, cells=[TextCell(text="某县某局2020年政府信息公开工作年度报告")])]
    for k, (label, values) in enumerate(AD_2019):
        cells = [TextCell(text=label, col=0, bbox=(10, 10 + 20 * k, 90, 28 + 20 * k))]
        for j, v in enumerate(values):
            extra = {"text": v, "confidence": 0.99, **special.get((label, j), {})}
            cells.append(TextCell(col=1 + j, bbox=(100 + 50 * j, 10 + 20 * k, 140 + 50 * j, 28 + 20 * k), **extra))
        rows.append(Row(kind="table", page=1, table_index=0, exact_cells=True, cells=cells))
    doc = Document(path="scan.pdf", format="pdf-scan", rows=rows, tables=table_layouts(rows, "lines"),
                   pages=[PageInfo(number=1, width=1000, height=1400, dpi=200, source="scan")])
    return parse_document(doc, settings or Settings(), SourceInfo(path="scan.pdf", sha256="", size=0, format="pdf-scan"))


def test_every_factor_code_has_its_number_in_settings():
    from nianbao.confidence import FACTOR_RULES
    from nianbao.models import FactorCode
    from nianbao.settings import ConfidenceSettings

    assert set(FACTOR_RULES) == set(FactorCode)
    fields = ConfidenceSettings.model_fields
    assert all(rule.field in fields for rule in FACTOR_RULES.values())


def test_every_factor_on_a_real_cell_takes_its_number_from_settings():
    """Change one factor's field in Settings and the composed confidence of a cell carrying
    that factor changes: no factor is a literal of the stage that recorded it."""
    from nianbao.confidence import FACTOR_RULES
    from nianbao.settings import ConfidenceSettings

    def confidences(report):
        return {c.key: c.confidence for c in report.cells()}

    base_report = _ledger_report()
    base = confidences(base_report)
    carriers: dict = {}
    for cell in base_report.cells():
        for f in cell.factors:
            carriers.setdefault(f.code, set()).add(cell.key)
    assert {"empty_cell", "second_look_disagrees", "cell_disputed", "slash_by_shape", "lookalike",
            "not_a_number", "unconfirmed_ocr", "signed_column", "lone_stroke", "scan_blank"} <= set(carriers)
    for code, keys in carriers.items():
        rule = FACTOR_RULES[code]
        v = getattr(ConfidenceSettings(), rule.field)
        new = (v + (1 - v) / 2) if rule.op == "floor" else (v / 2 if v > 0 else 0.5)
        if rule.op in ("cap", "set", "times") and code == "not_a_number":
            new = 0.5
        settings = Settings(confidence=ConfidenceSettings(**{rule.field: new}))
        after = confidences(_ledger_report(settings))
        assert any(after[k] != base[k] for k in keys), f"{code} ({rule.field}) moved no cell"


def test_a_cell_below_the_threshold_says_why():
    """Every factor leaves its reason on the cell, and every cell a reviewer gets (below the
    silent threshold) has words for why."""
    from nianbao.wording import why_unsure

    report = _ledger_report()
    threshold = Settings().confidence.silent_threshold
    for cell in report.cells():
        assert all(f.reason in cell.reasons for f in cell.factors)
        if cell.confidence < threshold:
            assert why_unsure(cell, report, Settings().confidence), cell.key
    disputed = report.table("active_disclosure").cell("art20_1.normative_documents", "made_this_year")
    assert disputed.confidence < threshold and disputed.placement_confidence == Settings().confidence.disputed_cell_placement
    assert "表格线和文字排列对这一格的位置说法不同" in why_unsure(disputed, report, Settings().confidence)
    garbled = report.table("active_disclosure").cell("art20_6.penalty", "decisions")
    assert garbled.confidence == 0.0 and any(r.startswith("not a number") for r in garbled.reasons)


def test_scoring_twice_gives_the_same_cells():
    """score_cells records the rule factors afresh: a second run adds nothing."""
    from nianbao.checks import check_report
    from nianbao.confidence import score_cells
    from nianbao.models import load_template

    report = _ledger_report()
    before = [c.model_copy(deep=True) for c in report.cells()]
    template = load_template(report.template_version)
    equations, results = check_report(report, template)
    signed = {(t.id, item.row_id(r), c.id) for t in template.tables for item in t.items
              for r in item.rows for c in item.columns if c.signed}
    score_cells(report, equations, results, Settings().confidence, signed)
    assert [c.model_dump() for c in report.cells()] == [c.model_dump() for c in before]


def test_nothing_outside_confidence_writes_a_cell_confidence():
    """Confidence is composed in nianbao/confidence.py only: no other module of the package
    assigns ``confidence``, ``read_confidence`` or ``placement_confidence``, or builds a Cell
    with them. Allowed: metadata.py (report metadata fields, not cells) and review/demo.py (a
    made-up report for the review page's demonstration, its confidences written as data)."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    written = {"confidence", "read_confidence", "placement_confidence"}
    allowed = {"nianbao/confidence.py", "nianbao/metadata.py", "nianbao/review/demo.py"}
    offenders = []
    for folder in ("nianbao", "layout", "ocr", "models"):
        for path in sorted((root / folder).rglob("*.py")):
            rel = path.relative_to(root).as_posix()
            if rel in allowed:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                targets = (node.targets if isinstance(node, ast.Assign)
                           else [node.target] if isinstance(node, (ast.AugAssign, ast.AnnAssign)) else [])
                for t in targets:
                    for sub in ast.walk(t):
                        if isinstance(sub, ast.Attribute) and sub.attr in written:
                            offenders.append(f"{rel}:{node.lineno} assigns .{sub.attr}")
                if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Cell"
                        and any(kw.arg in written for kw in node.keywords)):
                    offenders.append(f"{rel}:{node.lineno} builds a Cell with a confidence")
    assert offenders == []


def test_a_factor_recorded_twice_acts_once():
    """A cell in two broken rules is halved once and names both rules (the fold's rule)."""
    from nianbao.confidence import fold
    from nianbao.models import ConfidenceFactor, FactorCode
    from nianbao.settings import ConfidenceSettings

    s = ConfidenceSettings()
    twice = [ConfidenceFactor(code=FactorCode.breaks_rule, reason=f"breaks rule r{k} (total): 1 = 2") for k in (1, 2)]
    assert fold(0.96, twice, "rules", s) == round(0.96 * s.failed_rule_factor, 4)
    assert fold(0.96, twice, "read", s) == 0.96  # a rule factor does not touch the reading


# ----------------------------------------------------------------------------- a misread, found

def _scanned_applications(changes: dict[tuple[str, int], str]):
    """A scanned 2021 application matrix whose printed numbers keep every rule, read as
    printed except ``changes`` ((row id, column index) -> the text read instead)."""
    from nianbao.models import load_template

    spec = load_template("2021").table("applications")
    leaf = [r for r in spec.items[0].rows if r.id not in ("new_received", "carried_over", "result_total",
                                                          "carried_forward", "other_handling")]
    values = {r.id: [(3 * k + j) % 4 for j in range(6)] for k, r in enumerate(leaf)}
    total = [sum(values[r.id][j] for r in leaf) for j in range(6)]
    values["result_total"] = total
    values["carried_forward"] = [1, 0, 2, 0, 0, 1]
    values["carried_over"] = [2, 1, 0, 0, 1, 0]
    values["new_received"] = [t + f - c for t, f, c in zip(total, values["carried_forward"], values["carried_over"])]
    printed_rows = []
    for r in (r for r in spec.items[0].rows if r.id in values):
        printed = [str(v) for v in values[r.id]] + [str(sum(values[r.id]))]
        printed_rows.append((r.names[0], [changes.get((r.id, j), v) for j, v in enumerate(printed)]))
    return _scanned_matrix(printed_rows).table("applications")


def test_a_single_misread_leaves_only_its_own_cell_unsure():
    """One misread digit breaks its row rule and its column rule, and no others: the cell where
    they cross is the misread (SPEC §3), the other cells of the two broken rules are confirmed
    by their other rule and go to no reviewer; the misread itself stays low."""
    clean = _scanned_applications({})
    assert all(c.confidence >= 0.9 for c in clean.cells)
    apps = _scanned_applications({("withheld_third_party", 2): "8"})
    misread = apps.cell("withheld_third_party", "research_institution")
    assert misread.value == 8 and misread.confidence < 0.9
    same_row = apps.cell("withheld_third_party", "natural_person")
    same_col = apps.cell("disclosed", "research_institution")
    for cell in (same_row, same_col):
        codes = [f.code.value for f in cell.factors]
        assert "breaks_rule" in codes and "failure_points_elsewhere" in codes
        assert cell.confidence == Settings().confidence.localized_failure_floor
        assert any("withheld_third_party.research_institution" in r for r in cell.reasons)
    assert sum(c.confidence < 0.9 for c in apps.cells) == 1


def test_two_misreads_that_keep_their_row_rule_leave_their_columns_unsure():
    """A garbled row that still adds up (eval 055's kind: two cells wrong by opposite amounts)
    breaks two column rules and no row rule: no one cell explains that, so every cell of the
    broken rules stays below the threshold, the wrong ones included."""
    apps = _scanned_applications({("withheld_third_party", 0): "2", ("withheld_third_party", 1): "1"})  # 3, 0
    assert apps.cell("withheld_third_party", "natural_person").value == 2
    broken = [c for c in apps.cells if any(f.code.value == "breaks_rule" for f in c.factors)]
    assert broken and all(c.confidence < 0.9 for c in broken)
    assert not any(f.code.value == "failure_points_elsewhere" for c in apps.cells for f in c.factors)


def test_one_unread_cell_checked_by_its_other_rule_leaves_its_row_and_column_confirmed():
    """An unread cell's value follows from one of its rules (derived, never certain); its other
    rule, holding with that value, is a check no reading entered twice, so the read cells of
    its row and column are confirmed by two rules as before the cell was lost (they were all
    held at 0.89, 28 cells for one lost number)."""
    apps = _scanned_applications({("withheld_third_party", 2): "?"})
    lost = apps.cell("withheld_third_party", "research_institution")
    assert lost.kind.value == "derived" and lost.value == 1 and lost.confidence < 0.9
    assert [c.key for c in apps.cells if c.confidence < 0.9] == [lost.key]
    # two lost in one row: the row rule has two unknowns, nothing checks the derived values
    apps = _scanned_applications({("withheld_third_party", 2): "?", ("withheld_third_party", 3): "?"})
    assert apps.cell("withheld_third_party", "natural_person").confidence < 0.9
    assert apps.cell("disclosed", "research_institution").confidence < 0.9


def test_a_derived_value_its_other_rule_rejects_confirms_nothing():
    """The lost cell's row and column disagree about its value (a misread elsewhere in them):
    no rule is checked through it, and its row and column stay below the threshold."""
    apps = _scanned_applications({("withheld_third_party", 2): "?", ("disclosed", 2): "5"})
    assert apps.cell("withheld_third_party", "natural_person").confidence < 0.9
    assert apps.cell("partially_disclosed", "research_institution").confidence < 0.9
