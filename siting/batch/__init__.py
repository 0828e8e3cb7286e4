"""Batch runs: many jobs from a manifest, on a local process pool or a Dask cluster, resumable."""

from siting.batch.runner import (
    canonical,
    canonical_json,
    job_status,
    load_manifest,
    make_job,
    read_runlog,
    register_kind,
    run_batch,
)

__all__ = ["canonical", "canonical_json", "job_status", "load_manifest", "make_job", "read_runlog",
           "register_kind", "run_batch"]
