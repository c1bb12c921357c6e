"""Solving clusters: one task per cluster on a :class:`concurrent.futures.Executor`.

Where the tasks run is the only difference between the three ways (:class:`Where`):

* in this process, one after the other (``jobs=1``, or a single cluster);
* a :class:`~concurrent.futures.ProcessPoolExecutor` of ``jobs`` processes (started by
  ``spawn``: safe with threads, the same on every platform);
* an existing Dask distributed cluster, through ``Client(address).get_executor()``: Dask does the
  scheduling, the retries on a lost worker and the transport.

A process pool that is left early (an error, or SIGINT/SIGTERM raised in this process) cancels
what has not started and terminates its workers before the exception goes on: no worker outlives
vmplan, and vmplan does not wait for clusters nobody will see. Workers ignore SIGINT (a Ctrl-C
reaches the whole process group): this process stops them.

Each task ships one sub-inventory (pickled: hosts, VMs, rules and its rows of the demand), so a
worker holds only the clusters it solves. Results are collected in the clusters' order, so the
merged output is the same whatever finished first and wherever it ran.
"""

from __future__ import annotations

import multiprocessing
import signal
import warnings
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from vmplan.fleet.split import Part

R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class Where:
    """Where clusters are solved: ``jobs`` local processes, or a Dask scheduler's address."""

    jobs: int = 1
    scheduler: str | None = None


@dataclass(frozen=True, slots=True, eq=False)
class Solved(Generic[R]):
    """A fleet's result (``merged``), and each part solved with its own result, in order."""

    merged: R
    parts: tuple[Part, ...]
    results: tuple[R, ...]


class SchedulerError(RuntimeError):
    """The Dask scheduler cannot be used (not installed, or not reachable)."""


def solve(
    parts: Sequence[Part],
    job: Callable[..., R],
    where: Where,
    local: Callable[..., R] | None = None,
    args: Sequence[tuple[Any, ...]] = (),
) -> list[R]:
    """``job(part.inventory, *args[k])`` for every part ``k``, in the parts' order.

    ``job`` must pickle (a module-level function or a ``functools.partial`` of one). ``local``,
    when given, is used instead when the parts are solved in this process (it may report
    progress, which a remote task cannot)."""
    extra = list(args) or [()] * len(parts)
    if where.scheduler is None and (where.jobs <= 1 or len(parts) <= 1):
        run = local or job
        return [run(p.inventory, *a) for p, a in zip(parts, extra, strict=True)]
    with _executor(where, len(parts)) as pool:
        futures: list[Future[R]] = [
            pool.submit(job, p.inventory, *a) for p, a in zip(parts, extra, strict=True)
        ]
        return [f.result() for f in futures]


@contextmanager
def _executor(where: Where, tasks: int) -> Iterator[Executor]:
    if where.scheduler is not None:
        with _dask(where.scheduler) as pool:
            yield pool
        return
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(
        min(where.jobs, tasks), mp_context=context, initializer=_worker_ignores_sigint
    )
    try:
        yield pool
    except BaseException:
        _stop(pool)
        raise
    pool.shutdown()


def _worker_ignores_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _stop(pool: ProcessPoolExecutor) -> None:
    """Cancel the tasks not started and end the workers now (``terminate_workers`` from
    Python 3.14 on; its processes are the same ``_processes`` before that)."""
    workers = list((pool._processes or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for worker in workers:
        worker.terminate()
    for worker in workers:
        worker.join(timeout=5)


@contextmanager
def _dask(address: str) -> Iterator[Executor]:
    try:
        from distributed import Client
    except ImportError:
        raise SchedulerError("--scheduler needs Dask: pip install 'vmplan[dask]'") from None
    try:
        connect: Any = Client  # distributed's constructor is not annotated
        client = connect(address, timeout="10s", set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise SchedulerError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
    try:
        pool: Executor = client.get_executor(pure=False)
        with warnings.catch_warnings():
            # a cluster's sub-inventory is its task's argument by design (shipped once, to the
            # worker that solves it); Dask's advice to build the data on the workers instead
            # does not apply to an inventory read here
            warnings.filterwarnings("ignore", "Large object of size", UserWarning)
            yield pool
    finally:
        client.close()
