"""creditsim.replay equals `creditsim replay` byte for byte: on every
fixture, on a generated 100k-row input, whatever the batches; and it
raises the CLI's messages."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Dict, List, Tuple

import pyarrow as pa
import pyarrow.compute as pc
import pytest

import creditsim
from creditsim import _creditsim
from conftest import (
    FIXTURES,
    REPORT_CSVS,
    assert_same_as_cli,
    cli_reports,
    read_events_csv,
    run_cli,
)

PLANS = FIXTURES / "plans.example.csv"
SCENARIOS = sorted(p.parent.name for p in FIXTURES.glob("*/args.txt"))


def fixture_case(scenario: str) -> Tuple[Dict[str, pa.Table], List[str], dict]:
    """A scenario's events as tables named NAME.parquet, the CLI options
    of its args.txt (paths made absolute) and the same as keywords."""
    folder = FIXTURES / scenario
    args = (folder / "args.txt").read_text().split("\n")
    args = [a for a in args if a]
    options: List[str] = []
    keywords: dict = {}
    tables: Dict[str, pa.Table] = {}
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in ("--plans", "--rules", "--as-of", "--task-window"):
            value = args[i + 1]
            if arg in ("--plans", "--rules"):
                value = str((folder / value).resolve())
            options += [arg, value]
            keywords[arg[2:].replace("-", "_")] = value
            i += 2
            continue
        if arg == "--keep-going":
            options.append(arg)
            keywords["keep_going"] = True
        else:
            assert not arg.startswith("-"), f"{scenario}: option {arg} not handled"
            tables[Path(arg).stem + ".parquet"] = read_events_csv(folder / arg)
        i += 1
    return tables, options, keywords


def replay_bytes(events: Dict[str, object], keywords: dict) -> Dict[str, bytes]:
    raw = _creditsim.replay_bytes(
        list(events.items()),
        keywords["plans"],
        keywords.get("rules"),
        keywords.get("as_of"),
        keywords.get("task_window", "24h"),
        keywords.get("keep_going", False),
    )
    return dict(zip([*REPORT_CSVS, "summary.json"], raw))


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_every_fixture_equals_the_cli(scenario, cli, tmp_path):
    tables, options, keywords = fixture_case(scenario)
    files = cli_reports(cli, tmp_path, tables, options)
    assert replay_bytes(tables, keywords) == files
    events = tables if len(tables) > 1 else next(iter(tables.values()))
    name = next(iter(tables))
    reports = creditsim.replay(events, name=name, **keywords)
    assert_same_as_cli(reports, files)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_every_fixture_equals_its_expected_reports(scenario):
    """The reports that name no file or line are those worked out by hand
    for the CSV (fixtures/README.md)."""
    tables, _, keywords = fixture_case(scenario)
    got = replay_bytes(tables, keywords)
    expected = FIXTURES / scenario / "expected"
    for file in ["balances.csv", "ledger.csv", "statements.csv"]:
        assert got[file] == (expected / file).read_bytes(), file
    summary = json.loads(got["summary.json"])
    assert summary == json.loads((expected / "summary.json").read_text())


@pytest.fixture(scope="module")
def generated(generate, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("generated")
    import subprocess

    subprocess.run(
        [str(generate), "--accounts", "5000", "--rows", "100000", "--seed", "7", "--out", str(folder)],
        check=True,
        capture_output=True,
    )
    return folder


def test_a_generated_100k_rows_equals_the_cli(generated, cli, tmp_path):
    table = read_events_csv(generated / "events.csv")
    assert table.num_rows == 100_000
    plans = str(generated / "plans.csv")
    files = cli_reports(cli, tmp_path, {"events.parquet": table}, ["--plans", plans])
    assert replay_bytes({"events.parquet": table}, {"plans": plans}) == files
    assert json.loads(files["summary.json"])["rows"] == 100_000
    # Batches of 777 rows (accounts straddle them), from a Python generator
    # (the reading thread takes the GIL for each batch).
    batches = table.to_batches(max_chunksize=777)
    reader = pa.RecordBatchReader.from_batches(table.schema, (b for b in batches))
    reports = creditsim.replay(reader, plans, name="events.parquet")
    assert_same_as_cli(reports, files)


def test_typed_columns_read_as_their_text(generated):
    """`time` as a timestamp with a time zone and `credits` as integers
    give the reports of the string columns."""
    table = read_events_csv(generated / "events.csv").slice(0, 20_000)
    plans = generated / "plans.csv"
    as_text = creditsim.replay(table, plans)
    time = pc.strptime(table["time"], format="%Y-%m-%dT%H:%M:%SZ", unit="s")
    time = time.cast(pa.timestamp("s", tz="UTC"))
    credits = pc.if_else(pc.equal(table["credits"], ""), None, table["credits"]).cast(pa.int64())
    typed = table.set_column(0, "time", time)
    typed = typed.set_column(typed.schema.get_field_index("credits"), "credits", credits)
    assert creditsim.replay(typed, plans) == as_text


def test_polars_and_duckdb_inputs_work(generated):
    table = read_events_csv(generated / "events.csv").slice(0, 20_000)
    plans = generated / "plans.csv"
    expected = creditsim.replay(table, plans)
    pl = pytest.importorskip("polars")
    assert creditsim.replay(pl.from_arrow(table), plans) == expected
    duckdb = pytest.importorskip("duckdb")
    relation = duckdb.from_arrow(table)
    assert creditsim.replay(relation, plans) == expected


def test_options_and_an_empty_input():
    schema = pa.schema([(c, pa.string()) for c in ["time", "account", "event"]])
    empty = creditsim.replay(schema.empty_table(), PLANS)
    assert empty.ledger.num_rows == 0
    assert empty.ledger.column_names[:3] == ["time", "account", "entry"]
    assert empty.summary["rows"] == 0
    events = pa.table(
        {
            "time": ["2025-07-01T00:00:00Z", "2025-07-02T00:00:00Z"],
            "account": ["a,\"b\"\nc", "a,\"b\"\nc"],
            "event": ["subscribe", "call"],
            "plan": ["basic", None],
            "provider": [None, "lyrics"],
            "operation": [None, "make"],
            "task": [None, "t1"],
        }
    )
    reports = creditsim.replay(events, PLANS, as_of=datetime.date(2025, 7, 15))
    # A cell with a comma, quotes and a line break comes back as it was.
    assert reports.balances.column("account").to_pylist() == ["a,\"b\"\nc"]
    assert reports.balances.column("credits").to_pylist() == ["998"]
    later = creditsim.replay(
        events, PLANS, as_of=datetime.datetime(2025, 7, 15, tzinfo=datetime.timezone.utc)
    )
    assert later == reports
    assert creditsim.replay(events, PLANS, as_of="2025-07-15") == reports
    with pytest.raises(ValueError, match="no time zone"):
        creditsim.replay(events, PLANS, as_of=datetime.datetime(2025, 7, 15))
    with pytest.raises(ValueError, match="task_window"):
        creditsim.replay(events, PLANS, task_window="1.5h")
    with pytest.raises(ValueError, match="as_of"):
        creditsim.replay(events, PLANS, as_of="July")


def bad_events() -> pa.Table:
    return pa.table(
        {
            "time": ["2025-07-01T00:00:00Z", "2025-07-01T10:00:00", "2025-07-02T00:00:00Z"],
            "account": ["pat", "pat", "pat"],
            "event": ["subscribe", "call", "cancel"],
            "plan": ["basic", "", ""],
            "provider": ["", "suno", ""],
            "operation": ["", "create", ""],
            "task": ["", "q1", ""],
        }
    )


def cli_error(cli: Path, tmp_path: Path, table: pa.Table, options: List[str]) -> str:
    """The CLI's message for `table` as events.parquet, less `error: `."""
    import pyarrow.parquet as pq

    pq.write_table(table, tmp_path / "events.parquet")
    done = run_cli(cli, tmp_path, [*options, "events.parquet", "--out", "out"])
    assert done.returncode == 2, done.stderr
    lines = done.stderr.rstrip("\n").split("\n")
    assert all(line.startswith("error: ") for line in lines), done.stderr
    return "\n".join(line[len("error: ") :] for line in lines)


