"""Batch manifests (siting.batch.manifest): grids, defaults, path resolution, stable job ids, located errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from siting.batch import load_manifest, make_job
from siting.errors import InputError

REPO = Path(__file__).resolve().parents[1]
OSM = REPO / "data" / "osm"


def test_manifest_expands_grid_and_resolves_paths(batch_study: Path) -> None:
    jobs = load_manifest(batch_study)
    assert len(jobs) == 4 + 3
    grid = [j for j in jobs if j.origin.startswith("grids")]
    assert sorted((j.params["mode"], j.params["minutes"]) for j in grid) == [
        ("drive", 3), ("drive", 6), ("walk", 3), ("walk", 6)
    ]
    job = grid[0]
    # Paths stay as written in the params, absolute for the worker.
    assert job.params["network"] == "data/kotka.osm.pbf"
    assert job.resolved["network"] == str(batch_study.parent / "data" / "kotka.osm.pbf")
    assert job.params["snap_tolerance_m"] == 300  # from defaults
    assert job.inputs["network"]["sha256"] is not None
    missing = next(j for j in jobs if j.slug == "planted-missing")
    assert missing.inputs["facilities"]["sha256"] is None
    # The defaults key the network kind does not take is not forced on it.
    net_job = next(j for j in jobs if j.kind == "network")
    assert "snap_tolerance_m" not in net_job.params
    assert len({j.id for j in jobs}) == len(jobs)
    assert all(j.id.startswith(j.slug + "-") and len(j.id) == len(j.slug) + 13 for j in jobs)


def test_job_ids_are_stable_and_follow_parameters_and_input_bytes(batch_study: Path, tmp_path: Path) -> None:
    study = batch_study
    first = {j.slug: j.id for j in load_manifest(study)}
    assert first == {j.slug: j.id for j in load_manifest(study)}
    # The same study copied elsewhere keeps its ids (relative paths, content hashes).
    moved = shutil.copytree(study.parent, tmp_path / "moved")
    assert first == {j.slug: j.id for j in load_manifest(moved / "batch.yaml")}
    # 5 and 5.0 minutes are the same job; 6 minutes is another.
    doc = yaml.safe_load(study.read_text())
    doc["jobs"][0]["minutes"] = 5.0
    study.write_text(yaml.safe_dump(doc), encoding="utf-8")
    assert {j.slug: j.id for j in load_manifest(study)}["monaco-walk"] == first["monaco-walk"]
    doc["jobs"][0]["minutes"] = 6
    study.write_text(yaml.safe_dump(doc), encoding="utf-8")
    first = {j.slug: j.id for j in load_manifest(study)}
    assert first["monaco-walk"] != {j.slug: j.id for j in load_manifest(moved / "batch.yaml")}["monaco-walk"]
    # Changing a facilities file's bytes changes the ids of the jobs that read it, and only those.
    csv = study.parent / "data" / "kotka_points.csv"
    csv.write_text(csv.read_text() + "extra,26.95,60.53\n", encoding="utf-8")
    after = {j.slug: j.id for j in load_manifest(study)}
    changed = {s for s in first if first[s] != after.get(s)}
    assert changed == {s for s in first if s.startswith("access-kotka")}
    assert len(changed) == 4


def test_demo_manifest_uses_bundled_data_only() -> None:
    jobs = load_manifest(REPO / "examples" / "batch_demo.yaml")
    assert len(jobs) >= 6
    assert {j.kind for j in jobs} >= {"access", "network", "check", "allocate"}
    for job in jobs:
        for key, info in job.inputs.items():
            # Only the Chinese cities' OSM extracts are missing offline (fetched with `siting fetch-osm`):
            # the street network, and the hospitals and facilities the Qinzhou scenario reads from the same file.
            if info["sha256"] is None:
                assert key in ("scenario.network", "scenario.hospitals", "scenario.facilities"), (job.id, key)
                assert Path(info["path"]).parent.name == "osm" and info["path"].endswith(".osm.pbf"), (job.id, key)
            assert not Path(info["path"]).is_absolute()


def test_duplicate_jobs_are_dropped(tmp_path: Path) -> None:
    job = {"kind": "network", "network": str(OSM / "kotka_test.osm.pbf"), "mode": "walk"}
    path = tmp_path / "m.yaml"
    path.write_text(yaml.safe_dump({"jobs": [job, dict(job)], "grids": [{**job, "vary": {"mode": ["walk"]}}]}))
    assert len(load_manifest(path)) == 1


def test_slug_does_not_repeat_what_a_bundle_name_says(kotka_pbf: Path) -> None:
    # The network stem is already in the bundle name: only the mode is added.
    bundled = make_job({"kind": "network", "network": str(kotka_pbf), "mode": "walk"}, labels=["kotka_test-city"])
    assert bundled.slug == "network-kotka_test-city-walk"


@pytest.mark.parametrize(
    ("doc", "field", "words"),
    [
        ({"jobs": [{"kind": "acess", "network": "x.pbf"}]}, "jobs[0].kind", "unknown job kind 'acess'"),
        ({"jobs": [{"kind": "access", "network": "x.pbf", "minutes": 5, "facilites": "f.csv"}]},
         "jobs[0].facilites", "unknown parameter"),
        ({"jobs": [{"kind": "access", "network": "x.pbf", "facilities": "f.csv"}]}, "jobs[0].minutes", "needs"),
        ({"jobs": [{"kind": "access", "network": "x.pbf", "facilities": "f.csv", "minutes": 5, "mode": "wlak"}]},
         "jobs[0]", "mode 'wlak'"),
        ({"jobs": [{"kind": "allocate", "network": "x.pbf", "candidates": "c.csv", "demand_nodes": 5,
                    "model": "pmedian", "p": 2, "single_source": True}]},
         "jobs[0]", "single sourcing applies to cmclp, cpmedian, not pmedian"),
        ({"jobs": [{"kind": "allocate", "network": "x.pbf", "candidates": "c.csv", "demand_nodes": 5,
                    "model": "target", "minutes": 5}]}, "jobs[0]", "needs a share"),
        ({"grids": [{"kind": "network", "network": "x.pbf", "vary": {"mode": []}}]}, "grids[0].vary", "non-empty"),
        ({"defaults": {"minuets": 5}, "jobs": [{"kind": "network", "network": "x.pbf"}]}, "defaults.minuets",
         "not a parameter"),
        ({"job": []}, "job", "unknown key"),
        ({"jobs": [{"network": "x.pbf"}]}, "jobs[0].kind", "has no 'kind'"),
    ],
)
def test_bad_manifests_name_the_entry(tmp_path: Path, doc: dict, field: str, words: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_manifest(path)
    assert err.value.field == field
    assert words in str(err.value)
    assert str(path) in str(err.value)
