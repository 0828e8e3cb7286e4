"""The benchmarks' agreement checks: a benchmark whose answers disagree must not report a ratio."""

from __future__ import annotations

from pathlib import Path

from bench_modules import load_bench

REPO = Path(__file__).resolve().parents[1]




def test_batch_results_identical_only_when_every_job_has_the_same_file(tmp_path):
    identical = load_bench("bench_batch").identical_results
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir()
    two.mkdir()
    # Empty folders agree on nothing (before, `all([])` made them "identical").
    assert identical(one, two, 2) == (False, "0 and 0 result files for 2 jobs")
    assert identical(one, tmp_path / "missing", 0)[0] is False  # nothing compared proves nothing
    for folder in (one, two):
        (folder / "a.json").write_text('{"x": 1}')
        (folder / "b.json").write_text('{"x": 2}')
    assert identical(one, two, 2) == (True, "")
    (two / "b.json").write_text('{"x": 3}')
    assert identical(one, two, 2) == (False, "1 file(s) differ, e.g. ['b.json']")
    (two / "b.json").unlink()
    (two / "c.json").write_text('{"x": 2}')
    assert identical(one, two, 2)[0] is False
    assert identical(one, two, 3)[0] is False
