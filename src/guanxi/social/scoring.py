"""Sentiment, aspects and keywords for a batch of texts, in worker processes when configured.

Scoring is pure CPU over read-only models (jieba, snownlp, VADER), so a batch splits across processes with no
shared state. GUANXI_SOCIAL_SCORING_WORKERS (default 0: in this process) sets the pool size; batches smaller than
MIN_POOLED stay in-process, where sending them costs more than it saves. Workers are spawned, not forked (the
server process has threads and open connections), and load the models once. A worker that dies or hangs breaks
only that call: the batch is scored in-process and the next batch starts a fresh pool.
"""

from __future__ import annotations

import concurrent.futures as cf
import logging
import multiprocessing
import threading

from guanxi.social import aspects

log = logging.getLogger(__name__)
MIN_POOLED = 200
TIMEOUT_S = 120.0
_lock = threading.Lock()
_pool: cf.ProcessPoolExecutor | None = None
_size = 0


def _warm() -> None:
    aspects.analyse("预热 warm up")


def _analyse_all(texts: list[str]) -> list[aspects.Analysis]:
    return [aspects.analyse(t) for t in texts]


def _get_pool(workers: int) -> cf.ProcessPoolExecutor:
    global _pool, _size
    with _lock:
        if _pool is None or _size != workers:
            if _pool is not None:
                _pool.shutdown(wait=False, cancel_futures=True)
            _pool = cf.ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"), initializer=_warm)
            _size = workers
        return _pool


def _drop_pool(pool: cf.ProcessPoolExecutor, *, kill: bool = False) -> None:
    global _pool
    with _lock:
        if _pool is pool:
            _pool = None
    if kill:  # a hung worker would never finish its task; the executor has no public way to stop it
        for process in list(getattr(pool, "_processes", {}).values()):
            process.terminate()
    pool.shutdown(wait=False, cancel_futures=True)


def warm(workers: int) -> None:
    """Start the pool and load the models in every worker (a server does this on its first large batch)."""
    if workers > 1:
        pool = _get_pool(workers)
        list(pool.map(_warm_and_wait, range(workers)))


def _warm_and_wait(_: int) -> None:
    import time

    _warm()
    time.sleep(0.2)  # so that each worker gets one of the warm-up calls


def analyse_many(texts: list[str], workers: int = 0) -> list[aspects.Analysis]:
    """`aspects.analyse` of each text, in order; the same results in-process or pooled."""
    if workers <= 1 or len(texts) < MIN_POOLED:
        return _analyse_all(texts)
    pool = _get_pool(workers)
    size = -(-len(texts) // (workers * 2))  # two chunks per worker: an uneven chunk does not leave one idle
    parts = [texts[i:i + size] for i in range(0, len(texts), size)]
    try:
        futures = [pool.submit(_analyse_all, p) for p in parts]
        return [a for f in futures for a in f.result(timeout=TIMEOUT_S)]
    except (cf.BrokenExecutor, cf.TimeoutError, OSError) as exc:
        log.warning("scoring pool failed (%r); scoring this batch in-process", exc)
        _drop_pool(pool, kill=isinstance(exc, cf.TimeoutError))
        return _analyse_all(texts)


def worker_pids() -> list[int]:
    """The pool's processes (the benchmark reads their CPU time)."""
    pool = _pool
    return list(getattr(pool, "_processes", None) or {}) if pool is not None else []


def shutdown() -> None:
    global _pool
    with _lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)
