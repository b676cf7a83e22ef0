"""creditsim: the credit accounting and billing replay of an AI music API, on
Arrow data.

``creditsim.replay`` takes usage events as a pyarrow Table or
RecordBatchReader, or anything with the Arrow C stream interface
(``__arrow_c_stream__``: a Polars DataFrame, a DuckDB result), replays them
through the Rust crate ``creditsim`` (the same engine and rules as the
``creditsim replay`` command) and returns its reports:

>>> import pyarrow as pa, creditsim
>>> events = pa.table({
...     "time": ["2025-07-01T00:00:00Z", "2025-07-02T00:00:00Z"],
...     "account": ["pat", "pat"],
...     "event": ["subscribe", "call"],
...     "plan": ["basic", ""],
...     "provider": ["", "lyrics"],
...     "operation": ["", "make"],
...     "task": ["", "t1"],
... })
>>> reports = creditsim.replay(events, plans="fixtures/plans.example.csv")  # doctest: +SKIP
>>> reports.balances.column("credits").to_pylist()  # doctest: +SKIP
['998']

The event columns are those of an events CSV (``time``, ``account``,
``event`` required; ``plan``, ``provider``, ``operation``, ``task``,
``credits`` optional; others ignored), read as a Parquet file's: strings
(a null is an empty field), ``credits`` also integers, ``time`` also a
timestamp with a time zone. Rows are numbered from 1 in messages and in
the ``line`` column of ``rejections``.
"""

from __future__ import annotations

import datetime as _datetime
import json as _json
import os as _os
from typing import Any, Dict, Mapping, NamedTuple, Optional, Sequence, Union

import pyarrow as _pa
import pyarrow.csv as _csv

from ._creditsim import ReplayError, replay_bytes as _replay_bytes

__all__ = ["replay", "Reports", "ReplayError", "read_report"]


class Reports(NamedTuple):
    """The reports of a replay, as ``creditsim replay --out DIR`` writes
    them (RULES.md section 8): four tables and the summary.

    Every column of the tables is a string column holding the CSV cell
    exactly as the file has it (``"998"``, ``"8.00"``, ``""``), so that
    nothing is lost or reformatted; cast with pyarrow.compute or your
    dataframe library as needed.
    """

    balances: _pa.Table
    """balances.csv: one row per account, sorted by account."""
    ledger: _pa.Table
    """ledger.csv: every ledger entry, in replay order."""
    statements: _pa.Table
    """statements.csv: one row per account and billing cycle."""
    rejections: _pa.Table
    """rejections.csv: every rejected row, in replay order."""
    summary: Dict[str, Any]
    """summary.json, parsed."""


def read_report(data: bytes) -> _pa.Table:
    """Reads the bytes of a report CSV (as written by ``creditsim replay``)
    as a Table of string columns, each cell exactly as written, an empty
    cell as ``""`` (never null). ``replay`` uses it; tests use it on the
    CLI's files."""
    end = data.find(b"\n")
    header = (data if end < 0 else data[:end]).decode("utf-8")
    names = header.split(",")
    if end < 0 or end + 1 == len(data):
        return _pa.table({name: _pa.array([], _pa.string()) for name in names})
    # Without a quote anywhere no cell holds a line break, and pyarrow
    # reads the blocks in parallel.
    quoted = b'"' in data
    return _csv.read_csv(
        _pa.py_buffer(data),
        read_options=_csv.ReadOptions(column_names=names, skip_rows=1),
        parse_options=_csv.ParseOptions(newlines_in_values=quoted),
        convert_options=_csv.ConvertOptions(
            column_types={name: _pa.string() for name in names},
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )


Events = Any
"""A pyarrow Table or RecordBatchReader, or an object with
``__arrow_c_stream__``."""


def _as_of_text(as_of: Union[None, str, _datetime.date, _datetime.datetime]) -> Optional[str]:
    if as_of is None or isinstance(as_of, str):
        return as_of
    if isinstance(as_of, _datetime.datetime):
        if as_of.tzinfo is None or as_of.utcoffset() is None:
            raise ValueError(
                f"as_of {as_of.isoformat()} has no time zone, so it names no instant"
            )
        return as_of.isoformat()
    if isinstance(as_of, _datetime.date):
        return as_of.isoformat()
    raise TypeError(f"as_of must be a str, datetime or date, not {type(as_of).__name__}")


def _streams(
    events: Union[Events, Sequence[Events], Mapping[str, Events]], name: str
) -> list:
    if isinstance(events, Mapping):
        return [(str(key), value) for key, value in events.items()]
    if isinstance(events, (list, tuple)):
        return [(f"{name}{i}", value) for i, value in enumerate(events, start=1)]
    return [(name, events)]


def replay(
    events: Union[Events, Sequence[Events], Mapping[str, Events]],
    plans: Union[str, "_os.PathLike[str]"],
    rules: Union[None, str, "_os.PathLike[str]"] = None,
    as_of: Union[None, str, _datetime.date, _datetime.datetime] = None,
    task_window: str = "24h",
    keep_going: bool = False,
    *,
    name: str = "events",
) -> Reports:
    """Replays usage events and returns the reports of ``creditsim replay``.

    events
        A pyarrow Table or RecordBatchReader, or any object with the Arrow C
        stream interface (``__arrow_c_stream__``: a Polars DataFrame, a
        DuckDB relation). Batches are read one at a time in Rust; no row
        passes through Python. Several streams, each in time order, are
        merged by time as the CLI merges several files: give a dict
        ``{name: stream}`` (the names stand for the streams in messages and
        in ``rejections.file``) or a list (named ``events1``, ``events2``...).
    plans, rules
        Paths of the plans CSV and of a rule book CSV (``--plans``,
        ``--rules``); without rules, the built-in rule book.
    as_of
        ``--as-of``: an RFC 3339 time with an offset, a date (its midnight
        UTC), or a datetime with a time zone. Default: the latest time of
        the well-formed, in-order rows.
    task_window
        ``--task-window``: a whole number with s, m, h or d.
    keep_going
        ``--keep-going``: turn malformed and out-of-order rows into
        rejections instead of stopping.
    name
        What a single stream is called in messages and in
        ``rejections.file`` (``events:row 12: ...``).

    Returns the four report tables (string columns, cells as the CSVs hold
    them) and the summary as a dict.

    Raises ``ReplayError`` (a ``ValueError``) for input that stops the run,
    with the message ``creditsim replay`` prints, less its ``error: ``
    prefix (several lines for several bad rows of a plans or rules file);
    ``ValueError`` for an invalid ``as_of`` or ``task_window``; whatever
    pyarrow raises for an object that is no Arrow stream.
    """
    raw = _replay_bytes(
        _streams(events, name),
        _os.fspath(plans),
        None if rules is None else _os.fspath(rules),
        _as_of_text(as_of),
        task_window,
        bool(keep_going),
    )
    balances, ledger, statements, rejections, summary = raw
    return Reports(
        balances=read_report(balances),
        ledger=read_report(ledger),
        statements=read_report(statements),
        rejections=read_report(rejections),
        summary=_json.loads(summary),
    )
