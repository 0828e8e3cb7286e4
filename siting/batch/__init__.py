"""Batch runs: many jobs from a manifest, on a local process pool or a Dask cluster, resumable.

The modules, in the order a run uses them:

- :mod:`~siting.batch.manifest`: manifests and grids into jobs with stable ids;
- :mod:`~siting.batch.registry`: the job kinds (``register_kind``, ``get_kind``);
- :mod:`~siting.batch.kinds`: the built-in kinds (imported here, which registers them);
- :mod:`~siting.batch.caches`: what a worker keeps between jobs (networks, demand layers, cost matrices);
- :mod:`~siting.batch.worker`: one job run on a worker (``execute``);
- :mod:`~siting.batch.backends`: process pool, Dask LocalCluster or a running scheduler;
- :mod:`~siting.batch.store`: result files, run log, failure book, the folder's lock;
- :mod:`~siting.batch.canonical`: canonical JSON (result files and job ids);
- :mod:`~siting.batch.runner`: ``run_batch`` and ``job_status``;
- :mod:`~siting.batch.sample_study`: a study of a chosen size on the bundled data (benchmark, tests).
"""

import siting.batch.kinds  # noqa: F401  (its modules fill the registry)
from siting.batch.canonical import canonical, canonical_json
from siting.batch.manifest import Job, load_manifest, make_job
from siting.batch.registry import register_kind
from siting.batch.runner import BatchSummary, job_status, run_batch
from siting.batch.store import read_runlog

__all__ = ["BatchSummary", "Job", "canonical", "canonical_json", "job_status", "load_manifest", "make_job",
           "read_runlog", "register_kind", "run_batch"]
