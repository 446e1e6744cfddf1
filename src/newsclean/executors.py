"""Who runs the steps: an executor maps a step (a module-level function of newsclean.steps)
over a stream of work items, in order, each call given the same shared arguments.

- ``LocalExecutor(jobs)``: this process (``jobs=1``) or one pool of worker processes,
  forked once when the run starts; only the costly items are sent to it when the caller
  says which are (a plain-text page costs less to work on here than to ship).
- ``RayExecutor(address)``: Ray tasks, on a local Ray started for the run or on the
  cluster at ``address``; shared arguments are put in the object store once.

Once the per-page steps are done, the run calls ``release()``: a local pool's workers exit
(dedup's steps run in this process), a cluster keeps its workers.

Both hand results back in input order, with a bounded number of items in flight, so a
run's output does not depend on who ran it, nor on how many workers there were.
"""
from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from multiprocessing import get_context
from typing import Any

from .errors import RunError, UsageError

IN_FLIGHT = 4  # items in flight per worker: enough to keep each busy, few enough to bound memory


class _Ready:
    """A result computed in place, in the queue of asynchronous ones."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def ready(self) -> bool:
        return True

    def get(self) -> Any:
        return self.value


class LocalExecutor:
    """Steps in this process, or in one pool of ``jobs`` forked worker processes."""

    name = "local"
    ships_shared_once = False  # (a forked pool would pickle them with every item)

    def __init__(self, jobs: int = 1) -> None:
        self.jobs = max(1, int(jobs))
        self._pool = None
        self._released = False

    def __enter__(self) -> "LocalExecutor":
        # The pool is forked as the run starts, while this process is small: forked later,
        # after the template counts and the extraction's garbage, each worker would go on
        # sharing (and, as Python touches reference counts, copying) all of it.
        if self.jobs > 1:
            self._workers()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None

    def release(self) -> None:
        """The per-page steps are done: the workers exit, and what runs after (dedup's
        steps, which a local run keeps in this process anyway) runs here. Their memory — a
        few hundred MB of models and caches — goes to dedup, the run's largest table; the
        pool is not forked again from a process that has grown since."""
        self.close()
        self._released = True

    def _workers(self):
        # Started once and kept for the run: one pool, forked from the thread that drives
        # the run (never from a pool's own feeder thread).
        if self._pool is None:
            ctx = get_context("fork") if hasattr(os, "fork") else get_context()
            try:
                self._pool = ctx.Pool(self.jobs)
            except OSError as exc:  # EAGAIN, ENOMEM: the machine will not give us the processes
                raise RunError(f"cannot start {self.jobs} worker processes: {exc.strerror or exc} "
                               "(try a smaller -j)") from None
        return self._pool

    def imap(self, fn: Callable, items: Iterable, *shared: Any,
             costly: Callable[[Any], bool] | None = None) -> Iterator:
        """``fn(item, *shared)`` for each item, in order. ``costly``: which items are worth
        sending to a worker process (default: all, when there are workers)."""
        if self.jobs == 1 or self._released:
            for it in items:
                yield fn(it, *shared)
            return
        pending: deque = deque()
        for it in items:
            if costly is None or costly(it):
                pending.append(self._workers().apply_async(fn, (it, *shared)))
            else:
                pending.append(_Ready(fn(it, *shared)))
            while pending and (pending[0].ready() or len(pending) > IN_FLIGHT * self.jobs):
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()


class RayExecutor:
    """Steps as Ray tasks. ``address``: a running cluster's (``ray start --head`` prints it;
    "auto" finds the local one); None starts a Ray on this machine for the run with
    ``num_cpus`` workers (default: all cores) and stops it after."""

    name = "ray"
    ships_shared_once = True  # shared arguments go to the object store once, not with each item

    def __init__(self, address: str | None = None, num_cpus: int | None = None) -> None:
        try:
            import ray
        except ImportError:
            raise UsageError("--executor ray needs Ray: pip install 'newsclean[ray]'") from None
        self._ray = ray
        self.address = address
        self.num_cpus = num_cpus
        self._started = False
        self._remote: dict[Callable, Any] = {}

    @property
    def jobs(self) -> int:
        return max(1, int(self._ray.cluster_resources().get("CPU", 1)))

    def __enter__(self) -> "RayExecutor":
        if not self._ray.is_initialized():
            kwargs = {"address": self.address} if self.address else {"num_cpus": self.num_cpus}
            self._ray.init(include_dashboard=False, log_to_driver=False, configure_logging=False, **kwargs)
            self._started = True
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self._started:
            self._ray.shutdown()
            self._started = False

    def release(self) -> None:
        """(Nothing to let go: dedup's steps run on the cluster too.)"""

    def imap(self, fn: Callable, items: Iterable, *shared: Any,
             costly: Callable[[Any], bool] | None = None) -> Iterator:
        """``fn(item, *shared)`` for each item as a Ray task, results in order (``costly``
        is ignored: on a cluster every item is worth sending)."""
        ray = self._ray
        if fn not in self._remote:
            self._remote[fn] = ray.remote(fn)
        remote = self._remote[fn]
        refs = [ray.put(s) for s in shared]
        window = IN_FLIGHT * self.jobs
        pending: deque = deque()
        for it in items:
            pending.append(remote.remote(it, *refs))
            while len(pending) > window:
                yield ray.get(pending.popleft())
        while pending:
            yield ray.get(pending.popleft())
