"""The archive walks' shared parts: the breadth-first walk and the half-open date window."""

from datetime import datetime, timezone

import pytest

from pipeline.archives.walk import in_window, walk_links

UTC = timezone.utc
DAY = datetime(2024, 3, 3, tzinfo=UTC)
NEXT = datetime(2024, 3, 4, tzinfo=UTC)


@pytest.mark.parametrize(
    ("when", "start", "end", "undated", "expected"),
    [
        (datetime(2024, 3, 3, 12, tzinfo=UTC), DAY, NEXT, False, True),
        (DAY, DAY, NEXT, False, True),          # start is inside
        (NEXT, DAY, NEXT, False, False),        # end is not
        (datetime(2024, 3, 2, 23, 59, tzinfo=UTC), DAY, NEXT, False, False),
        (datetime(1999, 1, 1, tzinfo=UTC), None, NEXT, False, True),   # open start
        (None, DAY, NEXT, False, False),        # undated: not unless asked
        (None, DAY, NEXT, True, True),
    ],
)
def test_archives_window_is_half_open(when, start, end, undated, expected):
    assert in_window(when, start, end, include_undated=undated) is expected


class _Unreadable(Exception):
    pass


def _reader(graph: dict[str, list[str]], broken: set[str] = frozenset()):
    """`read` over an in-memory graph: a document's items are its own name, its links the graph's."""
    reads: list[str] = []

    def read(url: str):
        reads.append(url)
        if url in broken:
            raise _Unreadable(f"{url} is broken")
        return [url], graph.get(url, [])

    return read, reads


def test_archives_walk_is_breadth_first_and_reads_each_document_once():
    graph = {"root": ["a", "b"], "a": ["c", "root"], "b": ["c", "a"], "c": ["root"]}
    read, reads = _reader(graph)
    assert list(walk_links("root", read, limit=10, what="page", failures=(_Unreadable,))) == ["root", "a", "b", "c"]
    assert reads == ["root", "a", "b", "c"]  # loops and shared children read once


def test_archives_walk_skips_a_broken_child_and_stops_at_its_limit(caplog):
    read, reads = _reader({"root": ["bad", "a"], "a": ["b"], "b": ["c"]}, broken={"bad"})
    skipped: list[tuple[str, str]] = []
    items = list(walk_links("root", read, limit=3, what="page", failures=(_Unreadable,), skipped=skipped))
    assert items == ["root", "a"] and skipped == [("bad", "bad is broken")]
    assert reads == ["root", "bad", "a"]  # three documents: the limit
    assert "page walk from root stopped after 3 documents" in caplog.text


def test_archives_walk_raises_when_the_root_fails_and_a_child_fails_alone_whatever_it_raises():
    read, _reads = _reader({}, broken={"root"})
    with pytest.raises(_Unreadable):
        list(walk_links("root", read, limit=5, what="page", failures=(_Unreadable,)))

    def read_other(url: str):
        if url == "root":
            return [], ["child"]
        raise KeyError(url)  # not one of the expected failures: a bug, still this child's alone

    skipped: list[tuple[str, str]] = []
    assert list(walk_links("root", read_other, limit=5, what="page", failures=(_Unreadable,), skipped=skipped)) == []
    assert skipped == [("child", "KeyError: 'child'")]
