"""creditsim.spark.replay equals `creditsim replay` byte for byte: on every
fixture and on a generated input, with 1, 2 and 7 partitions, with Arrow
batches of 3 rows (accounts straddle them); and it raises the CLI's
messages. Spark runs in local[2] (Java 17 or later needed)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Dict

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import creditsim
from conftest import REPORT_CSVS, cli_reports, read_events_csv
from test_replay import PLANS, SCENARIOS, bad_events, cli_error, fixture_case

pyspark = pytest.importorskip("pyspark")

from creditsim import spark as cspark  # noqa: E402

FILES = [*REPORT_CSVS, "summary.json"]


@pytest.fixture(scope="module")
def spark():
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("creditsim-tests")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture
def tiny_batches(spark):
    spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", "3")
    yield
    spark.conf.unset("spark.sql.execution.arrow.maxRecordsPerBatch")


def frames(spark, workdir: Path, tables: Dict[str, pa.Table]) -> dict:
    """Each table as the DataFrame of a Parquet file of its name."""
    out = {}
    for name, table in tables.items():
        path = workdir / "spark-in" / name
        path.parent.mkdir(exist_ok=True)
        pq.write_table(table, path)
        out[name] = spark.read.parquet(str(path))
    return out


def spark_files(reports: cspark.SparkReports, out: Path) -> Dict[str, bytes]:
    cspark.write_reports(reports, out)
    return {f: (out / f).read_bytes() for f in FILES}


def spark_replay(spark, tmp_path, tables, keywords, partitions) -> Dict[str, bytes]:
    dfs = frames(spark, tmp_path, tables)
    events = dfs if len(dfs) > 1 else next(iter(dfs.values()))
    name = next(iter(tables))
    reports = cspark.replay(events, partitions=partitions, name=name, **keywords)
    return spark_files(reports, tmp_path / f"spark-out-{partitions}")


@pytest.mark.parametrize("partitions", [1, 2, 7])
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_every_fixture_equals_the_cli(scenario, partitions, spark, tiny_batches, cli, tmp_path):
    tables, options, keywords = fixture_case(scenario)
    files = cli_reports(cli, tmp_path, tables, options)
    got = spark_replay(spark, tmp_path, tables, keywords, partitions)
    for f in FILES:
        assert got[f] == files[f], f"{scenario}: {f} differs"


def test_the_dataframes_hold_the_reports(spark, cli, tmp_path):
    tables, options, keywords = fixture_case("keep_going")
    files = cli_reports(cli, tmp_path, tables, options)
    dfs = frames(spark, tmp_path, tables)
    reports = cspark.replay(next(iter(dfs.values())), name=next(iter(tables)), **keywords)
    for field, file in zip(["balances", "ledger", "statements", "rejections"], REPORT_CSVS):
        expected = creditsim.read_report(files[file])
        got = pa.Table.from_pylist(
            [row.asDict() for row in getattr(reports, field).collect()],
            schema=expected.schema,
        )
        assert got.equals(expected), file
    assert reports.summary == creditsim.replay(
        tables[next(iter(tables))], name=next(iter(tables)), **keywords
    ).summary


@pytest.fixture(scope="module")
def generated(generate, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("spark-generated")
    subprocess.run(
        [str(generate), "--accounts", "300", "--rows", "20000", "--seed", "11", "--out", str(folder)],
        check=True,
        capture_output=True,
    )
    return folder


@pytest.mark.parametrize("partitions", [1, 2, 7])
def test_a_generated_input_equals_the_cli(generated, partitions, spark, cli, tmp_path):
    table = read_events_csv(generated / "events.csv")
    plans = str(generated / "plans.csv")
    tables = {"events.parquet": table}
    files = cli_reports(cli, tmp_path, tables, ["--plans", plans])
    spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", "997")
    try:
        got = spark_replay(spark, tmp_path, tables, {"plans": plans}, partitions)
    finally:
        spark.conf.unset("spark.sql.execution.arrow.maxRecordsPerBatch")
    for f in FILES:
        assert got[f] == files[f], f"{f} differs"


def out_of_order_events() -> pa.Table:
    return pa.table(
        {
            "time": [
                "2025-07-01T00:00:00Z",
                "2025-07-03T00:00:00Z",
                "2025-07-02T00:00:00Z",
                "2025-07-04T00:00:00Z",
            ],
            "account": ["pat", "sam", "pat", "pat"],
            "event": ["subscribe", "subscribe", "cancel", "cancel"],
            "plan": ["basic", "basic", "", ""],
        }
    )


@pytest.mark.parametrize("case", ["malformed_row", "out_of_order", "missing_column", "bad_plans"])
def test_bad_input_raises_the_cli_message(case, spark, cli, tmp_path):
    table = out_of_order_events() if case == "out_of_order" else bad_events()
    plans = str(PLANS)
    if case == "missing_column":
        table = table.drop_columns(["account"])
    elif case == "bad_plans":
        plans = str(tmp_path / "plans.csv")
        Path(plans).write_text("plan,price_usd,monthly_credits\nbasic,eight,1000\n")
    message = cli_error(cli, tmp_path, table, ["--plans", plans])
    df = frames(spark, tmp_path, {"events.parquet": table})["events.parquet"]
    with pytest.raises(creditsim.ReplayError) as raised:
        cspark.replay(df, plans, name="events.parquet", partitions=2)
    assert str(raised.value) == message
    if case in ("malformed_row", "out_of_order"):
        tables = {"events.parquet": table}
        files = cli_reports(cli, tmp_path, tables, ["--plans", plans, "--keep-going"])
        got = spark_replay(spark, tmp_path, tables, {"plans": plans, "keep_going": True}, 2)
        assert got == files


def test_an_empty_input_and_a_timestamp_column(spark, cli, tmp_path):
    schema = pa.schema([(c, pa.string()) for c in ["time", "account", "event"]])
    empty = {"events.parquet": schema.empty_table()}
    files = cli_reports(cli, tmp_path, empty, ["--plans", str(PLANS)])
    assert spark_replay(spark, tmp_path, empty, {"plans": str(PLANS)}, 2) == files
    # `time` as a Spark timestamp reads as its text.
    from pyspark.sql import functions as F

    table = out_of_order_events().slice(0, 2)
    df = frames(spark, tmp_path, {"events.parquet": table})["events.parquet"]
    typed = df.withColumn("time", F.to_timestamp("time"))
    as_text = cspark.replay(df, PLANS, name="events.parquet", partitions=2)
    as_time = cspark.replay(typed, PLANS, name="events.parquet", partitions=2)
    assert as_time.summary == as_text.summary
    assert as_time.ledger.collect() == as_text.ledger.collect()
