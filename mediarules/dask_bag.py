"""Past one machine: the check mapped over a Dask bag (the extra ``mediarules[dask]``).

A bucket of millions of objects is an engine's job, not a home-made pool's. Each partition
of the bag (URLs, ``s3://`` keys or paths, each its own post) is fetched concurrently within
its worker (threads, ``fetch_options.concurrency`` at a time), then checked; the result is a
bag of ``Report`` s, plain picklable data::

    import dask.bag as db
    from distributed import Client
    from mediarules.dask_bag import check_bag

    client = Client()  # or a cluster's address
    urls = db.from_sequence(keys, npartitions=64)
    reports = check_bag(urls, platforms=["instagram", "x"]).compute()

The rules travel to the workers as the TOML path given (or the defaults), not as objects.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from mediarules.api import check
from mediarules.models import Report
from mediarules.remote import FetchOptions, RemoteResult, fetch_each, is_url

__all__ = ["check_bag", "check_partition"]


@dataclass(frozen=True)
class _Settings:
    platforms: tuple[str, ...]
    caption: str | None
    title: str | None
    account_type: str | None
    rules: str | None
    options: FetchOptions


def check_bag(
    bag: Any,
    *,
    platforms: str | Sequence[str],
    caption: str | None = None,
    title: str | None = None,
    account_type: str | None = None,
    rules: str | os.PathLike[str] | None = None,
    fetch_options: FetchOptions | None = None,
) -> Any:
    """A bag of ``Report`` s, one per entry of ``bag`` (each a post of one file), in order."""
    settings = _Settings(
        platforms=(platforms,) if isinstance(platforms, str) else tuple(platforms),
        caption=caption,
        title=title,
        account_type=account_type,
        rules=os.fspath(rules) if rules is not None else None,
        options=fetch_options or FetchOptions(),
    )
    return bag.map_partitions(check_partition, settings)


def check_partition(entries: Iterable[str], settings: _Settings) -> list[Report]:
    """One partition's reports: its URLs fetched together, then each entry checked."""
    names = list(entries)
    fetched = iter(fetch_each([n for n in names if is_url(n)], settings.options))
    reports = []
    for name in names:
        media: str | RemoteResult = next(fetched) if is_url(name) else name
        reports.append(
            check(
                [media],
                platforms=settings.platforms,
                caption=settings.caption,
                title=settings.title,
                account_type=settings.account_type,
                rules=settings.rules,
            )
        )
    return reports
