"""What a batch leaves on disk (siting.batch.store, .canonical): canonical JSON, the run log, the failure book."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from siting.batch import canonical_json, job_status, make_job, read_runlog
from siting.batch.store import FAILURES, RUNLOG, FailureBook, result_path, write_result


def test_canonical_json_is_fixed() -> None:
    text = canonical_json({"b": np.float64(1 / 3), "a": [np.int64(2), float("nan"), -0.0, np.inf], "c": "钦州"})
    assert text == '{\n  "a": [\n    2,\n    null,\n    0.0,\n    null\n  ],\n  "b": 0.333333333333,\n  "c": "钦州"\n}\n'
    # Last-bit noise (different summation orders) prints the same.
    assert canonical_json(0.1 + 0.2) == canonical_json(0.3)


def test_runlog_reader_skips_a_line_cut_by_a_crash(tmp_path: Path) -> None:
    (tmp_path / RUNLOG).write_text('{"event": "start", "run": "r1"}\n{"event": "job", "run": "r1", "jo',
                                   encoding="utf-8")
    assert read_runlog(tmp_path) == [{"event": "start", "run": "r1"}]
    assert read_runlog(tmp_path / "nowhere") == []


def test_failure_book_prunes_only_its_own_manifest_and_status_follows_it(tmp_path: Path, kotka_pbf: Path) -> None:
    walk, drive = (make_job({"kind": "network", "network": str(kotka_pbf), "mode": m}) for m in ("walk", "drive"))
    outcome = {"error": "boom", "error_type": "ValueError", "traceback": "Traceback ...", "worker": "w:1"}
    book = FailureBook(tmp_path, "a.yaml")
    book.record(walk, outcome, run="r1")
    book.entries["other"] = {"id": "other", "manifest": "b.yaml"}
    book.save()
    assert job_status([walk, drive], tmp_path)[0]["status"] == "failed"
    assert job_status([walk, drive], tmp_path)[1]["status"] == "pending"

    again = FailureBook(tmp_path, "a.yaml")
    assert again.entries[walk.id]["error"] == "boom" and again.entries[walk.id]["origin"] == ""
    again.prune({drive.id})  # walk's inputs changed: it is no longer among a.yaml's jobs
    assert set(again.entries) == {"other"}

    write_result(tmp_path, drive.id, "{}\n")
    assert result_path(tmp_path, drive.id).read_text() == "{}\n"
    assert [r["status"] for r in job_status([walk, drive], tmp_path)] == ["failed", "done"]
    # A damaged failures file (our own) is read as empty.
    (tmp_path / FAILURES).write_text("{not json", encoding="utf-8")
    assert FailureBook(tmp_path, "a.yaml").entries == {}
    assert [r["status"] for r in job_status([walk, drive], tmp_path)] == ["pending", "done"]
    assert json.loads(json.dumps(job_status([walk], tmp_path))) == [
        {"id": walk.id, "kind": "network", "origin": "", "status": "pending"}
    ]
