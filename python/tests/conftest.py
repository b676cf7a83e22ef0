"""Shared helpers: the repository's paths, the `creditsim` command (built
when missing), and running it on Arrow data written as Parquet."""

from __future__ import annotations

import csv
import json
import os
import subprocess
from pathlib import Path
from typing import Dict, List, Sequence

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import creditsim

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "fixtures"
REPORT_CSVS = ["balances.csv", "ledger.csv", "statements.csv", "rejections.csv"]
EVENT_COLUMNS = ["time", "account", "event", "plan", "provider", "operation", "task", "credits"]


def _cargo_binary(env: str, relative: str, build: Sequence[str]) -> Path:
    given = os.environ.get(env)
    if given:
        return Path(given)
    path = REPO / relative
    if not path.exists():
        subprocess.run(["cargo", "build", "--quiet", *build], cwd=REPO, check=True)
    return path


@pytest.fixture(scope="session")
def cli() -> Path:
    """The `creditsim` command: $CREDITSIM_CLI, or target/debug/creditsim
    (built if missing)."""
    return _cargo_binary("CREDITSIM_CLI", "target/debug/creditsim", ["--bin", "creditsim"])


@pytest.fixture(scope="session")
def generate() -> Path:
    """The input generator: $CREDITSIM_GENERATE, or
    target/debug/examples/generate (built if missing)."""
    return _cargo_binary(
        "CREDITSIM_GENERATE", "target/debug/examples/generate", ["--example", "generate"]
    )


def read_events_csv(path: Path) -> pa.Table:
    """An events CSV as a table of string columns, as Python's csv module
    reads it. A row with fewer fields than the header is padded with
    empty fields and one with more is cut: the table need only be the
    same for the CLI and the package, which both read it as Arrow."""
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    columns = {name: [] for name in header}
    for row in body:
        row = (row + [""] * len(header))[: len(header)]
        for name, value in zip(header, row):
            columns[name].append(value)
    return pa.table({name: pa.array(values, pa.string()) for name, values in columns.items()})


def run_cli(cli: Path, cwd: Path, args: List[str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(cli), "replay", *args], cwd=cwd, capture_output=True, text=True
    )


def cli_reports(
    cli: Path, workdir: Path, tables: Dict[str, pa.Table], options: List[str]
) -> Dict[str, bytes]:
    """Writes each table as Parquet under its name in `workdir`, runs
    `creditsim replay OPTIONS NAMES --out out` there, and returns the
    bytes of the five reports."""
    for name, table in tables.items():
        pq.write_table(table, workdir / name)
    out = workdir / "out"
    done = run_cli(cli, workdir, [*options, *tables, "--out", str(out)])
    assert done.returncode == 0, done.stderr
    return {f: (out / f).read_bytes() for f in [*REPORT_CSVS, "summary.json"]}


def assert_same_as_cli(reports: creditsim.Reports, files: Dict[str, bytes]) -> None:
    """The package's tables and summary equal the CLI's files read back."""
    for field, file in zip(["balances", "ledger", "statements", "rejections"], REPORT_CSVS):
        expected = creditsim.read_report(files[file])
        got = getattr(reports, field)
        assert got.schema == expected.schema, file
        assert got.equals(expected), f"{file} differs"
    assert reports.summary == json.loads(files["summary.json"])
