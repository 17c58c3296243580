"""Figures stated in the body text, and how they compare with the tables.

Reports repeat some table figures in prose: "共受理政府信息公开申请859件", "行政复议7件，诉讼9件",
"主动公开规章13件". :func:`extract_statements` finds every "number + unit" in the text rows
(units 件/条/项/个/万元/元) and keeps the quantity, the sentence, the page and the words right
before the number. A statement is mapped to table cells only when its wording is one of the
recognised phrasings (:func:`classify`); anything else is kept as "unrecognised" and never
guessed at. :func:`compare_statements` then compares each mapped statement with the sum of its
cells: a disagreement becomes a :class:`Finding` with both sources, an agreement records a
``text_agrees`` factor on the cells (``nianbao.confidence`` raises their confidence by it, with
its reason). No value is ever changed.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from nianbao.models.rules import format_number
from nianbao.confidence import add_note
from nianbao.models import CellKind, Document, Evidence, FactorCode, Finding, NoteCode, Report, Statement
from nianbao.wording import factor, note

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_UNITS = "万元|元|件|条|项|个"
# a number (Arabic, or a Chinese numeral), an optional approximation word, then a unit
_QUANTITY = re.compile(
    rf"(?P<num>\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百千]+)\s*(?P<approx>多|余|左右)?\s*(?P<unit>{_UNITS})"
)
_CLAUSE_BREAK = re.compile(r"[，,；;：:（）()【】“”\"]")
_SENTENCE = re.compile(r"[^。！？!?；;]+[。！？!?；;]?")
_APPROX_BEFORE = re.compile(r"(约|近|超过|逾|达|累计)$")
_NOT_APPLICATION = re.compile(r"举报|投诉|信访|12345|热线|提案|建议|留言|咨询|诉求|许可|申请人|来电")
_RECEIVE = re.compile(r"受理|收到|接收|接到|新收|共收|收悉|共有|申请数")
_HEADING = re.compile(r"^(#+|[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十\d]+[)）]|第[一二三四五六七八九十\d]+[章节部分条]|\d+[.、．])")
_NEGATION = re.compile(r"(未|没有|无)(收到|受理|接到|发生|出现|有)")

APPLICATION_GROUPS = {
    "withheld": "withheld_",
    "unable": "unable_",
    "rejected": "rejected_",
}
ORG_COLUMNS = ("commercial_enterprise", "research_institution", "social_welfare_org", "legal_service_org", "other_org")


def cn_number(text: str) -> int | None:
    """Value of a simple Chinese numeral (一, 两, 十二, 二十三, 一百零五); None if not one."""
    if not text or any(ch not in _CN_DIGITS and ch not in _CN_UNITS for ch in text):
        return None
    total, digit = 0, None
    for ch in text:
        if ch in _CN_DIGITS:
            if digit is not None and digit != 0:
                return None  # two digits in a row ("一二"): not a numeral
            digit = _CN_DIGITS[ch]
        else:
            total += (digit if digit is not None else 1) * _CN_UNITS[ch]
            digit = None
    return total + (digit or 0)


# --------------------------------------------------------------------------- meaning


@dataclass
class Topic:
    """What a statement counts: an id and the canonical cells (per template version) it sums."""

    id: str
    note: str = ""


def classify(phrase: str, context: str, unit: str) -> Topic | None:
    """The meaning of "<phrase> N <unit>", or None when the wording is not a recognised one.

    ``context`` is the text of the same sentence before the phrase (for "其中予以公开 5 件" after
    "受理申请 10 件", or "行政规范性文件 60 件" after "制发规章 13 件")."""
    p = phrase
    money = unit in ("万元", "元")
    if re.search(r"复议|诉讼|起诉", p) and re.search(r"维持|纠正|败诉|胜诉|撤销|审结|结果|决定书", p):
        return None  # one result column of 复议/诉讼, not the totals: not read from prose
    if re.search(r"未经复议|直接起诉", p) and not money:
        return Topic("reviews.direct_suit_total")
    if "复议" in p and re.search(r"诉讼|起诉", p):
        if "复议后" in p:
            return Topic("reviews.suit_after_review_total")
        if re.search(r"均为?|都是|分别为?$", p) and not re.search(r"共|合计|总", p):
            return Topic("reviews.each")  # "行政复议、行政诉讼均为 0 件": each of them
        return None  # "行政复议、行政诉讼共 N 件": a sum the tables do not print
    if "复议" in p and not money:
        return Topic("reviews.review_total")
    if re.search(r"诉讼|起诉", p) and not money:
        return Topic("reviews.suit_total")
    if "采购" in p:
        if money:
            return Topic("art20_9.procurement.amount")
        if unit in ("项", "个", "件"):
            return Topic("art20_9.procurement.count")
        return None
    if "收费" in p and money:
        return Topic("art20_8.fees.amount")
    if "决定" in p and not money:
        for word, topic in (("处罚", "art20_6.penalty.decisions"), ("强制", "art20_6.coercion.decisions"),
                            ("许可", "art20_5.licensing.decisions")):
            if word in p:
                return Topic(topic)
    doc_type = None
    if "规章" in p and "规范性文件" not in p:
        doc_type = "regulations"
    elif "规范性文件" in p and "规章" not in p:
        doc_type = "normative_documents"
    if doc_type and not money:
        verb = _doc_verb(p)
        rest = re.sub(r"行政|规章|规范性文件|的|和|及|、", "", p)
        if verb is None and not rest:  # "…规章13件，行政规范性文件60件": the verb said before
            verb = _doc_verb(context)
        return Topic(f"art20_1.{doc_type}.{verb}") if verb else None
    if unit == "件" and not money:
        return _application_topic(p, context)
    return None


def _doc_verb(text: str) -> str | None:
    """The last verb that says what was counted of 规章/规范性文件, by its wording."""
    best, pos = None, -1
    for pattern, verb in ((r"制发|制定|新制作|出台|印发", "issued"), (r"废止", "repealed"),
                          (r"现行有效", "in_force"), (r"新公开", "published_new"),
                          (r"(?<!新)(?<!不予)(?<!部分)公开", "published")):
        for m in re.finditer(pattern, text):
            if m.start() > pos:
                best, pos = verb, m.start()
    return best


def _application_topic(p: str, context: str) -> Topic | None:
    if _NOT_APPLICATION.search(p) or "含" in p:
        return None
    about_applications = "申请" in p or ("申请" in context and not _NOT_APPLICATION.search(context))
    if not about_applications:
        return None
    if re.search(r"结转(至|到)?下一?年|转入下一?年|下一?年度?继续办理", p):
        return Topic("applications.carried_forward")
    if "上年结转" in p or "上年度结转" in p:
        return Topic("applications.carried_over")
    if "部分公开" in p:
        return Topic("applications.partially_disclosed")
    if "不予公开" in p:
        return Topic("applications.withheld")
    if "予以公开" in p or re.search(r"同意公开|全部公开", p):
        return Topic("applications.disclosed")
    if "无法提供" in p:
        return Topic("applications.unable")
    if "不予处理" in p:
        return Topic("applications.rejected")
    if re.search(r"办结|办理完毕|答复完毕", p) and not re.search(r"上年|结转", p):
        return Topic("applications.result_total")
    if "申请" in p and _RECEIVE.search(p) and "结转" not in p:
        return Topic("applications.new_received")
    return None


# (template version, verb of the sentence) -> the 第二十条第（一）项 column it names, then the
# columns a looser reading could mean (a figure equal to one of those is ambiguous, not wrong)
ART20_1_COLUMNS: dict[tuple[str, str], tuple[str, ...]] = {
    ("2019", "issued"): ("made_this_year",),
    ("2019", "published_new"): ("published_this_year",),
    ("2019", "published"): ("published_this_year", "made_this_year", "published_total"),
    ("2021", "issued"): ("issued_this_year",),
    ("2021", "repealed"): ("repealed_this_year",),
    ("2021", "in_force"): ("in_force",),
    ("2021", "published_new"): ("issued_this_year", "in_force"),
    ("2021", "published"): ("issued_this_year", "in_force"),
}


def topic_alternatives(topic: str, report: Report) -> list[list[str]]:
    """Cells (summed) that a looser reading of the wording could mean: "主动公开规章13件" (this
    year's, or the total?), "共受理申请10件" (new ones, or new plus carried over?). A figure
    equal to one of them is ambiguous, not a disagreement."""
    present = {".".join(c.key) for c in report.cells()}
    if topic.startswith("applications.new_received"):
        col = topic.split(".")[2] if topic.count(".") == 2 else "total"
        cols = list(ORG_COLUMNS) if col == "orgs" else [col]
        alt = [f"applications.{r}.{c}" for r in ("new_received", "carried_over") for c in cols]
        return [alt] if all(k in present for k in alt) else []
    if not topic.startswith("art20_1."):
        return []
    _, doc_type, verb = topic.split(".")
    cols = list(ART20_1_COLUMNS.get((report.template_version or "", verb), ())[1:])
    return [[k] for k in (f"active_disclosure.art20_1.{doc_type}.{c}" for c in cols) if k in present]


def topic_cells(topic: str, report: Report) -> list[str] | None:
    """Canonical cells ("table.row.col") whose sum the topic states, for this report's template;
    None when the report's template has no such cell (e.g. 现行有效 in the 2019 tables)."""
    present = {".".join(c.key) for c in report.cells()}
    version = report.template_version

    def keep(keys: list[str]) -> list[str] | None:
        keys = [k for k in keys if k in present]
        return keys or None

    if topic.startswith("reviews."):
        col = topic.split(".", 1)[1]
        cols = ["direct_suit_total", "suit_after_review_total"] if col == "suit_total" else [col]
        return keep([f"reviews_litigation.count.{c}" for c in cols])
    if topic.startswith("applications."):
        parts = topic.split(".")
        row, col = parts[1], (parts[2] if len(parts) > 2 else "total")
        cols = list(ORG_COLUMNS) if col == "orgs" else [col]
        if row in APPLICATION_GROUPS:
            prefix = APPLICATION_GROUPS[row]
            rows = sorted({c.row for c in report.cells() if c.table == "applications" and c.row.startswith(prefix)})
        else:
            rows = [row]
        return keep([f"applications.{r}.{c}" for r in rows for c in cols])
    if topic.startswith("art20_1."):
        _, doc_type, verb = topic.split(".")
        art20_cols = ART20_1_COLUMNS.get((version or "", verb))
        return keep([f"active_disclosure.art20_1.{doc_type}.{art20_cols[0]}"]) if art20_cols else None
    if topic.startswith("art20_"):
        return keep([f"active_disclosure.{topic}"])
    return None


# --------------------------------------------------------------------------- extraction


def _quantity(num: str) -> float | int | None:
    if num[0].isdigit():
        return float(num) if "." in num else int(num)
    return cn_number(num)


def _statements_in_sentence(sentence: str, prev_topic: str | None = None) -> list[tuple[Statement, int]]:
    """Statements of one sentence, each with the offset of its number in the sentence.
    ``prev_topic``: the last application topic of the previous sentence, for "其中，自然人…"."""
    out: list[tuple[Statement, int]] = []
    last_end = 0
    last_topic: str | None = prev_topic if re.match(r"其中", sentence) else None
    for m in _QUANTITY.finditer(sentence):
        num, unit = m.group("num"), m.group("unit")
        arabic = num[0].isdigit()
        if not arabic and (sentence[max(0, m.start() - 1):m.start()] == "第" or re.match(r"[事龙心]", sentence[m.end():m.end() + 1])):
            continue
        if arabic and m.start() > 0 and sentence[m.start() - 1] in ".-/年月日":
            last_end = m.end()
            continue  # part of a date, a decimal or a code
        qty = _quantity(num)
        if qty is None:
            continue
        start = max(last_end, max((b.end() for b in _CLAUSE_BREAK.finditer(sentence, 0, m.start())), default=0))
        phrase = re.sub(r"^(其中|共计|累计|合计|共|、|\s)+", "", sentence[start:m.start()]).strip()
        context = sentence[:start]
        approx = bool(m.group("approx")) or bool(_APPROX_BEFORE.search(sentence[:m.start()]))
        topic = classify(phrase, context, unit)
        if topic is None and last_topic and last_topic.startswith("applications.") and re.search(r"自然人|法人", phrase):
            row = last_topic.split(".")[1]
            topic = Topic(f"applications.{row}.{'natural_person' if '自然人' in phrase else 'orgs'}")
        if topic is None and not arabic:
            last_end = m.end()
            continue  # a Chinese numeral in unrecognised wording ("一件事一次办"): not a figure
        st = Statement(quantity=qty, unit=unit, sentence=sentence.strip(), phrase=phrase,
                       topic=topic.id if topic else None)
        if approx:
            st.note = "approximate figure (多/余/约): not compared"
        if topic is None and unit in ("条", "件") and re.search(r"信息|发布|公开", phrase) \
                and not re.search(r"规章|规范性文件|申请|复议|诉讼", phrase):
            st.topic = "active_disclosure.items"
            st.status = "no_counterpart"
        elif topic is not None and "." in topic.id and not topic.id.startswith("active_disclosure.items"):
            last_topic = topic.id
        if st.topic == "reviews.each":
            st.topic = "reviews.review_total"
            out.append((st, m.start()))
            st = st.model_copy(update={"topic": "reviews.suit_total"})
        out.append((st, m.start()))
        last_end = m.end()
    out.extend(_negated_statements(sentence))
    return out


def _negated_statements(sentence: str) -> list[tuple[Statement, int]]:
    """"未收到政府信息公开申请", "未发生…行政复议、行政诉讼…": stated as none (0)."""
    out = []
    pos = 0
    for clause in re.split(r"(?<=[，,；;。])", sentence):
        offset, pos = pos, pos + len(clause)
        neg = _NEGATION.search(clause)
        if re.search(r"\d", clause) or neg is None:
            continue
        tail = clause[neg.start():]
        topics = []
        if "复议" in tail:
            topics.append("reviews.review_total")
        if re.search(r"诉讼|起诉", tail):
            topics.append("reviews.suit_total")
        if not topics and "申请" in tail and not _NOT_APPLICATION.search(tail) and re.search(r"收到|受理|接到", tail):
            topics.append("applications.new_received")
        for t in topics:
            out.append((Statement(quantity=0, unit="件", sentence=sentence.strip(), phrase=tail.rstrip("，,；;。"),
                                  topic=t, note="stated as none (未…)"), offset + neg.start()))
    return out


def _normalised_with_map(text: str) -> tuple[str, list[int]]:
    """NFKC text without spaces, and for each of its characters the index in ``text``."""
    chars: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(text):
        if ch.isspace():
            continue
        for c in unicodedata.normalize("NFKC", ch):
            chars.append(c)
            where.append(i)
    return "".join(chars), where


def _paragraphs(doc: Document, min_wrapped: int = 12) -> list[list[int]]:
    """Indexes of text rows that form one paragraph: a line that does not end a sentence and
    is long enough to have been wrapped continues on the next text row (PDF text layers and
    OCR give one row per printed line)."""
    paras: list[list[int]] = []
    prev: int | None = None
    for i, row in enumerate(doc.rows):
        if row.kind != "text" or not row.text.strip():
            prev = None
            continue
        if _HEADING.match(row.text.strip()) and not re.search(r"[，,。；;]", row.text) and len(row.text.strip()) <= 40:
            paras.append([i])
            prev = None  # a heading stands alone
            continue
        if prev is not None:
            p = doc.rows[prev]
            t = p.text.strip()
            same_flow = p.page is None or row.page is None or row.page - p.page in (0, 1)
            if same_flow and len(t) >= min_wrapped and not re.search(r"[。！？!?；;：:]$", t):
                paras[-1].append(i)
                prev = i
                continue
        paras.append([i])
        prev = i
    return paras


def extract_statements(doc: Document) -> list[Statement]:
    """Every "number + unit" figure of the document's text rows, with its sentence (as
    printed, joined across wrapped lines), the page and row of its number. Matching runs on
    NFKC text without spaces."""
    out: list[Statement] = []
    for para in _paragraphs(doc):
        text = ""
        src: list[tuple[int, int]] = []  # (row index, character index in that row's text)
        for ri in para:
            t, where = _normalised_with_map(doc.rows[ri].text)
            text += t
            src += [(ri, w) for w in where]
        if not text or not re.search(r"\d|[零〇一二两三四五六七八九十]|未|没有|无", text):
            continue
        prev_topic: str | None = None
        for sm in _SENTENCE.finditer(text):
            printed = _printed(doc, src[sm.start()], src[sm.end() - 1])
            found = _statements_in_sentence(sm.group(0), prev_topic)
            app_topics = {st.topic for st, _ in found if st.topic and st.topic.startswith("applications.")}
            prev_topic = app_topics.pop() if len(app_topics) == 1 else None  # "其中…" refers to it
            for st, offset in found:
                ri = src[min(sm.start() + offset, len(src) - 1)][0]
                st.sentence = printed
                st.row_index = ri
                st.page = doc.rows[ri].page
                out.append(st)
    return out


def _printed(doc: Document, start: tuple[int, int], end: tuple[int, int]) -> str:
    """The text as printed from ``start`` to ``end`` (row, character), across rows."""
    (r0, c0), (r1, c1) = start, end
    if r0 == r1:
        return doc.rows[r0].text[c0:c1 + 1].strip()
    parts = [doc.rows[r0].text[c0:]] + [doc.rows[r].text for r in range(r0 + 1, r1)] + [doc.rows[r1].text[:c1 + 1]]
    return "".join(p.strip() for p in parts)


# --------------------------------------------------------------------------- comparison

NUMERIC = (CellKind.number, CellKind.zero, CellKind.derived)


def _equal(a: float, b: float, money: bool) -> bool:
    return abs(a - b) <= (0.005 if money else 1e-9) + 1e-9 * max(abs(a), abs(b))




def compare_statements(report: Report, statements: list[Statement]) -> list[Finding]:
    """Compare each recognised statement with its cells (sets ``status``); one finding per
    distinct disagreement (a repeated sentence adds its evidence to the same finding); cells
    that agree with the text get a ``text_agrees`` factor (with its reason), which
    ``nianbao.confidence.score_cells`` turns into a higher confidence."""
    cells = {".".join(c.key): c for c in report.cells()}
    findings: dict[tuple, Finding] = {}
    raised: set[str] = set()
    for st in statements:
        if st.topic is None or st.status == "no_counterpart":
            continue
        keys = topic_cells(st.topic, report)
        if not keys:
            st.status = "no_counterpart"
            st.note = st.note or f"no {st.topic} cell in the {report.template_version} tables"
            continue
        st.cells = keys
        if st.note.startswith("approximate"):
            st.status = "not_assessable"
            continue
        operands = [cells[k] for k in keys]
        bad = [k for k, c in zip(keys, operands) if c.kind not in NUMERIC or c.value is None]
        if bad:
            st.status = "not_assessable"
            st.note = "no number in " + ", ".join(bad)
            continue
        money = st.unit in ("万元", "元")
        if money:
            ok, table_value = _money_agrees(st, operands)
        else:
            table_value = sum(c.value for c in operands)  # type: ignore[misc]
            ok = _equal(float(st.quantity), float(table_value), False)
        if not ok:
            alt = [ks for ks in topic_alternatives(st.topic, report)
                   if all(cells[k].kind in NUMERIC and cells[k].value is not None for k in ks)
                   and _equal(float(st.quantity), float(sum(cells[k].value or 0 for k in ks)), money)]
            if alt:
                st.status = "not_assessable"
                st.note = f"wording ambiguous: equals {' + '.join(alt[0])}, not {' + '.join(keys)}"
                continue
        if ok:
            st.status = "agrees"
            for k, c in zip(keys, operands):
                if k in raised:
                    continue
                raised.add(k)
                c.factors.append(factor(FactorCode.text_agrees, sentence=st.sentence[:80], page=st.page or 0))
            continue
        st.status = "disagrees"
        text_ev = Evidence(source="text", text=st.sentence, value=st.quantity, unit=st.unit, page=st.page,
                           report=report.source.path, year=report.year)
        key = (tuple(keys), float(st.quantity), st.unit)
        if key in findings:
            if all(e.text != st.sentence for e in findings[key].sources if e.source == "text"):
                findings[key].sources.insert(0, text_ev)
            continue
        pages = sorted({c.page for c in operands if c.page})
        where = f" (page {', '.join(map(str, pages))})" if pages else ""
        cell_desc = " + ".join(keys) if len(keys) > 1 else keys[0]
        message = (f"the text says {st.phrase} {format_number(st.quantity)} {st.unit}"
                   + (f" (page {st.page})" if st.page else "")
                   + f" but the table has {cell_desc} = {format_number(table_value)}{where}")
        ev = [text_ev] + [Evidence(source="cell", text=c.text, value=c.value, unit=c.unit, page=c.page, cell=k,
                                   report=report.source.path, year=report.year) for k, c in zip(keys, operands)]
        findings[key] = Finding(kind="text_vs_table", message=message, agency=report.agency, year=report.year,
                                subject=st.topic, sources=ev)
        for c in operands:
            add_note(c, note(NoteCode.differs_from_text, sentence=st.sentence[:80]))
    return list(findings.values())


def _money_agrees(st: Statement, operands) -> tuple[bool, float]:
    """Money: compare in 万元 where the cell's unit is known; with no unit, either reading."""
    stated_wan = float(st.quantity) if st.unit == "万元" else float(st.quantity) / 10000.0
    if all(c.value_wan is not None for c in operands):
        v = sum(c.value_wan for c in operands)
        return _equal(stated_wan, v, True), v
    v = float(sum(c.value for c in operands))
    return (_equal(stated_wan, v, True) or _equal(float(st.quantity), v, True)), v


def check_text(report: Report, doc: Document) -> None:
    """Extract the body-text statements of ``doc`` and compare them with ``report`` (in place:
    ``report.statements``, ``report.findings``, cell reasons and confidence)."""
    statements = extract_statements(doc)
    findings = compare_statements(report, statements)
    report.statements = statements
    report.findings.extend(findings)
