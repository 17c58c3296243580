"""Report metadata (issue #8 part 5): agency, level, region, year, publication date, each with
a confidence; the agency key that groups one agency's reports across years."""

from __future__ import annotations

import pytest
from report_text import parse_text, report_text

from nianbao.metadata import agency_key, agency_level, report_metadata, split_region, title_metadata
from nianbao.readers.text import read_text


@pytest.mark.parametrize("name, level", [
    ("贺兰县金贵镇", "乡镇"), ("南召县石门乡人民政府", "乡镇"), ("东林街道办事处", "街道"), ("江州市东林街道", "街道"),
    ("青山县人民政府", "县区"), ("江州市临江区", "县区"), ("江州市人民政府", "市"), ("江州市自然资源局", "部门"),
    ("青山县人民政府办公室", "部门"), ("江州市卫生健康委员会", "部门"), ("某某省", "省"), ("", None),
])
def test_agency_level(name, level):
    assert agency_level(name) == level


def test_agency_key_and_region():
    assert agency_key("关于报送西坡镇人民政府") == ("西坡镇", "乡镇")
    assert agency_key("东林 街道办事处") == ("东林街道", "街道")
    assert agency_key("江州市自然资源局") == ("江州市自然资源局", "部门")
    assert split_region("南召县石门乡人民政府") == ("南召县", "石门乡")
    assert split_region("江州市临江区白河镇") == ("江州市临江区", "白河镇")
    assert split_region("江州市自然资源局") == ("江州市", "自然资源局")
    assert split_region("西坡镇") == (None, "西坡镇")


def test_metadata_of_a_generated_report_with_signature_date():
    text = report_text("江州市自然资源局", 2021, "2021",
                       body=["本报告统计期限自2021年1月1日至2021年12月31日。"],
                       tail=["", "江州市自然资源局", "2022年1月20日"])
    meta = parse_text(text).metadata
    assert (meta.agency.value, meta.level.value, meta.region.value, meta.year.value, meta.published.value) == (
        "江州市自然资源局", "部门", "江州市", 2021, "2022-01-20")
    assert meta.year.confidence > meta.agency.confidence >= 0.9 > meta.published.confidence > 0
    assert "2021年1月1日" in meta.year.evidence


def test_published_field_wins_and_missing_title_is_unsure():
    doc = read_text("索引号：123\n发布日期：2021-01-15\n本机关2020年度工作情况如下。\n共受理申请1件。\n")
    meta = report_metadata(doc)
    assert meta.published.value == "2021-01-15" and meta.published.confidence == 0.9
    assert meta.agency.value is None and meta.year.value == 2020 and meta.year.confidence < 0.5
    assert title_metadata(doc) == (None, 2020)


def test_seed_metadata(seeds_dir):
    from nianbao.pipeline import parse_file

    r = parse_file(next(seeds_dir.glob("000_*.txt")))  # 西坡镇, cover letter signed 2021年4月27日
    m = r.metadata
    assert (m.agency.value, m.level.value, m.year.value, m.published.value) == ("西坡镇", "乡镇", 2020, "2021-04-27")
    assert m.region.value == "正宁县" and m.region.confidence < 0.5  # only named in the text, not the title
    r = parse_file(next(seeds_dir.glob("001_*.txt")))
    assert (r.metadata.region.value, r.metadata.level.value) == ("南召县", "乡镇")


def test_one_tail_rule_for_cross_year_groups_and_the_roster():
    """"金贵镇" stands for "贺兰县金贵镇" when exactly one longer name ends with it; a name of two
    characters never does, and a tail two agencies share joins neither — in the cross-year
    checks (years.group_by_agency) and the roster (roster.match_reports) alike."""
    from nianbao.metadata import is_tail_of, tail_owner

    assert is_tail_of("金贵镇", "贺兰县金贵镇") and not is_tail_of("贺兰县金贵镇", "金贵镇")
    assert not is_tail_of("金贵", "贺兰县金贵") and not is_tail_of("金贵镇", "金贵镇")
    assert tail_owner("金贵镇", ["贺兰县金贵镇", "贺兰县习岗镇"]) == "贺兰县金贵镇"
    assert tail_owner("金贵镇", ["贺兰县金贵镇", "永宁县金贵镇"]) is None  # two agencies: not joined
    assert tail_owner("统计局", ["某某市统计局", "金贵镇"]) == "某某市统计局"


def test_report_without_a_readable_title_but_naming_a_county_government_does_not_crash():
    """A scan whose title line was not read (world2031 report 039) failed whole with
    UnboundLocalError: the region search compared against the title's agency, unset then."""
    doc = read_text("本机关2020年度工作情况如下。\n按照青山县人民政府办公室要求，现将情况报告如下。\n"
                    "\n西坡镇人民政府\n2021年1月20日\n")
    meta = report_metadata(doc)
    assert meta.agency.value == "西坡镇人民政府" and meta.agency.confidence < 0.9
    assert meta.region.value == "青山县" and meta.region.confidence < 0.5
