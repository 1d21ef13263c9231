"""ConcurrentFetchFn: the base of the DoFns that download a batch of URLs at once (feeds, pages)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import TypeVar

import apache_beam as beam

from pipelines.fetch import Fetcher
from pipelines.settings import FetchSettings

Item = TypeVar("Item")
Outcome = TypeVar("Outcome")


class ConcurrentFetchFn(beam.DoFn):
    """One `Fetcher` and one pool of `settings.concurrency` threads per DoFn instance.

    The fetcher keeps the per-domain limit across the pool's threads; subclasses call
    `each_as_completed` in `process` to work through a batch in the order its downloads finish.
    """

    def __init__(self, settings: FetchSettings) -> None:
        self._settings = settings
        self._fetcher: Fetcher | None = None
        self._pool: ThreadPoolExecutor | None = None

    def setup(self) -> None:
        self._fetcher = Fetcher(self._settings)
        self._pool = ThreadPoolExecutor(max_workers=self._settings.concurrency)

    def teardown(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)

    def fetcher(self) -> Fetcher:
        """This worker's fetcher (after `setup`; a method, since Beam inspects a DoFn's attributes)."""
        assert self._fetcher is not None, "setup() has not run"
        return self._fetcher

    def each_as_completed(self, items: Iterable[Item],
                          work: Callable[[Item], Outcome]) -> Iterator[tuple[Item, Outcome]]:
        """`(item, work(item))` for every item, in the order the pool finishes them.

        Nothing here holds an outcome once the next one is asked for, so a caller that drops it frees
        it (a page body goes as soon as its page is extracted, while the rest still download).
        """
        assert self._pool is not None, "setup() has not run"
        pending = {self._pool.submit(work, item): item for item in items}
        for future in as_completed(pending):
            yield pending.pop(future), future.result()
