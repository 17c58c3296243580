"""Make the scan test images: an applications-matrix page (2019 layout) as HTML with
rowspan/colspan, rendered by headless chromium, plus its truth as JSON.

Run: python tests/data/scan/make_samples.py  (needs Debian's chromium and fonts-noto-cjk).
"""
import json
import random
import subprocess
import tempfile
from pathlib import Path

HERE = Path(__file__).parent
COLS = ["自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"]
ROWS = [
    ("一、本年新收政府信息公开申请数量", None, None),
    ("二、上年结转政府信息公开申请数量", None, None),
    ("三、本年度办理结果", "（一）予以公开", None),
    ("三、本年度办理结果", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）", None),
    ("三、本年度办理结果", "（三）不予公开", "1.属于国家秘密"),
    ("三、本年度办理结果", "（三）不予公开", "2.其他法律行政法规禁止公开"),
    ("三、本年度办理结果", "（三）不予公开", "3.危及“三安全一稳定”"),
    ("三、本年度办理结果", "（三）不予公开", "4.保护第三方合法权益"),
    ("三、本年度办理结果", "（三）不予公开", "5.属于三类内部事务信息"),
    ("三、本年度办理结果", "（三）不予公开", "6.属于四类过程性信息"),
    ("三、本年度办理结果", "（三）不予公开", "7.属于行政执法案卷"),
    ("三、本年度办理结果", "（三）不予公开", "8.属于行政查询事项"),
    ("三、本年度办理结果", "（四）无法提供", "1.本机关不掌握相关政府信息"),
    ("三、本年度办理结果", "（四）无法提供", "2.没有现成信息需要另行制作"),
    ("三、本年度办理结果", "（四）无法提供", "3.补正后申请内容仍不明确"),
    ("三、本年度办理结果", "（五）不予处理", "1.信访举报投诉类申请"),
    ("三、本年度办理结果", "（五）不予处理", "2.重复申请"),
    ("三、本年度办理结果", "（五）不予处理", "3.要求提供公开出版物"),
    ("三、本年度办理结果", "（五）不予处理", "4.无正当理由大量反复申请"),
    ("三、本年度办理结果", "（五）不予处理", "5.要求行政机关确认或重新出具已获取信息"),
    ("三、本年度办理结果", "（六）其他处理", None),
    ("三、本年度办理结果", "（七）总计", None),
    ("四、结转下年度继续办理", None, None),
]


def build(seed: int = 7):
    rnd = random.Random(seed)
    values = []
    for _ in ROWS:
        vals = [rnd.choice([0, 0, 0, 1, 2, 3, 5, 12, 37, 108, 1256]) for _ in range(6)]
        vals.append(sum(vals))
        values.append(vals)
    h = ['<html><head><meta charset="utf-8"><style>body{font-family:"Noto Serif CJK SC",serif;margin:60px 70px;font-size:17px}'
         "table{border-collapse:collapse;width:100%}td{border:1.5px solid #000;padding:3px;text-align:center;font-size:14px}"
         "p{text-indent:2em;line-height:1.7;margin:0}h1{text-align:center;font-size:26px}</style></head><body>",
         "<h1>某某县人民政府2020年政府信息公开工作年度报告</h1>",
         "<p>本报告由某某县人民政府办公室根据《中华人民共和国政府信息公开条例》要求编制。</p>",
         "<p>三、收到和处理政府信息公开申请情况</p>",
         "<table>",
         '<tr><td colspan="3" rowspan="3">（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）</td><td colspan="7">申请人情况</td></tr>',
         '<tr><td rowspan="2">自然人</td><td colspan="5">法人或其他组织</td><td rowspan="2">总计</td></tr>',
         "<tr>" + "".join(f"<td>{c}</td>" for c in COLS[1:6]) + "</tr>"]
    spans = {}
    for i, (a, b, c) in enumerate(ROWS):
        spans.setdefault(a, 0); spans[a] += 1
        if b: spans.setdefault((a, b), 0); spans[(a, b)] += 1
    seen = set()
    for i, (a, b, c) in enumerate(ROWS):
        cells = []
        if b is None:
            cells.append(f'<td colspan="3" style="text-align:left">{a}</td>')
        else:
            if a not in seen:
                seen.add(a)
                cells.append(f'<td rowspan="{spans[a]}" style="width:1.2em">{"<br>".join(a.replace("三、", "")) if False else a}</td>')
            if c is None:
                cells.append(f'<td colspan="2" style="text-align:left">{b}</td>')
            else:
                if (a, b) not in seen:
                    seen.add((a, b))
                    cells.append(f'<td rowspan="{spans[(a, b)]}">{b}</td>')
                cells.append(f'<td style="text-align:left">{c}</td>')
        cells += [f"<td>{v}</td>" for v in values[i]]
        h.append("<tr>" + "".join(cells) + "</tr>")
    h.append("</table><p>四、政府信息公开行政复议、行政诉讼情况</p></body></html>")
    return "\n".join(h), values


def render(html: str, out: Path, size=(1240, 1754)):
    with tempfile.TemporaryDirectory() as d:
        f = Path(d) / "p.html"
        f.write_text(html, encoding="utf-8")
        subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                        "--disable-background-networking", "--disable-component-update", "--disable-sync",
                        "--hide-scrollbars", f"--user-data-dir={d}/u", f"--screenshot={out}",
                        f"--window-size={size[0]},{size[1]}", f.as_uri()], check=True, capture_output=True)


if __name__ == "__main__":
    html, values = build()
    render(html, HERE / "applications.png")
    (HERE / "applications.truth.json").write_text(json.dumps({"rows": [r[2] or r[1] or r[0] for r in ROWS],
                                                                "values": values}, ensure_ascii=False, indent=0))
    print("ok")
