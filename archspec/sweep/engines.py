"""Where a sweep's batches are evaluated: a local process pool, or a Ray cluster (decision 0033).

Both engines take the same :class:`~archspec.sweep.evaluate.Setup` and the same numbered
batches, run :func:`evaluate_batch` on them, and hand back ``(batch number, rows)`` as batches
finish, in any order. A worker process builds one :class:`Evaluator` per setup and keeps it for
every batch it is given (the evaluator's cache is what makes candidates cheap), so the rows do
not depend on the engine, the number of workers or the order batches finish in.

Batches are formed from the candidate stream in order (batch k holds candidates
[k·B, (k+1)·B)), so a batch's number names the same candidates on every run and a resumed
sweep skips journaled batches by number. At most a few batches per worker are in flight: the
stream is read only as fast as it is evaluated, so a million candidates take the memory of a
few batches. Ray is imported only by the Ray engine.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from types import TracebackType
from typing import Any, Protocol

from archspec.sweep.evaluate import Evaluator, Setup
from archspec.sweep.model import Candidate

Batch = tuple[int, list[Candidate]]
Rows = list[dict[str, Any]]
#: batches in flight per worker: one running, one queued, so a worker never waits for the next
IN_FLIGHT_PER_WORKER = 2
RAY_INSTALL = "pip install 'archspec[ray]'"

#: this process's evaluators, one per setup, kept for every batch it evaluates
_EVALUATORS: dict[Setup, Evaluator] = {}


class EngineUnavailable(Exception):
    """An engine that cannot run here (Ray not installed, no cluster at the address)."""


class EngineFailed(Exception):
    """The engine lost a worker (killed, out of memory): the batches journaled so far are kept,
    and rerunning the sweep resumes from them."""

    def __init__(self, what: str):
        super().__init__(f"{what}; the finished batches are journaled: rerun the same command "
                         "to resume")


def batches(candidates: Iterable[Candidate], size: int) -> Iterator[Batch]:
    """The stream cut into numbered batches of ``size`` (the last may be shorter)."""
    if size < 1:
        raise ValueError(f"batch size must be at least 1, got {size}")
    it = iter(candidates)
    for number in itertools.count():
        chunk = list(itertools.islice(it, size))
        if not chunk:
            return
        yield number, chunk


def evaluate_batch(setup: Setup, candidates: list[Candidate]) -> Rows:
    """One batch's rows, with this process's evaluator for ``setup`` (built on first use)."""
    evaluator = _EVALUATORS.get(setup)
    if evaluator is None:
        evaluator = _EVALUATORS[setup] = Evaluator(setup)
    return evaluator.evaluate(candidates)


class Engine(Protocol):
    """Evaluates numbered batches; a context manager that owns its workers."""

    def __enter__(self) -> Engine: ...

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None: ...

    def map(self, setup: Setup, work: Iterable[Batch]) -> Iterator[tuple[int, Rows]]:
        """(batch number, rows) as batches finish, in any order."""
        ...


def _bounded(work: Iterable[Batch], limit: int, submit: Callable[[Batch], Any],
             wait_one: Callable[[list[Any]], tuple[list[Any], list[Any]]],
             result: Callable[[Any], Rows], numbers: dict[Any, int]
             ) -> Iterator[tuple[int, Rows]]:
    """Keep at most ``limit`` batches in flight; yield each as it finishes."""
    it = iter(work)
    exhausted = False
    while True:
        while not exhausted and len(numbers) < limit:
            nxt = next(it, None)
            if nxt is None:
                exhausted = True
            else:
                numbers[submit(nxt)] = nxt[0]
        if not numbers:
            return
        finished, _ = wait_one(list(numbers))
        for handle in finished:
            yield numbers.pop(handle), result(handle)


def cores() -> int:
    """The cores this process may run on (its affinity, where the platform has one)."""
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity is not None else os.cpu_count() or 1


def start_method() -> str:
    """forkserver where the platform has it (a fork of a process with threads, such as the
    progress display's, is unsafe), else spawn."""
    return "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"


class LocalEngine:
    """A process pool of ``workers`` processes (default: every core this process may use)."""

    def __init__(self, *, workers: int | None = None):
        self.workers = workers or cores()
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> LocalEngine:
        context = multiprocessing.get_context(start_method())
        if start_method() == "forkserver":
            context.set_forkserver_preload(["archspec.sweep.engines"])
        self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=context)
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def map(self, setup: Setup, work: Iterable[Batch]) -> Iterator[tuple[int, Rows]]:
        pool = self._pool
        assert pool is not None, "use the engine as a context manager"
        numbers: dict[Future[Rows], int] = {}

        def wait_one(pending: list[Future[Rows]]) -> tuple[list[Future[Rows]], list[Any]]:
            done, rest = wait(pending, return_when=FIRST_COMPLETED)
            return list(done), list(rest)

        try:
            yield from _bounded(work, IN_FLIGHT_PER_WORKER * self.workers,
                                lambda b: pool.submit(evaluate_batch, setup, b[1]),
                                wait_one, lambda f: f.result(), numbers)
        except BrokenProcessPool:
            raise EngineFailed("a worker process ended abruptly (killed, or out of memory?)"
                               ) from None


