"""Where a fleet's work runs: solving clusters (one task per cluster on a
:class:`concurrent.futures.Executor`, :func:`solve`) and reading inventory files (:func:`each`).

Where the tasks run is the only difference between the three ways (:class:`Where`):

* in this process, one after the other (``jobs=1``, or a single cluster);
* ``jobs`` local processes: this one and a :class:`~concurrent.futures.ProcessPoolExecutor` of
  ``jobs - 1`` more (started by ``spawn``: safe with threads, the same on every platform);
* an existing Dask distributed cluster, through ``Client(address).get_executor()``: Dask does the
  scheduling, the retries on a lost worker and the transport.

A process pool that is left early (an error, or SIGINT/SIGTERM raised in this process) cancels
what has not started and terminates its workers before the exception goes on: no worker outlives
vmplan, and vmplan does not wait for clusters nobody will see. Workers ignore SIGINT (a Ctrl-C
reaches the whole process group): this process stops them. A worker that ends abruptly (killed,
or out of memory) is a :class:`SchedulerError` once the cluster this process is solving is done.

Each task ships one sub-inventory (pickled: hosts, VMs, rules and its rows of the demand), so a
worker holds only the clusters it solves; those this process solves itself are not shipped.
Results are collected in the clusters' order, so the merged output is the same whatever
finished first and wherever it ran.
"""

from __future__ import annotations

import multiprocessing
import signal
import threading
import warnings
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any, Generic, TypeVar

from vmplan.fleet.split import Part

R = TypeVar("R")
T = TypeVar("T")


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
    """Where the work was to run cannot be used: the Dask scheduler (not installed, or not
    reachable), or a local worker process that ended abruptly (killed, or out of memory)."""


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
    run = local or job
    if where.scheduler is None and (where.jobs <= 1 or len(parts) <= 1):
        return [run(p.inventory, *a) for p, a in zip(parts, extra, strict=True)]
    if where.scheduler is not None:
        with _executor(where, len(parts)) as pool:
            futures = [pool.submit(job, p.inventory, *a) for p, a in zip(parts, extra, strict=True)]
            return [f.result() for f in futures]
    helpers = where.jobs - 1
    with _executor(Where(helpers), len(parts)) as pool:
        there = [partial(job, p.inventory, *a) for p, a in zip(parts, extra, strict=True)]
        here = [partial(run, p.inventory, *a) for p, a in zip(parts, extra, strict=True)]
        return _side_by_side(pool, helpers, there, here)


def _side_by_side(
    pool: Executor, helpers: int, there: Sequence[Callable[[], R]], here: Sequence[Callable[[], R]]
) -> list[R]:
    """Every task once, the results in the tasks' order: ``helpers`` threads each keep one
    worker of ``pool`` busy with ``there[k]``, taking the tasks from the first, while this
    thread runs ``here[k]`` from the last (the tasks run here are never pickled or sent).

    A task is given to a worker only when the worker is free, so that none waits in the pool's
    queue (where cancelling it would leave the pool unable to report a lost worker, in Python
    3.11)."""
    left = deque(range(len(there)))
    lock = threading.Lock()
    futures: list[Future[R] | None] = [None] * len(there)

    def take(first: bool) -> int | None:
        with lock:
            return (left.popleft() if first else left.pop()) if left else None

    def stop() -> None:
        with lock:
            left.clear()

    def feed() -> None:
        with _sigint_held():  # only the main thread handles signals: this one starts workers
            while (k := take(True)) is not None:
                try:
                    futures[k] = future = pool.submit(there[k])
                    failed = future.exception() is not None  # waits for the task
                except BaseException as exc:  # a pool that is shut down or broken
                    futures[k] = _failed(exc)
                    failed = True
                if failed:  # no task is started after one failed, here or there
                    stop()

    threads = [threading.Thread(target=feed, daemon=True) for _ in range(helpers)]
    for thread in threads:
        thread.start()
    try:
        while (k := take(False)) is not None:
            futures[k] = _done(here[k]())
    except BaseException:
        stop()  # the helpers take no more; the caller stops the pool
        raise
    for thread in threads:
        thread.join()
    for f in futures:  # the first task that failed raises (BrokenProcessPool: a lost worker)
        if f is not None and f.exception() is not None:
            f.result()
    done = [f for f in futures if f is not None]
    assert len(done) == len(futures), "a task was taken and never run"
    return [f.result() for f in done]


def _done(result: R) -> Future[R]:
    done: Future[R] = Future()
    done.set_result(result)
    return done


def _failed(exc: BaseException) -> Future[Any]:
    failed: Future[Any] = Future()
    failed.set_exception(exc)
    return failed


def each(
    job: Callable[[T], R], items: Sequence[T], then: Callable[[R], None], where: Where
) -> None:
    """``then(job(item))`` for every item, in order. ``job`` runs in this process, or on
    ``where.jobs - 1`` other local processes (never on a Dask scheduler: its workers may not see
    this machine's files) while ``then`` runs here, on each result as it comes."""
    if where.jobs <= 1 or len(items) <= 1:
        for item in items:
            then(job(item))
        return
    with _executor(Where(where.jobs - 1), len(items)) as pool:
        with _sigint_held():
            futures = [pool.submit(job, item) for item in items]
        for future in futures:
            then(future.result())


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
    except BrokenProcessPool:
        _stop(pool)
        raise SchedulerError(
            "a worker process ended abruptly (killed, or out of memory?); "
            "run again with a lower --jobs"
        ) from None
    except BaseException:
        _stop(pool)
        raise
    pool.shutdown()


def _worker_ignores_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):  # started with it held (see _sigint_held)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


@contextmanager
def _sigint_held() -> Iterator[None]:
    """SIGINT held (blocked) in this thread while it may start workers (a ``submit`` does): a
    worker inherits the block, so a Ctrl-C during its start-up waits until it ignores SIGINT,
    where it would otherwise end the worker with a traceback. Here the signal is handled when
    the block ends."""
    if not hasattr(signal, "pthread_sigmask"):  # Windows: no signal masks
        yield
        return
    held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


def _stop(pool: ProcessPoolExecutor) -> None:
    """Cancel the tasks not started and end the workers now (``terminate_workers`` from
    Python 3.14 on; its processes are the same ``_processes`` before that).

    The pool's own table of processes is taken (``shutdown`` lets go of it) and read once
    ``shutdown`` has returned: workers start at a ``submit``, which may run in a helper thread
    meanwhile, and none can start after ``shutdown``."""
    processes = pool._processes
    manager: threading.Thread | None = getattr(pool, "_executor_manager_thread", None)
    pool.shutdown(wait=False, cancel_futures=True)
    workers = list((processes or {}).values())
    for worker in workers:
        worker.terminate()
    for worker in workers:
        worker.join(timeout=5)
    if manager is not None:  # it closes the pool's queues: none is left for the resource
        manager.join(timeout=5)  # tracker to report as leaked once vmplan has gone


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
