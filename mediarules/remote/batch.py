"""Many URLs at once, results in input order.

The work is on a pool of ``concurrency`` threads, each file's requests made by httpx's
synchronous client: httpx's asyncio client costs twice the CPU per request (about 1 ms
against 0.45 ms, measured on 127.0.0.1), which at 64 files in flight is the difference
between keeping up with the network and not. :func:`fetch_each` streams the results of an
iterable of any length (at most ``4 x concurrency`` started ahead); :func:`fetch_all_async`
is the same for asyncio callers (a limit by ``asyncio.Semaphore``, ``gather`` keeps the
order), and :func:`fetch_all` the list at once.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

from mediarules.remote.fetch import Fetcher
from mediarules.remote.options import FetchOptions
from mediarules.remote.results import RemoteResult

__all__ = ["fetch_all", "fetch_all_async", "fetch_each"]

AHEAD = 4
"""Files started per worker before the first result is handed out (a bounded window)."""


def fetch_each(
    urls: Iterable[str],
    options: FetchOptions | None = None,
    *,
    fetcher: Fetcher | None = None,
) -> Iterator[RemoteResult]:
    """The result of each URL, in input order, as soon as it and those before it are done."""
    options = (fetcher.options if fetcher is not None else options) or FetchOptions()
    own = fetcher is None
    active = fetcher if fetcher is not None else Fetcher(options)
    if options.concurrency == 1:  # no threads for one at a time
        try:
            yield from map(active.inspect, urls)
        finally:
            if own:
                active.close()
        return
    pool = ThreadPoolExecutor(options.concurrency, thread_name_prefix="mediarules-fetch")
    pending: deque[Future[RemoteResult]] = deque()
    try:
        for url in urls:
            pending.append(pool.submit(active.inspect, url))
            if len(pending) >= options.concurrency * AHEAD:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:  # also when the caller stops early: drop what has not started
        pool.shutdown(wait=True, cancel_futures=True)
        if own:
            active.close()


def fetch_all(urls: Iterable[str], options: FetchOptions | None = None) -> list[RemoteResult]:
    """Every URL's result, in input order."""
    return list(fetch_each(urls, options))


async def fetch_all_async(
    urls: Sequence[str],
    options: FetchOptions | None = None,
    *,
    on_done: Callable[[RemoteResult], None] | None = None,
) -> list[RemoteResult]:
    """:func:`fetch_all` for a caller inside an event loop (a web service): the loop is never
    blocked; ``on_done`` is called in the loop as each file finishes (a progress bar)."""
    options = options or FetchOptions()
    loop = asyncio.get_running_loop()
    limit = asyncio.Semaphore(options.concurrency)
    pool = ThreadPoolExecutor(options.concurrency, thread_name_prefix="mediarules-fetch")
    fetcher = Fetcher(options)

    async def one(url: str) -> RemoteResult:
        async with limit:
            result = await loop.run_in_executor(pool, fetcher.inspect, url)
        if on_done is not None:
            on_done(result)
        return result

    try:
        return list(await asyncio.gather(*(one(url) for url in urls)))
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
        await loop.run_in_executor(None, fetcher.close)
