"""creditsim.spark: the replay on Apache Spark, for event logs larger than
one machine.

``replay(df, plans, ...)`` gives the reports of ``creditsim replay`` as Spark
DataFrames; ``write_reports(reports, out_dir)`` writes them as the CLI's
files, byte for byte. The rules stay in the Rust crate: every executor runs
the crate's engine (``creditsim._creditsim.PartitionReplay``) over its
partition's stream of Arrow batches with ``mapInArrow``.

How it runs (RULES.md sections 6-8):

1. Each input DataFrame (a dict ``{name: df}`` stands for several files)
   gets its ordering columns: ``_file`` (its place in the dict) and
   ``_line`` (its row number from 1, as ``creditsim replay`` numbers the
   rows of a Parquet file: ``events.parquet:row 12``). Row numbers come from
   the DataFrame's partitions in order, so it must give the same rows in the
   same partitions each time it is read (a Parquet file does; cache a
   DataFrame that would not).
2. ``_ts``, ``_tn``: each row's time (seconds and nanoseconds of UTC), read
   by the crate, null for a malformed row. Out-of-order rows are found as
   the CLI finds them, against the latest well-formed row before them in
   their file: ``_ps``, ``_pn``, ``_pl`` hold its time and row (a window over
   the file by row; the rows of one file are one task there).
3. The merge time ``(_ks, _kn)``: a good row's own time; a malformed or
   out-of-order row takes that of the latest good row before it in its file,
   so that it follows that row, as in the CLI's merge.
4. The as-of time: ``as_of``, or else the latest time of the well-formed
   rows of all inputs, computed first, so that every partition rolls its
   idle accounts over up to the same instant.
5. ``repartition(partitions, "account")``, ``sortWithinPartitions(_ks, _kn,
   _file, _line)``: every account's rows in one partition, in merge order.
   Accounts are independent (section 7), so one engine per partition gives
   each account exactly what the one engine of the CLI gives it.
6. ``mapInArrow``: one engine per partition fed batch by batch (its state
   carries across batch boundaries; no partition is held in memory), which
   returns each report row with its ordering key.
7. The driver sorts: ledger and rejections on the key, balances and
   statements by account; it adds up the summary.

The ordering key of a ledger or rejection row is ``(ks, kn, kk, ka, kf, kl,
seq)``: the time (a roll-over's boundary or a row's merge time), ``kk`` 0
for a roll-over entry and 1 for a row's own entries and rejection, ``ka``
the account of a roll-over, ``(kf, kl)`` the row's file and line, ``seq``
the order in which the partition wrote it. RULES.md section 8 puts, at
equal times, the roll-overs of boundaries at that time first, by account,
then the rows' entries in merge order: that is this key's order. A
partition rolls an account over only when one of its own rows, or the end
of the replay, moves its engine's time past the boundary; the entries are
then written with the boundary's time, so they take the same place in the
sorted ledger as in the CLI's, which rolls over when any account's row
passes the boundary. Within a partition ``seq`` keeps the order of an
account's entries (section 5's order of an expiry, a fee and a grant).

What stops ``creditsim replay`` raises ``creditsim.ReplayError`` with the
CLI's message: the first such row in merge order (``events:row 2: invalid
time ...``), or a missing column, bad plans or rules. With ``keep_going``,
malformed and out-of-order rows are rejections, as with ``--keep-going``.
"""

from __future__ import annotations

import json as _json
import os as _os
from typing import Any, Dict, Iterator, Mapping, NamedTuple, Optional, Union

import pyarrow as _pa

from . import _as_of_text
from ._creditsim import (
    PartitionReplay as _PartitionReplay,
    ReplayError,
    as_of_key as _as_of_key,
    check_schema as _check_schema,
    combine_summaries as _combine_summaries,
)

__all__ = ["replay", "write_reports", "SparkReports", "ReplayError"]

HEADERS = {
    "balances": "account,status,plan,credits,extra_credits,cycle_start,cycle_end",
    "ledger": "time,account,entry,plan,task,extra,subscription,usd,extra_balance,"
    "subscription_balance",
    "statements": "account,cycle_start,cycle_end,plan,fee_usd,granted,purchased,"
    "purchase_usd,used_extra,used_subscription,refunded_extra,refunded_subscription,"
    "expired,calls,songs,lyrics,rejected",
    "rejections": "file,line,time,account,event,reason,detail",
}
"""The header of each report CSV, as ``creditsim replay`` writes it."""

_OUT_SCHEMA = (
    "tag string, ks long, kn long, kk long, ka string, kf long, kl long, seq long, "
    "csv string, fields array<string>"
)
_ROW_KEY = ["ks", "kn", "kk", "ka", "kf", "kl", "seq"]
_ACCOUNT_KEY = ["ka", "seq"]
_MIN = -(2**63)


