"""Build the hand-made foundation fixtures: a 2021-template report as an HTML page (as agencies
publish them) and the same page printed to a born-digital PDF by headless Chromium.

    python tests/data/make_foundation_fixtures.py     # needs Debian's chromium + fonts-noto-cjk

The expected values live in ``foundation_truth.json`` beside the outputs.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path

HERE = Path(__file__).parent

APP_COLS = ["natural_person", "commercial_enterprise", "research_institution", "social_welfare_org",
            "legal_service_org", "other_org"]
# leaf result rows (2021) with per-column values; totals are computed
RESULTS = {
    "disclosed": [30, 4, 0, 1, 0, 2],
    "partially_disclosed": [6, 1, 0, 0, 1, 0],
    "withheld_state_secret": [0, 0, 0, 0, 0, 0],
    "withheld_prohibited_by_law": [1, 0, 0, 0, 0, 0],
    "withheld_three_safeties": [0, 0, 0, 0, 0, 0],
    "withheld_third_party": [2, 1, 0, 0, 0, 0],
    "withheld_internal_affairs": [0, 0, 0, 0, 0, 0],
    "withheld_process_info": [3, 0, 0, 0, 0, 0],
    "withheld_enforcement_file": [1, 0, 0, 0, 0, 0],
    "withheld_query_matter": [0, 0, 0, 0, 0, 0],
    "unable_not_held": [12, 2, 0, 0, 1, 1],
    "unable_needs_creation": [2, 0, 0, 0, 0, 0],
    "unable_unclear": [1, 0, 0, 0, 0, 0],
    "rejected_petition": [4, 0, 0, 0, 0, 0],
    "rejected_duplicate": [3, 0, 0, 0, 0, 0],
    "rejected_publication": [0, 0, 0, 0, 0, 0],
    "rejected_mass_repeat": [0, 0, 0, 0, 0, 0],
    "rejected_confirm_reissue": [1, 0, 0, 0, 0, 0],
    "other_no_correction": [2, 0, 0, 0, 0, 0],
    "other_no_fee": [0, 0, 0, 0, 0, 0],
    "other_other": [1, 0, 0, 0, 0, 0],
}
CARRIED_OVER = [3, 0, 0, 0, 0, 0]
CARRIED_FORWARD = [4, 1, 0, 0, 0, 0]
LABELS = {
    "disclosed": "（一）予以公开", "partially_disclosed": "（二）部分公开（区分处理的，只计这一情形，不计其他情形）",
    "withheld_state_secret": "1.属于国家秘密", "withheld_prohibited_by_law": "2.其他法律行政法规禁止公开",
    "withheld_three_safeties": "3.危及“三安全一稳定”", "withheld_third_party": "4.保护第三方合法权益",
    "withheld_internal_affairs": "5.属于三类内部事务信息", "withheld_process_info": "6.属于四类过程性信息",
    "withheld_enforcement_file": "7.属于行政执法案卷", "withheld_query_matter": "8.属于行政查询事项",
    "unable_not_held": "1.本机关不掌握相关政府信息", "unable_needs_creation": "2.没有现成信息需要另行制作",
    "unable_unclear": "3.补正后申请内容仍不明确", "rejected_petition": "1.信访举报投诉类申请",
    "rejected_duplicate": "2.重复申请", "rejected_publication": "3.要求提供公开出版物",
    "rejected_mass_repeat": "4.无正当理由大量反复申请", "rejected_confirm_reissue": "5.要求行政机关确认或重新出具已获取信息",
    "other_no_correction": "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
    "other_no_fee": "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
    "other_other": "3.其他",
}
GROUPS = [("（三）不予公开", "withheld_state_secret", 8), ("（四）无法提供", "unable_not_held", 3),
          ("（五）不予处理", "rejected_petition", 5), ("（六）其他处理", "other_no_correction", 3)]
REVIEW = [2, 1, 0, 1, 4, 3, 0, 1, 0, 4, 1, 0, 0, 1, 2]
AD = {
    ("art20_1.regulations", "issued_this_year"): 2, ("art20_1.regulations", "repealed_this_year"): 1,
    ("art20_1.regulations", "in_force"): 13,
    ("art20_1.normative_documents", "issued_this_year"): 11, ("art20_1.normative_documents", "repealed_this_year"): 3,
    ("art20_1.normative_documents", "in_force"): 60,
    ("art20_5.licensing", "decisions"): 1520, ("art20_6.penalty", "decisions"): 87, ("art20_6.coercion", "decisions"): 9,
    ("art20_8.fees", "amount"): 328.65,
}


def _sum(rows):
    return [sum(col) for col in zip(*rows)]


def truth() -> dict[str, float]:
    t: dict[str, float] = {}
    result_total = _sum(RESULTS.values())
    new_received = [rt + cf - co for rt, cf, co in zip(result_total, CARRIED_FORWARD, CARRIED_OVER)]
    rows = {"new_received": new_received, "carried_over": CARRIED_OVER, **RESULTS,
            "result_total": result_total, "carried_forward": CARRIED_FORWARD}
    for rid, vals in rows.items():
        for col, v in zip(APP_COLS + ["total"], vals + [sum(vals)]):
            t[f"applications.{rid}.{col}"] = v
    from nianbao.models import load_template

    cols = [c.id for c in load_template("2021").table("reviews_litigation").items[0].columns]
    for col, v in zip(cols, REVIEW):
        t[f"reviews_litigation.count.{col}"] = v
    for (row, col), v in AD.items():
        t[f"active_disclosure.{row}.{col}"] = v
    return t


def html(t: dict[str, float]) -> str:
    def v(key):
        x = t[key]
        return f"{x:,}" if isinstance(x, int) and x >= 1000 else str(x)

    app_row = lambda rid: "".join(f"<td>{v(f'applications.{rid}.{c}')}</td>" for c in APP_COLS + ["total"])  # noqa: E731
    body = []
    body.append(f'<tr><td colspan="3">一、本年新收政府信息公开申请数量</td>{app_row("new_received")}</tr>')
    body.append(f'<tr><td colspan="3">二、上年结转政府信息公开申请数量</td>{app_row("carried_over")}</tr>')
    body.append(f'<tr><td rowspan="23">三、本年度办理结果</td><td colspan="2">{LABELS["disclosed"]}</td>{app_row("disclosed")}</tr>')
    body.append(f'<tr><td colspan="2">{LABELS["partially_disclosed"]}</td>{app_row("partially_disclosed")}</tr>')
    order = list(RESULTS)
    for group, first, n in GROUPS:
        start = order.index(first)
        for k, rid in enumerate(order[start:start + n]):
            head = f'<td rowspan="{n}">{group}</td>' if k == 0 else ""
            body.append(f'<tr>{head}<td>{LABELS[rid]}</td>{app_row(rid)}</tr>')
    body.append(f'<tr><td colspan="2">（七）总计</td>{app_row("result_total")}</tr>')
    body.append(f'<tr><td colspan="3">四、结转下年度继续办理</td>{app_row("carried_forward")}</tr>')
    review_cells = "".join(f"<td>{x}</td>" for x in REVIEW)
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>市生态环境局2022年政府信息公开工作年度报告</title>
<style>body{{font-family:"Noto Serif CJK SC",serif;font-size:11pt;margin:2cm}} table{{border-collapse:collapse;width:100%;margin:8pt 0}}
td{{border:1px solid #000;padding:2pt 3pt;text-align:center}} h1{{text-align:center;font-size:16pt}}</style></head>
<body>
<h1>某市生态环境局2022年政府信息公开工作年度报告</h1>
<p>本报告根据《中华人民共和国政府信息公开条例》编制。本报告中所列数据的统计期限自2022年1月1日起至2022年12月31日止。</p>
<h2>一、总体情况</h2>
<p>2022年，我局共受理政府信息公开申请{t['applications.new_received.total']}件，行政复议{t['reviews_litigation.count.review_total']}件。</p>
<h2>二、主动公开政府信息情况</h2>
<table>
<tr><td colspan="4">第二十条第（一）项</td></tr>
<tr><td>信息内容</td><td>本年制发件数</td><td>本年废止件数</td><td>现行有效件数</td></tr>
<tr><td>规章</td><td>{v('active_disclosure.art20_1.regulations.issued_this_year')}</td><td>{v('active_disclosure.art20_1.regulations.repealed_this_year')}</td><td>{v('active_disclosure.art20_1.regulations.in_force')}</td></tr>
<tr><td>行政规范性文件</td><td>{v('active_disclosure.art20_1.normative_documents.issued_this_year')}</td><td>{v('active_disclosure.art20_1.normative_documents.repealed_this_year')}</td><td>{v('active_disclosure.art20_1.normative_documents.in_force')}</td></tr>
<tr><td colspan="4">第二十条第（五）项</td></tr>
<tr><td>信息内容</td><td colspan="3">本年处理决定数量</td></tr>
<tr><td>行政许可</td><td colspan="3">{v('active_disclosure.art20_5.licensing.decisions')}</td></tr>
<tr><td colspan="4">第二十条第（六）项</td></tr>
<tr><td>信息内容</td><td colspan="3">本年处理决定数量</td></tr>
<tr><td>行政处罚</td><td colspan="3">{v('active_disclosure.art20_6.penalty.decisions')}</td></tr>
<tr><td>行政强制</td><td colspan="3">{v('active_disclosure.art20_6.coercion.decisions')}</td></tr>
<tr><td colspan="4">第二十条第（八）项</td></tr>
<tr><td>信息内容</td><td colspan="3">本年收费金额（单位：万元）</td></tr>
<tr><td>行政事业性收费</td><td colspan="3">{v('active_disclosure.art20_8.fees.amount')}</td></tr>
</table>
<h2>三、收到和处理政府信息公开申请情况</h2>
<table>
<tr><td colspan="3" rowspan="3">（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）</td><td colspan="7">申请人情况</td></tr>
<tr><td rowspan="2">自然人</td><td colspan="5">法人或其他组织</td><td rowspan="2">总计</td></tr>
<tr><td>商业企业</td><td>科研机构</td><td>社会公益组织</td><td>法律服务机构</td><td>其他</td></tr>
{''.join(body)}
</table>
<h2>四、政府信息公开行政复议、行政诉讼情况</h2>
<table>
<tr><td colspan="5" rowspan="2">行政复议</td><td colspan="10">行政诉讼</td></tr>
<tr><td colspan="5">未经复议直接起诉</td><td colspan="5">复议后起诉</td></tr>
<tr>{''.join(f'<td>{x}</td>' for x in ['结果维持','结果纠正','其他结果','尚未审结','总计']*3)}</tr>
<tr>{review_cells}</tr>
</table>
<h2>五、存在的主要问题及改进情况</h2>
<p>一是公开意识有待加强；二是公开质量有待提高。</p>
<h2>六、其他需要报告的事项</h2>
<p>无。</p>
</body></html>
"""


def main() -> None:
    t = truth()
    (HERE / "foundation_truth.json").write_text(json.dumps(t, ensure_ascii=False, indent=1), "utf-8")
    page = HERE / "report_2022_city_bureau.html"
    page.write_text(html(t), "utf-8")
    with tempfile.TemporaryDirectory() as prof:
        subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                        "--disable-background-networking", "--disable-component-update", "--disable-sync",
                        f"--user-data-dir={prof}", "--no-pdf-header-footer",
                        f"--print-to-pdf={HERE / 'report_2022_city_bureau.pdf'}", page.as_uri()],
                       check=True, capture_output=True, timeout=120)


if __name__ == "__main__":
    main()