@pytest.mark.parametrize(
    "case",
    ["malformed_row", "missing_column", "wrong_type", "missing_plans", "bad_plans"],
)
def test_bad_input_raises_the_cli_message(case, cli, tmp_path):
    table = bad_events()
    plans = str(PLANS)
    if case == "missing_column":
        table = table.drop_columns(["account"])
    elif case == "wrong_type":
        table = table.append_column("credits", pa.array([1.5, 2.0, 3.0]))
    elif case == "missing_plans":
        plans = str(tmp_path / "no-such-plans.csv")
    elif case == "bad_plans":
        plans = str(tmp_path / "plans.csv")
        Path(plans).write_text("plan,price_usd,monthly_credits\nbasic,eight,1000\npro,30.00,-5\n")
    message = cli_error(cli, tmp_path, table, ["--plans", plans])
    with pytest.raises(creditsim.ReplayError) as raised:
        creditsim.replay(table, plans, name="events.parquet")
    assert str(raised.value) == message
    assert isinstance(raised.value, ValueError)
    if case == "malformed_row":
        assert message.startswith("events.parquet:row 2: invalid time")
        kept = creditsim.replay(table, plans, keep_going=True, name="events.parquet")
        assert kept.rejections.column("line").to_pylist() == ["2"]


def test_something_that_is_no_arrow_stream_is_refused():
    with pytest.raises(Exception):
        creditsim.replay([1, 2, 3], PLANS)