class SparkReports(NamedTuple):
    """The reports of a Spark replay: four DataFrames of string columns
    (each cell as the CLI's CSV holds it) and the summary as a dict.
    ``records`` holds, per report, the sorted DataFrame of CSV records that
    ``write_reports`` writes; ``summary_json`` the text of summary.json."""

    balances: Any
    """balances.csv, sorted by account."""
    ledger: Any
    """ledger.csv, in RULES.md section 8's order."""
    statements: Any
    """statements.csv, sorted by account, then cycle start."""
    rejections: Any
    """rejections.csv, in merge order."""
    summary: Dict[str, Any]
    """summary.json, parsed."""
    records: Dict[str, Any]
    summary_json: str


def _arrow_schema(df) -> _pa.Schema:
    from pyspark.sql.pandas.types import to_arrow_schema

    # The columns as mapInArrow hands them over (timestamps in the
    # session's time zone).
    timezone = df.sparkSession.conf.get("spark.sql.session.timeZone")
    return to_arrow_schema(df.schema, timezone=timezone)


def _numbered(df, index: int):
    """`df` with `_file` and `_line` (row numbers from 1, partition by
    partition)."""
    from pyspark.sql import functions as F

    marked = df.withColumn("_pid", F.spark_partition_id()).withColumn(
        "_mid", F.monotonically_increasing_id()
    )
    counts = dict(marked.groupBy("_pid").count().collect())
    offsets, total = [], 0
    for pid in range(max(counts, default=-1) + 1):
        offsets.append(total)
        total += counts.get(pid, 0)
    start = F.element_at(F.array(*[F.lit(o) for o in offsets] or [F.lit(0)]), F.col("_pid") + 1)
    line = F.col("_mid") - F.shiftleft(F.col("_pid").cast("long"), 33) + start + 1
    return (
        marked.withColumn("_file", F.lit(index).cast("long"))
        .withColumn("_line", line.cast("long"))
        .drop("_pid", "_mid")
    )


def _with_times(df, plans: str, rules: Optional[str]):
    """`df` with `_ts`, `_tn`: each row's time as the crate reads it."""
    from pyspark.sql.types import LongType, StructField, StructType

    schema = StructType(
        df.schema.fields + [StructField("_ts", LongType()), StructField("_tn", LongType())]
    )

    def times(batches: Iterator[_pa.RecordBatch]) -> Iterator[_pa.RecordBatch]:
        # Imported here: the function is pickled to the executors by value,
        # the extension's classes by name.
        from creditsim._creditsim import RowTimes

        reader = RowTimes(plans, rules)
        for batch in batches:
            added = reader.times(batch)
            yield _pa.RecordBatch.from_arrays(
                batch.columns + added.columns, names=batch.schema.names + ["_ts", "_tn"]
            )

    return df.mapInArrow(times, schema)


