"""Where jobs run: a local process pool, a Dask LocalCluster, or a running Dask scheduler.

Every back-end offers the same four calls (:class:`Backend`): submit a
function and its argument, iterate over futures as they finish, cancel, close.
The runner sends :func:`siting.batch.worker.execute` and job payloads (plain
data); the result text comes back and is written by the calling process.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Iterator
from typing import Any

from siting.errors import SitingError

#: Modules a pool's forkserver imports once, so each worker starts with siting loaded.
POOL_PRELOAD = ["siting.batch.worker", "siting.batch.kinds", "siting.network", "siting.routing.engine",
                "siting.routing.snap"]


class Backend:
    """What the runner needs of a back-end."""

    name = ""
    workers = 0

    def submit(self, fn: Callable[..., Any], arg: Any, key: str) -> Any:
        """Start ``fn(arg)``; ``key`` names the task (Dask shows it)."""
        raise NotImplementedError

    def as_completed(self, futures: list[Any]) -> Iterator[Any]:
        """The futures in the order they finish."""
        raise NotImplementedError

    def cancel(self, futures: list[Any]) -> None:
        """Cancel what has not finished (on Ctrl-C)."""
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


def open_backend(scheduler: str | None = None, workers: int | None = None) -> Backend:
    """A process pool (``scheduler`` None), a LocalCluster (``local:N``) or a cluster (``tcp://``)."""
    if workers is not None and workers < 1:
        raise SitingError(f"--workers must be at least 1, not {workers}")
    if not scheduler:
        return ProcessPoolBackend(workers or os.cpu_count() or 1)
    return DaskBackend(scheduler, workers)


def init_pool_worker() -> None:
    """Send what jobs print (solver banners, from C too) to stderr: stdout is the CLI's --json."""
    sys.stdout.flush()
    os.dup2(2, 1)


class ProcessPoolBackend(Backend):
    """``workers`` processes on this machine, started by a forkserver."""

    def __init__(self, workers: int) -> None:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        # forkserver: no fork of a process with threads (tqdm, numba); siting preloaded once.
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(POOL_PRELOAD)
        self.pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=init_pool_worker)
        self.workers = workers
        self.name = f"process pool ({workers} worker{'s' if workers != 1 else ''})"

    def submit(self, fn: Callable[..., Any], arg: Any, key: str) -> Any:
        return self.pool.submit(fn, arg)

    def as_completed(self, futures: list[Any]) -> Iterator[Any]:
        from concurrent.futures import as_completed

        return as_completed(futures)

    def cancel(self, futures: list[Any]) -> None:
        for f in futures:
            f.cancel()
        # Interrupted: stop the running jobs too rather than wait for them (their results are not kept).
        for proc in list(getattr(self.pool, "_processes", {}).values()):
            proc.terminate()

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


class DaskBackend(Backend):
    """A Dask LocalCluster started here (``local:N``) or a running scheduler (``tcp://HOST:PORT``)."""

    def __init__(self, scheduler: str, workers: int | None) -> None:
        check_scheduler(scheduler)
        from distributed import Client, LocalCluster

        self.cluster = None
        if scheduler.startswith("local:") or scheduler == "local":
            n = scheduler.partition(":")[2] or str(workers or os.cpu_count() or 1)
            self.cluster = LocalCluster(
                n_workers=int(n), threads_per_worker=1, processes=True, host="127.0.0.1",
                dashboard_address=None, silence_logs=logging.ERROR,
            )
            self.client = Client(self.cluster)
            self.name = f"dask LocalCluster ({n} workers on 127.0.0.1)"
        else:
            address = scheduler if "://" in scheduler else f"tcp://{scheduler}"
            self.client = connect(address)
            self.name = f"dask cluster {address}"
        self.workers = len(self.client.scheduler_info().get("workers", {}))
        if self.cluster is None and self.workers == 0:
            self.client.close()
            raise SitingError(f"the Dask scheduler at {scheduler} has no workers: start some with "
                              f"`dask worker {scheduler}`")

    def submit(self, fn: Callable[..., Any], arg: Any, key: str) -> Any:
        return self.client.submit(fn, arg, key=f"siting-{fn.__name__}-{key}", pure=False, retries=0)

    def as_completed(self, futures: list[Any]) -> Iterator[Any]:
        from distributed import as_completed

        return iter(as_completed(futures))

    def cancel(self, futures: list[Any]) -> None:
        self.client.cancel(futures)

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def check_scheduler(scheduler: str) -> None:
    """Raise a :class:`SitingError` for a ``--scheduler`` that is neither ``local[:N]`` nor an address."""
    if scheduler.startswith("local:") and not (scheduler[6:].isdigit() and int(scheduler[6:]) >= 1):
        raise SitingError(f"bad scheduler '{scheduler}': use local:N with N >= 1 workers, e.g. local:2")
    if not scheduler.startswith(("local", "tcp://", "tls://")) and ":" not in scheduler:
        raise SitingError(f"bad scheduler '{scheduler}': use tcp://HOST:PORT or local:N")


def connect(address: str) -> Any:
    """A Dask client of the running scheduler at ``address``; a clear error when it cannot be reached."""
    from distributed import Client

    try:
        return Client(address, timeout="10s")
    except (OSError, TimeoutError) as exc:
        raise SitingError(
            f"cannot reach the Dask scheduler at {address} ({exc}). Start one with "
            "`dask scheduler --host HOST --port PORT` and workers with `dask worker tcp://HOST:PORT`"
        ) from exc