def _ray() -> Any:
    try:
        import ray
    except ImportError:
        raise EngineUnavailable(
            f"--engine ray needs Ray, which is not installed: {RAY_INSTALL}") from None
    return ray


def _join(address: str | None, workers: int | None) -> bool:
    """Ray initialised: the cluster at ``address``, else a local one of ``workers`` CPUs; a
    Ray already initialised (a test, a notebook) as it is. Whether this call started it."""
    ray = _ray()
    if ray.is_initialized():
        return False
    try:
        ray.init(address=address, include_dashboard=False,
                 num_cpus=workers if address is None else None,
                 log_to_driver=False, logging_level=logging.ERROR)
    except ConnectionError as exc:
        raise EngineUnavailable(f"--address {address}: no Ray cluster there ({exc})") from None
    return True


@contextlib.contextmanager
def ray_joined(address: str | None, workers: int | None = None) -> Iterator[None]:
    """Ray initialised for the block (``--measure`` on a cluster's devices), and left as it
    was found."""
    started = _join(address, workers)
    try:
        yield
    finally:
        if started:
            _ray().shutdown()


class RayEngine:
    """Batches as Ray tasks on a cluster: the one at ``address`` (``auto``: the one this
    machine belongs to), else a local one started with ``workers`` CPUs (default: every core)
    and stopped at the end. A Ray that was already initialised (a test, a notebook) is used as
    it is."""

    def __init__(self, *, address: str | None = None, workers: int | None = None):
        self.address = address
        self.workers = workers
        self._started = False
        self._limit = 2
        self._remote: Any = None

    def __enter__(self) -> RayEngine:
        _ray()  # only whether it is installed: the cluster is joined for the first batch
        return self

    def _start(self) -> Any:
        """Join or start the cluster (not before there is a batch to send); the remote
        function."""
        if self._remote is not None:
            return self._remote
        self._started = _join(self.address, self.workers)
        ray = _ray()
        cpus = int(ray.cluster_resources().get("CPU", 1))
        self._limit = IN_FLIGHT_PER_WORKER * max(cpus, 1)
        self._remote = ray.remote(num_cpus=1, max_retries=2)(evaluate_batch)
        return self._remote

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._started:
            _ray().shutdown()
            self._started = False

    def map(self, setup: Setup, work: Iterable[Batch]) -> Iterator[tuple[int, Rows]]:
        import ray

        it = iter(work)
        first = next(it, None)
        if first is None:  # everything journaled already: no cluster to start
            return
        remote = self._start()
        numbers: dict[Any, int] = {}
        try:
            yield from _bounded(
                itertools.chain([first], it), self._limit, lambda b: remote.remote(setup, b[1]),
                lambda pending: ray.wait(pending, num_returns=1),
                lambda ref: ray.get(ref), numbers)
        except (ray.exceptions.WorkerCrashedError, ray.exceptions.NodeDiedError,
                ray.exceptions.RaySystemError) as exc:
            raise EngineFailed(f"the Ray cluster lost a worker ({type(exc).__name__})"
                               ) from None
        finally:
            for ref in numbers:  # stopped early (an error, an interrupt): drop the rest
                ray.cancel(ref, force=True)


def engine(name: str, *, workers: int | None = None, address: str | None = None) -> Engine:
    """The engine ``--engine`` names."""
    if name == "ray":
        return RayEngine(address=address, workers=workers)
    if name == "local":
        return LocalEngine(workers=workers)
    raise ValueError(f"unknown engine {name!r}")
