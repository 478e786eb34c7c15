"""The worker processes of ``qualify --jobs``: what Python's garbage collector does in each.

A worker freezes what it starts with (the loaded rules, the modules), so
that its collections never walk those objects again; the process that
starts the workers keeps its collector as it was, a freeze of its own
included.
"""

from __future__ import annotations

import gc
from typing import Any

from leadspec.cli._pool import Pool


def _nothing() -> None:
    return None


def _frozen(unit: Any) -> int:
    return gc.get_freeze_count()


def test_a_worker_freezes_what_it_starts_with() -> None:
    pool = Pool(2, _nothing, (), _frozen)
    try:
        for number in range(2):
            assert pool.submit(number, ("unit", number))
        replies = [pool.result(number) for number in range(2)]
    finally:
        pool.close()
    assert [reply[0] for reply in replies] == ["done", "done"]
    assert all(reply[1] > 1000 for reply in replies), replies  # the interpreter and leadspec: thousands of objects


def test_starting_workers_leaves_the_callers_collector_as_it_was() -> None:
    # Found by review: the pool froze this process's objects before forking and unfroze them all after, which
    # undid a freeze the caller had made (what docs/python-api.md suggests to a service with large rule files)
    gc.freeze()
    try:
        before = gc.get_freeze_count()
        assert before > 0
        Pool(2, _nothing, (), _frozen).close()
        assert gc.get_freeze_count() == before
    finally:
        gc.unfreeze()
