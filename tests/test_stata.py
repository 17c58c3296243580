"""Stata .dta of the wide data set: valid short names, Chinese variable labels, values as in the
wide CSV, reviewer corrections applied, and a codebook naming table, row, column and unit."""

from __future__ import annotations

import csv
import json
import shutil

import pytest

pd = pytest.importorskip("pandas", reason="pip install 'nianbao[export]'")

from nianbao.corrections import Correction, append_correction  # noqa: E402
from nianbao.review.demo import make_demo  # noqa: E402
from nianbao.stata import STATA_NAME_MAX, codebook_path, export_dta, stata_name  # noqa: E402


def test_dta_export_with_chinese_labels_and_codebook(tmp_path):
    src = make_demo(tmp_path / "src")
    folder = tmp_path / "results"
    folder.mkdir()
    shutil.copy(src, folder / "demo.json")
    append_correction(folder / "demo.json", Correction(
        who="clerk", action="correct", table="applications", row="new_received", col="natural_person",
        old_value=17, new_value=12, machine_value=17, machine_confidence=0.23))
    out = tmp_path / "panel.dta"
    assert export_dta(folder, out) == 1

    frame = pd.read_stata(out)
    labels = pd.io.stata.StataReader(out).variable_labels()
    var = stata_name("applications.new_received.natural_person")
    assert var == "app_new_received_natural_person"
    assert frame.loc[0, var] == 12  # the reviewer's value
    assert frame.loc[0, "agency"] == "某某县人民政府" and frame.loc[0, "year"] == 2021
    assert labels[var] == "表三 一、本年新收政府信息公开申请数量 行 · 自然人 列"
    rev = stata_name("reviews_litigation.count.suit_after_review_upheld")
    assert labels[rev] == "表四 行政诉讼 · 复议后起诉 · 结果维持 列"
    assert all(len(c) <= STATA_NAME_MAX for c in frame.columns) and len(set(frame.columns)) == len(frame.columns)

    with open(codebook_path(out), encoding="utf-8-sig") as fh:
        book = {r["variable"]: r for r in csv.DictReader(fh)}
    assert set(book) == set(frame.columns)
    row = book[var]
    assert (row["canonical"], row["table"], row["column"], row["unit"], row["templates"]) == (
        "applications.new_received.natural_person", "三、收到和处理政府信息公开申请情况", "自然人", "件", "2019 2021")
    fee = book[stata_name("active_disclosure.art20_8.fees.amount")]
    assert "万元" in fee["unit"] and fee["row"].startswith("第二十条第（八）项")
    json.dumps(book)  # plain strings throughout
