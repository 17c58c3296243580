"""nianbao serve over its results folder (issue 15 items 8-10, server side), in-process: page
pictures found in uploads/ by sha256 when a result's recorded path is gone; a content whose
stored result is not current (another nianbao, other settings, or a file that does not load)
parsed again on an identical upload, and the job says so; the results routes skip a result that
does not load and name it. Files are parsed here as a server worker would (real parser, seed
text reports); only 127.0.0.1 is named."""

from __future__ import annotations

import csv
import io
import json
import shutil
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote

import pytest

pytest.importorskip("fastapi", reason="the server extra is not installed: pip install 'nianbao[server]'")
from fastapi.testclient import TestClient  # noqa: E402

from nianbao.batch import DEFAULT_PARSER, process_file  # noqa: E402
from nianbao.models import Report  # noqa: E402
from nianbao.server.app import ServerConfig, create_app  # noqa: E402
from nianbao.server.queue import Queue  # noqa: E402
from nianbao.settings import Settings  # noqa: E402

LOCAL = "http://127.0.0.1:8000"


@contextmanager
def server(data: Path, settings: Settings | None = None):
    app = create_app(ServerConfig(data_dir=data, workers=0, settings=settings or Settings()))
    with TestClient(app, base_url=LOCAL) as c:
        yield c


def work(c: TestClient) -> int:
    """Parse every queued file as a server worker does (its settings, the real parser); returns
    how many files were parsed."""
    paths, settings = c.app.state.paths, c.app.state.config.settings
    q = Queue(paths, settings=settings)
    n = 0
    try:
        while (claimed := q.claim("test:1")) is not None:
            outcome = process_file(str(paths.upload(claimed["sha256"], claimed["suffix"])), DEFAULT_PARSER,
                                   settings.model_dump_json())
            if outcome.get("ok"):
                paths.result(claimed["sha256"]).write_text(outcome.pop("report_json"), encoding="utf-8")
            q.complete(claimed, outcome)
            n += 1
    finally:
        q.close()
    return n


def upload(c: TestClient, *files: tuple[str, bytes]) -> dict:
    r = c.post("/v1/jobs", files=[("files", (name, data, "text/plain")) for name, data in files])
    assert r.status_code in (200, 201), r.text
    return r.json()


@pytest.fixture()
def seeds(seeds_dir: Path) -> list[tuple[str, bytes]]:
    return [(p.name, p.read_bytes()) for p in sorted(seeds_dir.glob("*.txt"))[:2]]


def test_server_review_finds_page_pictures_in_uploads_by_sha256(tmp_path: Path) -> None:
    """A result records the path its input was read from; a data folder moved (or a result
    written elsewhere) no longer has it. The server's review store looks in uploads/ by sha256."""
    from nianbao.review.demo import make_demo

    demo = make_demo(tmp_path / "made")
    report = Report.model_validate_json(demo.read_text("utf-8"))
    sha = report.source.sha256
    data = tmp_path / "data"
    with server(data) as c:
        paths = c.app.state.paths
        shutil.copy(demo.with_suffix(".png"), paths.upload(sha, ".png"))
        report.source.path = str(tmp_path / "gone" / "demo.png")  # where it was read, no longer there
        paths.result(sha).write_text(report.model_dump_json(), encoding="utf-8")
        shutil.rmtree(tmp_path / "made")
        found = c.app.state.review_store.state(sha).machine.source.path
        assert Path(found) == paths.upload(sha, ".png").resolve()
        page = c.get(f"/review/img/{sha}/page/1.png")
        assert page.status_code == 200 and page.headers["content-type"] == "image/png"
        crop = c.get(f"/review/img/{sha}/crop/applications/new_received/natural_person.png")
        assert crop.status_code == 200


