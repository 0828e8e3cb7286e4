"""Running batches (siting.batch.runner, .backends): process pool vs a real Dask LocalCluster,
failures, resume after a rerun or a SIGKILL, the output folder's lock, and the command line."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from siting.batch import load_manifest, read_runlog, run_batch
from siting.batch.backends import open_backend
from siting.batch.sample_study import write_monaco_access_study
from siting.batch.store import FAILURES, result_path
from siting.errors import SitingError


def _results(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((out / "results").glob("*.json"))}


def _last_run(out: Path) -> list[dict]:
    events = read_runlog(out)
    run = [e for e in events if e["event"] == "start"][-1]["run"]
    return [e for e in events if e["run"] == run and e["event"] == "job"]


def test_dask_cluster_gives_byte_identical_results_and_isolates_failure(
    batch_study: Path, tmp_path: Path, monaco_points: list[dict]
) -> None:
    study = batch_study
    jobs = load_manifest(study)
    planted = next(j for j in jobs if j.slug == "planted-missing")
    pool_out, dask_out = tmp_path / "pool", tmp_path / "dask"

    pool = run_batch(jobs, pool_out, workers=2, progress=False, manifest=study)
    assert (pool.done, pool.failed, pool.skipped) == (len(jobs) - 1, 1, 0)
    assert set(pool.failures) == {planted.id}

    # A cluster started apart, reached by its tcp:// address as a remote one would be.
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as local:
        address = local.scheduler_address
        assert address.startswith("tcp://127.0.0.1:")
        cluster = run_batch(jobs, dask_out, scheduler=address, progress=False, manifest=study)
    assert cluster.backend == f"dask cluster {address}" and cluster.workers == 2
    assert (cluster.done, cluster.failed) == (len(jobs) - 1, 1)

    assert _results(pool_out) == _results(dask_out)
    assert set(_results(pool_out)) == {f"{j.id}.json" for j in jobs if j is not planted}
    # Both worker processes of the cluster ran jobs.
    workers = {e["worker"] for e in _last_run(dask_out) if e["status"] == "done"}
    assert len(workers) == 2

    for out in (pool_out, dask_out):
        failures = json.loads((out / FAILURES).read_text())
        assert list(failures) == [planted.id]
        entry = failures[planted.id]
        assert "missing.csv" in entry["error"] and "not found" in entry["error"]
        assert "Traceback" in entry["traceback"] and entry["origin"] == "jobs[2]"
        assert not result_path(out, planted.id).exists()

    # A result file holds the job's parameters as written and nothing of the run.
    doc = json.loads(result_path(pool_out, next(j.id for j in jobs if j.slug == "monaco-walk")).read_text())
    assert doc["params"]["network"] == "data/monaco.osm.pbf"
    assert set(doc) == {"id", "slug", "kind", "params", "inputs", "result"}
    assert [f["id"] for f in doc["result"]["facilities"]] == [p["id"] for p in monaco_points]


@pytest.fixture()
def pool():  # type: ignore[no-untyped-def]
    """One process pool reused by several runs (its workers keep their networks)."""
    backend = open_backend(workers=1)
    yield backend
    backend.close()


def test_rerun_runs_only_missing_jobs_and_force_reruns_all(batch_study: Path, tmp_path: Path, pool) -> None:  # type: ignore[no-untyped-def]
    study = batch_study
    jobs = [j for j in load_manifest(study) if j.kind == "access"]
    out = tmp_path / "out"
    first = run_batch(jobs, out, backend=pool, progress=False, manifest=study)
    assert (first.done, first.failed) == (len(jobs) - 1, 1)
    before = _results(out)

    victim = next(j for j in jobs if j.slug == "monaco-walk")
    result_path(out, victim.id).unlink()
    again = run_batch(jobs, out, backend=pool, progress=False, manifest=study)
    ran = {e["job"]: e["status"] for e in _last_run(out)}
    # Only the deleted job and the still-failing one ran; the rest were skipped.
    assert {j for j, s in ran.items() if s == "done"} == {victim.id}
    assert {j for j, s in ran.items() if s == "failed"} == set(again.failures)
    assert sum(s == "skipped" for s in ran.values()) == len(jobs) - 2
    assert _results(out) == before

    # Fixing the planted failure gives that job a new id (new input bytes); its stale failure is pruned.
    shutil.copy(study.parent / "data" / "kotka_points.csv", study.parent / "data" / "missing.csv")
    fixed_jobs = [j for j in load_manifest(study) if j.kind == "access"]
    fixed = run_batch(fixed_jobs, out, backend=pool, progress=False, manifest=study)
    assert (fixed.done, fixed.failed, fixed.skipped) == (1, 0, len(jobs) - 1)
    assert json.loads((out / FAILURES).read_text()) == {}

    forced = run_batch(fixed_jobs, out, backend=pool, progress=False, manifest=study, force=True)
    assert (forced.done, forced.skipped) == (len(jobs), 0)
    assert {k: v for k, v in _results(out).items() if k in before} == before

    # A second run into the same folder at the same time is refused.
    import fcntl

    with open(out / ".lock", "a") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(SitingError, match="another `siting batch` is running"):
            run_batch(fixed_jobs, out, backend=pool, progress=False)


def test_killed_run_resumes_without_redoing_finished_jobs(tmp_path: Path) -> None:
    # Jobs of a few tenths of a second each: 400 Monaco network nodes as facilities, walk.
    manifest = write_monaco_access_study(tmp_path, n_jobs=10, n_facilities=400, first_minutes=10)
    jobs = load_manifest(manifest)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "siting", "batch", str(manifest), "--out", str(out), "--workers", "1",
           "--no-progress"]
    proc = subprocess.Popen(cmd, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    try:
        while not list((out / "results").glob("*.json")):
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            assert time.monotonic() < deadline
            time.sleep(0.01)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the CLI, its forkserver and pool workers
        proc.wait()
    finished = set(_results(out))
    assert 1 <= len(finished) < len(jobs)
    assert not list((out / "results").glob(".*.tmp"))  # atomic writes leave no partial files

    summary = run_batch(jobs, out, workers=1, progress=False, manifest=manifest)
    assert summary.skipped == len(finished)
    assert summary.done == len(jobs) - len(finished)
    redone = {e["job"] + ".json" for e in _last_run(out) if e["status"] == "done"}
    assert not redone & finished
    assert redone | finished == {f"{j.id}.json" for j in jobs}


@pytest.mark.parametrize(
    ("scheduler", "workers", "words"),
    [(None, 0, "--workers must be at least 1"), ("local:0", None, "use local:N with N >= 1"),
     ("nowhere", None, "use tcp://HOST:PORT or local:N")],
)
def test_bad_scheduler_or_workers_fail_before_anything_starts(scheduler: str | None, workers: int | None,
                                                               words: str) -> None:
    with pytest.raises(SitingError, match=words):
        open_backend(scheduler, workers)


# ----------------------------------------------------------------------------------------------
# Command line


def test_cli_summary_json_and_exit_status(batch_study: Path, tmp_path: Path) -> None:
    out = tmp_path / "cli"
    cmd = [sys.executable, "-m", "siting", "batch", str(batch_study), "--out", str(out), "--scheduler", "local:2",
           "--json"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stderr  # one job failed
    summary = json.loads(proc.stdout)
    assert (summary["total"], summary["done"], summary["failed"], summary["skipped"]) == (7, 6, 1, 0)
    assert summary["backend"] == "dask LocalCluster (2 workers on 127.0.0.1)"
    assert "6 done, 1 failed, 0 skipped" in proc.stderr
    assert "planted-missing" in proc.stderr
    listed = subprocess.run(cmd[:-1] + ["--list", "--json"], capture_output=True, text=True, timeout=120)
    rows = json.loads(listed.stdout)
    assert sorted(r["status"] for r in rows) == ["done"] * 6 + ["failed"]


def test_cli_bad_manifest_is_one_clear_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("jobs:\n  - kind: access\n    minutes: [5\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "siting", "batch", str(bad), "--out", str(tmp_path / "o")],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.startswith("siting: error: ") and "not valid YAML" in proc.stderr
    assert "Traceback" not in proc.stderr