def replay(
    df: Union[Any, Mapping[str, Any]],
    plans: Union[str, "_os.PathLike[str]"],
    rules: Union[None, str, "_os.PathLike[str]"] = None,
    as_of: Any = None,
    task_window: str = "24h",
    keep_going: bool = False,
    partitions: Optional[int] = None,
    *,
    name: str = "events",
) -> SparkReports:
    """Replays a Spark DataFrame of usage events into the reports of
    ``creditsim replay``.

    df
        A DataFrame with the columns of an events file (section 6: strings,
        ``credits`` also integers, ``time`` also a timestamp), in file order;
        or a dict ``{name: DataFrame}`` for several files, merged by time.
    plans, rules
        Paths of the plans and rule book CSVs; they are read on the driver
        and on every executor, so they must be at that path there.
    as_of, task_window, keep_going
        As for ``creditsim.replay``.
    partitions
        Partitions of the replay (by account). Default:
        ``spark.sql.shuffle.partitions``.
    name
        What a single DataFrame is called in messages and in
        ``rejections.file``.

    Raises ``ReplayError`` with the CLI's message for input that stops the
    run, ``ValueError`` for an invalid ``as_of`` or ``task_window``.
    """
    from pyspark.sql import functions as F
    from pyspark.sql.window import Window

    inputs = list(df.items()) if isinstance(df, Mapping) else [(name, df)]
    names = [str(n) for n, _ in inputs]
    plans = _os.fspath(plans)
    rules = None if rules is None else _os.fspath(rules)
    as_of_text = _as_of_text(as_of)
    given_as_of = None if as_of_text is None else tuple(_as_of_key(as_of_text))
    # Plans, rules and the task window are checked here, before any job.
    _PartitionReplay(names, plans, rules, given_as_of, task_window, bool(keep_going))
    for stream_name, frame in inputs:
        schema = _arrow_schema(frame)
        empty = _pa.record_batch([_pa.array([], f.type) for f in schema], schema=schema)
        _check_schema(stream_name, empty)
    spark = inputs[0][1].sparkSession
    if partitions is None:
        partitions = int(spark.conf.get("spark.sql.shuffle.partitions"))

    timed = None
    for index, (_, frame) in enumerate(inputs):
        part = _with_times(_numbered(frame, index), plans, rules)
        timed = part if timed is None else timed.unionByName(part, allowMissingColumns=True)

    by_file = Window.partitionBy("_file").orderBy("_line").rowsBetween(
        Window.unboundedPreceding, -1
    )
    good = F.col("_ts").isNotNull()
    previous = F.max(F.when(good, F.struct("_ts", "_tn", "_line"))).over(by_file)
    rows = timed.withColumn("_prev", previous).select(
        "*",
        F.col("_prev._ts").alias("_ps"),
        F.col("_prev._tn").alias("_pn"),
        F.col("_prev._line").alias("_pl"),
    )
    in_order = good & (
        F.col("_ps").isNull() | (F.struct("_ts", "_tn") >= F.struct("_ps", "_pn"))
    )
    rows = (
        rows.withColumn("_ks", F.when(in_order, F.col("_ts")).otherwise(F.coalesce("_ps", F.lit(_MIN))))
        .withColumn("_kn", F.when(in_order, F.col("_tn")).otherwise(F.coalesce("_pn", F.lit(0))))
        .drop("_prev")
        .persist()
    )
    try:
        if given_as_of is None:
            latest = rows.where(good).agg(F.max(F.struct("_ts", "_tn")).alias("m")).first()["m"]
            end = None if latest is None else (latest["_ts"], latest["_tn"])
        else:
            end = given_as_of

        going = bool(keep_going)

        def run(batches: Iterator[_pa.RecordBatch]) -> Iterator[_pa.RecordBatch]:
            from creditsim._creditsim import PartitionReplay

            engine = PartitionReplay(names, plans, rules, end, task_window, going)
            for batch in batches:
                out = engine.feed(batch)
                if out.num_rows:
                    yield out
            yield engine.finish()

        out = (
            rows.repartition(partitions, "account")
            .sortWithinPartitions("_ks", "_kn", "_file", "_line")
            .mapInArrow(run, _OUT_SCHEMA)
            .persist()
        )
        out.count()
    finally:
        rows.unpersist()

    error = out.where(F.col("tag") == "error").orderBy(*_ROW_KEY).select("csv").first()
    if error is not None:
        out.unpersist()
        raise ReplayError(error["csv"])
    parts = [r["csv"] for r in out.where(F.col("tag") == "summary").select("csv").collect()]
    accounts = out.where(F.col("tag") == "balances").count()
    summary_json = _combine_summaries(parts, accounts)

    records: Dict[str, Any] = {}
    tables: Dict[str, Any] = {}
    for report, header in HEADERS.items():
        key = _ROW_KEY if report in ("ledger", "rejections") else _ACCOUNT_KEY
        sorted_rows = out.where(F.col("tag") == report).orderBy(*key)
        records[report] = sorted_rows.select("csv")
        columns = header.split(",")
        tables[report] = sorted_rows.select(
            *[F.col("fields")[i].alias(c) for i, c in enumerate(columns)]
        )
    return SparkReports(
        balances=tables["balances"],
        ledger=tables["ledger"],
        statements=tables["statements"],
        rejections=tables["rejections"],
        summary=_json.loads(summary_json),
        records=records,
        summary_json=summary_json,
    )


def write_reports(reports: SparkReports, out_dir: Union[str, "_os.PathLike[str]"]) -> None:
    """Writes balances.csv, ledger.csv, statements.csv, rejections.csv and
    summary.json into ``out_dir`` (created if missing), byte-identical to
    ``creditsim replay --out DIR``'s files. The rows come to the driver one
    partition at a time (``toLocalIterator``)."""
    folder = _os.fspath(out_dir)
    _os.makedirs(folder, exist_ok=True)
    for report, header in HEADERS.items():
        with open(_os.path.join(folder, f"{report}.csv"), "w", encoding="utf-8", newline="") as f:
            f.write(header + "\n")
            for row in reports.records[report].toLocalIterator():
                f.write(row["csv"])
    with open(_os.path.join(folder, "summary.json"), "w", encoding="utf-8", newline="") as f:
        f.write(reports.summary_json)
