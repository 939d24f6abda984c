"""Scaling of ALS and of the reasons on Spark (local mode). ``make bench-spark``.

Two measurements, each written to a CSV under ``data/bench/`` that the
scaling-out chapter reads (the first lines of each file, starting with
``#``, say the command, the date, the machine and its load):

* ``spark_als_scaling.csv``: for generated ShopSim worlds of growing size
  (600 items, about 33 ratings per user; reviews not written), the time of
  a 10-iteration ALS fit (rank 16) and the marginal seconds per iteration
  (by difference of 2- and 10-iteration fits, medians of ``--repeats``,
  :func:`reclib.spark.time_als`), the driver JVM's peak resident memory
  (``jvm_peak_mb``, at a ``--driver-memory`` heap limit: an upper bound) and
  its live heap after the fits (``heap_live_mb``: the cached ratings and the
  model, after a full garbage collection: a lower bound). Every size gets a
  fresh session (``local[2]``), so each peak is that size's own.
* ``spark_reasons.csv``: template reasons (with the guard) for the top-K
  lists of every user of the default world, through ``mapInPandas``, for
  growing K: reasons per second, against the same generator and guard in
  one Python process on a sample of the pairs.

Times on a shared machine are noisy: each row records the 1-minute load
average when it was measured.
"""
from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from reclib import spark as rs
from reclib.data import load_shopsim, shopsim
from reclib.reasons.guard import guard_reasons
from reclib.reasons.templates import TemplateReasons

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "data" / "bench"
USERS = (2_000, 5_000, 10_000, 30_000, 100_000, 200_000)
KS = (1, 5, 20)


def header(command, extra=""):
    """The comment lines at the top of each CSV."""
    return (f"# command: {command}\n"
            f"# date: {datetime.date.today().isoformat()}; machine: {os.cpu_count()} cores, "
            f"{platform.machine()}, Python {platform.python_version()}; "
            f"Java: {rs.find_java().source} {rs.find_java().version}{extra}\n"
            f"# load_1min: the machine's 1-minute load average when the row was measured\n")


def als_scaling(users, driver_memory, seed, repeats):
    rows = []
    for n_users in users:
        world = shopsim.generate(n_users=n_users, reviews=False, seed=seed)
        ratings = world.ratings
        with rs.spark_session("local[2]", driver_memory=driver_memory) as spark:
            t = rs.time_als(spark, ratings, epochs=(2, 10), repeats=repeats, n_factors=16,
                            l2=0.2, seed=seed)
            mem = rs.process_memory(spark)
        row = dict(n_users=n_users, n_items=world.n_items, n_ratings=t["n_ratings"],
                   seconds_per_iteration=round(t["seconds_per_iteration"], 3),
                   fit_seconds_10=round(t["fit_seconds"], 3),
                   fixed_seconds=round(t["fixed_seconds"], 3),
                   jvm_peak_mb=round(mem["jvm_peak"]), heap_live_mb=round(t["heap_mb"]),
                   python_mb=round(mem["python"]),
                   driver_memory=driver_memory, load_1min=round(os.getloadavg()[0], 2))
        print(row, flush=True)
        rows.append(row)
    return pd.DataFrame(rows)


def reasons_scaling(ks, seed, sample=4_000):
    world = load_shopsim()
    gen = TemplateReasons(seed=seed).fit(world.ratings, items=world.items, users=world.users)
    rows = []
    with rs.spark_session("local[2]", driver_memory="1g") as spark:
        ratings = rs.to_spark(spark, world.ratings).cache()
        model = rs.SparkALS(n_factors=16, l2=0.2, epochs=10, seed=seed).fit(ratings)
        for k in ks:
            recs = model.recommend_all(k=k).cache()
            n = recs.count()
            # warm the workers (imports, the broadcast generator) on a few pairs first
            rs.to_pandas(rs.reasons_at_scale(recs.limit(50), gen))
            start = time.perf_counter()
            out = rs.reasons_at_scale(recs, gen)
            stats = out.selectExpr("count(*) AS n", "sum(length(reason)) AS chars",
                                   "sum(cast(guarded AS int)) AS guarded").first()
            seconds = time.perf_counter() - start
            pairs = rs.to_pandas(recs.select("user_id", "item_id").limit(sample))
            start = time.perf_counter()
            texts = gen.generate(pairs["user_id"].to_numpy(), pairs["item_id"].to_numpy())
            guard_reasons(texts, pairs["user_id"], pairs["item_id"], gen)
            single = len(pairs) / (time.perf_counter() - start)
            mem = rs.process_memory(spark)
            row = dict(k=k, n_pairs=int(n), seconds=round(seconds, 3),
                       reasons_per_second=round(stats["n"] / seconds, 1),
                       single_process_per_second=round(single, 1),
                       guarded=int(stats["guarded"]), workers_mb=round(mem["workers"]),
                       jvm_peak_mb=round(mem["jvm_peak"]),
                       load_1min=round(os.getloadavg()[0], 2))
            print(row, flush=True)
            rows.append(row)
            recs.unpersist()
    return pd.DataFrame(rows)


def write(df, path, command):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as f:
        f.write(header(command))
        df.to_csv(f, index=False, lineterminator="\n")
    print(f"wrote {path}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--users", type=int, nargs="+", default=list(USERS))
    ap.add_argument("--ks", type=int, nargs="+", default=list(KS))
    ap.add_argument("--driver-memory", default="4g")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--only", choices=("als", "reasons"))
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    given = sys.argv[1:] if argv is None else list(argv)
    command = " ".join(["python tools/bench_spark.py", *given])
    if args.only in (None, "als"):
        write(als_scaling(args.users, args.driver_memory, args.seed, args.repeats),
              args.out / "spark_als_scaling.csv", command)
    if args.only in (None, "reasons"):
        write(reasons_scaling(args.ks, args.seed), args.out / "spark_reasons.csv", command)


if __name__ == "__main__":
    main()