def test_an_identical_upload_whose_result_is_stale_is_parsed_again(tmp_path: Path, seeds) -> None:
    data = tmp_path / "data"
    with server(data) as c:
        first = upload(c, *seeds)
        assert work(c) == 2
        again = upload(c, *seeds)
        assert (again["id"], again["reused"]) == (first["id"], True)  # current: the same job, nothing parsed
        assert "parsed_again" not in again and work(c) == 0

        # one result written by another nianbao, the other with other settings
        paths = c.app.state.paths
        shas = [f["sha256"] for f in c.get(f"/v1/jobs/{first['id']}").json()["files"]]
        for sha, change in zip(shas, ({"nianbao_version": "0.0.1"}, {"settings_hash": "0" * 16})):
            stored = json.loads(paths.result(sha).read_text("utf-8"))
            paths.result(sha).write_text(json.dumps({**stored, **change}), encoding="utf-8")

        redo = upload(c, *seeds)
        assert redo["id"] != first["id"] and redo["reused"] is False and redo["status"] == "queued"
        reasons = {x["name"]: x["reason"] for x in redo["parsed_again"]}
        assert "parsed by nianbao 0.0.1" in reasons[seeds[0][0]] and "other settings" in reasons[seeds[1][0]]
        assert work(c) == 2  # parsed again, not completed from the stale results
        job = c.get(f"/v1/jobs/{redo['id']}").json()
        assert job["status"] == "done"
        assert all("not current" in f["parsed_again"] and f["reused"] is False for f in job["files"])
        for sha in shas:  # the new results are current: the next identical upload reuses them
            assert Report.model_validate_json(paths.result(sha).read_text("utf-8")).nianbao_version != "0.0.1"
        assert upload(c, *seeds)["reused"] is True and work(c) == 0


def test_a_server_restarted_with_other_settings_parses_stored_contents_again(tmp_path: Path, seeds) -> None:
    """A file queued before the restart, or uploaded after it, whose content has a result from
    the old settings: parsed again (the worker checks too), and the file says why."""
    data = tmp_path / "data"
    with server(data) as c:
        upload(c, seeds[0])
        assert work(c) == 1
    changed = Settings(confidence={"silent_threshold": 0.95})
    assert changed.results_hash() != Settings().results_hash()
    with server(data, changed) as c:
        job = upload(c, seeds[0], ("copy.txt", seeds[0][1]))
        assert [x["name"] for x in job["parsed_again"]] == [seeds[0][0], "copy.txt"]
        assert work(c) == 1  # one content, parsed once for both names
        files = c.get(job["url"]).json()["files"]
        assert [f["status"] for f in files] == ["done", "done"]
        assert all("other settings" in f["parsed_again"] for f in files)


def test_job_results_skip_a_result_that_does_not_load_and_name_it(tmp_path: Path, seeds) -> None:
    data = tmp_path / "data"
    with server(data) as c:
        job = upload(c, *seeds)
        work(c)
        paths = c.app.state.paths
        files = c.get(job["url"]).json()["files"]
        broken, kept = files[0], files[1]
        paths.result(broken["sha256"]).write_text('{"source": {"path": "x", "sha', encoding="utf-8")  # torn

        r = c.get(f"{job['url']}/results")
        assert r.status_code == 200
        body = r.json()
        assert body["skipped"] == [{"name": broken["name"], "reason": body["skipped"][0]["reason"]}]
        assert "not a readable nianbao result" in body["skipped"][0]["reason"]
        views = {v["name"]: v for v in body["reports"]}
        assert "report" not in views[broken["name"]] and "not a readable" in views[broken["name"]]["result_error"]
        assert views[kept["name"]]["report"]["source"]["sha256"] == kept["sha256"]

        for fmt in ("csv", "xlsx"):
            r = c.get(f"{job['url']}/results?format={fmt}")
            assert r.status_code == 200, r.text
            named = json.loads(unquote(r.headers["x-nianbao-skipped"]))
            assert [s["name"] for s in named] == [broken["name"]]
        rows = list(csv.DictReader(io.StringIO(c.get(f"{job['url']}/results?format=csv").content.decode("utf-8-sig"))))
        assert rows and {r["file"] for r in rows} == {kept["name"]}

        # a corrections log that does not load is named the same way
        paths.result(broken["sha256"]).unlink()
        log = paths.result(kept["sha256"]).with_name(f"{kept['sha256']}.corrections.jsonl")
        log.write_text("not json at all\n" * 3, encoding="utf-8")
        r = c.get(f"{job['url']}/results")
        assert r.status_code == 200 and [s["name"] for s in r.json()["skipped"]] == [kept["name"]]
