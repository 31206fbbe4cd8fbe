"""The resilience table: each fault or attack test records what it ran and what it found; the terminal summary
prints one row per fault or attack (runs, lost, duplicated, failed checks). The root conftest loads this plugin,
so any test may take the `report` fixture; the guards below keep one table and one count per test."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest


@dataclass
class Row:
    """What one test found about one fault or attack. `runs` counts the operations driven through it."""

    name: str
    runs: int = 0
    lost: int = 0
    duplicated: int = 0
    failed: int = 0  # failed checks: set to 1 when the test itself fails


_ROWS: dict[str, list[Row]] = {}  # test node id -> its rows
_printed = {"done": False}


class Recorder:
    def __init__(self, nodeid: str) -> None:
        self.nodeid = nodeid

    def row(self, name: str) -> Row:
        found = Row(name)
        _ROWS.setdefault(self.nodeid, []).append(found)
        return found


@pytest.fixture
def report(request: pytest.FixtureRequest) -> Iterator[Recorder]:
    yield Recorder(request.node.nodeid)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: Any) -> Iterator[None]:
    outcome = yield
    result = outcome.get_result()
    if result.failed:
        for row in _ROWS.get(item.nodeid, []):
            row.failed = 1  # assignment, not +=: the hook may be loaded from two conftest files


def table() -> list[tuple[str, int, int, int, int]]:
    merged: dict[str, list[int]] = {}
    for rows in _ROWS.values():
        for row in rows:
            total = merged.setdefault(row.name, [0, 0, 0, 0])
            for i, value in enumerate((row.runs, row.lost, row.duplicated, row.failed)):
                total[i] += value
    rows = [(name, *values) for name, values in merged.items()]
    return sorted(rows, key=lambda row: (not row[0][0].isdigit(), row[0]))  # type: ignore[return-value]


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _printed["done"] or not _ROWS:
        return
    _printed["done"] = True
    rows = table()
    width = max(len("fault or attack"), *(len(name) for name, *_ in rows))
    write = terminalreporter.write_line
    terminalreporter.section("resilience")
    write(f"{'fault or attack':<{width}}  {'runs':>7}  {'lost':>5}  {'duplicated':>10}  {'failed checks':>13}")
    for name, runs, lost, duplicated, failed in rows:
        write(f"{name:<{width}}  {runs:>7}  {lost:>5}  {duplicated:>10}  {failed:>13}")
