"""Type stubs of the creditsim package (see __init__.py for the docs)."""

import datetime
import os
from typing import Any, Dict, Mapping, NamedTuple, Protocol, Sequence, Union

import pyarrow

class ArrowStreamExportable(Protocol):
    """Anything with the Arrow C stream interface (Polars, DuckDB, pyarrow)."""

    def __arrow_c_stream__(self, requested_schema: object = ...) -> object: ...

Events = Union[pyarrow.Table, pyarrow.RecordBatchReader, ArrowStreamExportable]

class ReplayError(ValueError):
    """Input that stops a replay, with the message `creditsim replay` prints
    (without its `error: ` prefix)."""

class Reports(NamedTuple):
    """The reports of `creditsim replay --out DIR`: four tables of string
    columns (cells as the CSV files hold them) and summary.json as a dict."""

    balances: pyarrow.Table
    ledger: pyarrow.Table
    statements: pyarrow.Table
    rejections: pyarrow.Table
    summary: Dict[str, Any]

def read_report(data: bytes) -> pyarrow.Table:
    """A report CSV's bytes as a Table of string columns, cells as written."""

def replay(
    events: Union[Events, Sequence[Events], Mapping[str, Events]],
    plans: Union[str, os.PathLike[str]],
    rules: Union[None, str, os.PathLike[str]] = None,
    as_of: Union[None, str, datetime.date, datetime.datetime] = None,
    task_window: str = "24h",
    keep_going: bool = False,
    *,
    name: str = "events",
) -> Reports:
    """Replays usage events (Arrow data) and returns the reports of
    `creditsim replay`; raises ReplayError with the CLI's message."""
