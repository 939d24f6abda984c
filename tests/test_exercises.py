"""Exercises, solutions, checks and the student edition, for every notebook in chapters/.

- every exercise has a solution (same label, labels unique in the book);
- every solution's code asserts something, unless the exercise is listed in
  OPEN below with the reason, and then the solution carries a model answer in
  prose;
- every exercise is classified in reclib.exercises (CHECKS or NOT_CHECKABLE),
  and the solution of a checkable one calls its check (so nbval runs the check
  on the chapter's own answer);
- each check accepts the right answer and rejects at least one wrong answer;
- the student edition (built here from the notebooks in a tmp dir, and the
  HTML of ``make student`` when _build/student/html exists) holds no solution
  code or prose.

New chapters are picked up by the glob; their exercises must be classified in
reclib/exercises.py.
"""
import ast
import html
import importlib.util
import math
import os
import re
from pathlib import Path

import nbformat
import numpy as np
import pytest

from reclib import exercises as ex

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p for p in (ROOT / "chapters").rglob("*.ipynb")
                   if ".ipynb_checkpoints" not in p.parts)

_spec = importlib.util.spec_from_file_location("student_tool", ROOT / "tools" / "student.py")
student = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(student)

# Open-ended exercises whose solution is a model answer in prose, not code that
# asserts: {label: why no assert}. Empty today: every solution asserts.
OPEN = {}


def solutions(path):
    removed = {}
    nb = nbformat.read(path, as_version=4)
    student.student_notebook(nb, ex.CHECKS, removed=removed)
    return nb, removed


def has_assert(code):
    try:
        tree = ast.parse(code)
    except SyntaxError:                       # IPython magics: fall back to text
        return re.search(r"^\s*assert\b", code, re.M) is not None
    return any(isinstance(n, ast.Assert) for n in ast.walk(tree))


ALL = {p.name: solutions(p) for p in NOTEBOOKS}


def all_labels():
    return [label for nb, _ in ALL.values() for label in student.exercises_of(nb)]


@pytest.mark.parametrize("name", list(ALL))
def test_every_exercise_has_a_solution(name):
    nb, removed = ALL[name]
    labels = student.exercises_of(nb)
    assert None not in labels, f"{name}: an exercise without a :label:"
    missing = [l for l in labels if l not in removed]
    assert not missing, f"{name}: exercises without a solution: {missing}"
    orphans = [l for l in removed if l not in labels]
    assert not orphans, f"{name}: solutions without an exercise: {orphans}"


def test_labels_are_unique_in_the_book():
    labels = all_labels()
    assert len(labels) == len(set(labels)), sorted(l for l in labels if labels.count(l) > 1)


@pytest.mark.parametrize("name", list(ALL))
def test_every_solution_asserts_or_is_an_explained_open_question(name):
    _, removed = ALL[name]
    for label, sol in removed.items():
        code = "\n".join(sol["code"])
        if label in OPEN:
            assert OPEN[label].strip(), f"{label}: the exemption needs its reason"
            assert len(sol["prose"].split()) >= 20, f"{label}: an open question needs a model answer"
        else:
            assert has_assert(code), f"{name} {label}: the solution asserts nothing"


@pytest.mark.parametrize("name", list(ALL))
def test_every_exercise_is_classified_and_checkable_ones_are_checked(name):
    nb, removed = ALL[name]
    for label in student.exercises_of(nb):
        assert (label in ex.CHECKS) != (label in ex.NOT_CHECKABLE), \
            f"{label}: put it in reclib.exercises.CHECKS or NOT_CHECKABLE (with the reason)"
        if label in ex.NOT_CHECKABLE:
            assert len(ex.NOT_CHECKABLE[label]) > 10
        else:
            code = "\n".join(removed[label]["code"])
            assert re.search(rf"check\(\s*[\"']{re.escape(label)}[\"']", code), \
                f"{label}: the solution should call check({label!r}, ...) on its answer"


def test_every_classified_label_is_an_exercise():
    labels = set(all_labels())
    assert set(ex.CHECKS) <= labels, sorted(set(ex.CHECKS) - labels)
    assert set(ex.NOT_CHECKABLE) <= labels, sorted(set(ex.NOT_CHECKABLE) - labels)


# ------------------------------------------------------------ the checks themselves

THETA = np.array([1.0, 0.5, -0.5, -1.0])   # the toy of chapter 5, section 5.7
REWARD = np.array([1.0, 0.0, 0.5, 3.0])


def _ch01_mf_sizes():
    from reclib.models.mf import MF
    w = ex.world()
    return MF(n_factors=16).build(w.n_users, w.n_items, 3.0).count_params()


def _ch01_ex3():
    from reclib.data.splits import random_split
    from reclib.metrics.rating import rmse
    from reclib.models.baselines import Biases
    from reclib.models.mf import MF
    w = ex.world()
    train, test = random_split(w.ratings, test_fraction=0.2, seed=42)
    u, i, y = test["user_id"], test["item_id"], test["rating"]
    small = MF(n_factors=2, seed=42).fit(train, items=w.items, users=w.users)
    biases = Biases().fit(train, items=w.items, users=w.users)
    return (rmse(y, small.predict(u, i)), rmse(y, biases.predict(u, i)),
            rmse(train["rating"], small.predict(train["user_id"], train["item_id"])))


def _ch02_unseen():
    import keras
    from reclib.data.splits import leave_last_out, temporal_split

    def share(tr, te):                       # the chapter's way: an IntegerLookup
        lookup = keras.layers.IntegerLookup()
        lookup.adapt(tr["user_id"].to_numpy())
        return float(np.mean(keras.ops.convert_to_numpy(lookup(te["user_id"].to_numpy())) == 0))
    r = ex.world().ratings
    return share(*temporal_split(r, test_fraction=0.2)), share(*leave_last_out(r))


def _ch02_cold_warm():
    from reclib.data.splits import temporal_split
    from reclib.metrics.rating import rmse
    from reclib.models.baselines import Biases
    w = ex.world()
    tr, te = temporal_split(w.ratings, test_fraction=0.2)
    b = Biases().fit(tr, items=w.items, users=w.users)
    warm = te["user_id"].isin(set(tr["user_id"]))
    out = {}
    for name, part in (("warm", te[warm]), ("cold", te[~warm])):
        u, i, y = part["user_id"], part["item_id"], part["rating"]
        out[name] = rmse(y, b.predict(u, i)) / rmse(y, w.expected_rating(u, i))
        out[name + " plain"] = rmse(y, b.predict(u, i))
    return out


def _ch02_tail():
    from reclib.data.splits import leave_last_out
    from reclib.models.baselines import Popularity
    w = ex.world()
    pop = Popularity().fit(leave_last_out(w.ratings)[0], items=w.items, users=w.users)
    shown = {i for top in pop.recommend_all(k=10).values() for i in top}
    counts = w.ratings.groupby("item_id").size().sort_values(ascending=False)
    half = int(np.searchsorted(counts.cumsum().to_numpy(), counts.sum() / 2)) + 1
    return len(shown) / w.n_items, half / w.n_items


def _best_baseline_by_simulation():
    from reclib import gan1d
    bs = np.linspace(-1, 3, 41)
    var = [gan1d.reinforce_gradient(THETA, REWARD, 20_000, seed=0, baseline=b).var(0).sum()
           for b in bs]
    return float(bs[int(np.argmin(var))])


def _ch09_any():
    from reclib.data.splits import random_split
    from reclib.metrics.ranking import ranking_report
    from reclib.models.baselines import Popularity
    from reclib.protocol import top_k_lists
    w = ex.world()
    train, test = random_split(w.ratings, 0.2, seed=0)
    everyone = np.arange(w.n_users)
    rated = {u: set(g["item_id"]) for u, g in train.groupby("user_id")}
    util = w.utility(np.repeat(everyone, w.n_items),
                     np.tile(np.arange(w.n_items), w.n_users)).reshape(w.n_users, w.n_items)
    any_rating = {u: set(g["item_id"]) for u, g in test.groupby("user_id")}
    liked = {u: set(g["item_id"][g["rating"] >= 4]) for u, g in test.groupby("user_id")}
    pop = Popularity().fit(train, items=w.items, users=w.users).recommend_all(10)
    orc = top_k_lists(util, everyone, 10, rated)
    r = lambda l, rel: ranking_report(l, rel, 10, w.n_items)["recall@10"]   # noqa: E731
    return r(pop, any_rating), r(orc, any_rating), r(pop, liked), r(orc, liked)


def _predictions():
    import pandas as pd
    rng = np.random.default_rng(0)
    y = rng.integers(1, 6, 500).astype(float)
    return pd.DataFrame({"rating": y, "prediction": y + rng.normal(0, 1.2, 500)})


def cases():
    """{label: (right answers, [(wrong answers, the mistake), ...])}, computed lazily."""
    log4, log2 = math.log(4), math.log(2)
    return {
        "ch01-ex2": lambda: (
            {"power": math.log10(175e9 / _ch01_mf_sizes())},
            [({"power": math.log10(175e9 / 110e6)}, "GPT-3 against BERT instead of MF"),
             ({"power": 11.2}, "GPT-3's own size"),
             ({"power": 4.6}, "MF's size instead of the ratio")]),
        "ch01-ex3": lambda: (lambda mf2, bias, train_rmse: (
            {"rmse": mf2},
            [({"rmse": bias}, "the biases baseline's RMSE"),
             ({"rmse": train_rmse}, "RMSE on the training split"),
             ({"rmse": mf2 + 0.01}, "off by 0.01")]))(*_ch01_ex3()),
        "ch02-ex2": lambda: (lambda t, l: (
            {"temporal": t, "leave_last_out": l},
            [({"temporal": l, "leave_last_out": t}, "swapped"),
             ({"temporal": 1 - t, "leave_last_out": l}, "share of seen users"),
             ({"temporal": t * 100, "leave_last_out": l}, "a percentage")]))(*_ch02_unseen()),
        "ch02-ex3": lambda: (lambda r: (
            {"warm": r["warm"], "cold": r["cold"]},
            [({"warm": r["warm plain"], "cold": r["cold plain"]}, "plain RMSE, not x oracle"),
             ({"warm": r["cold"], "cold": r["warm"]}, "swapped")]))(_ch02_cold_warm()),
        "ch02-ex4": lambda: (lambda s, h: (
            {"shown": s, "half": h},
            [({"shown": 10 / ex.world().n_items, "half": h}, "one top-10 list only"),
             ({"shown": s, "half": 0.5}, "half of the items, not half the interactions")]))(
            *_ch02_tail()),
        "ex-gan-equilibrium": lambda: (
            {"d_star": 0.5, "value": -log4, "l_d": log4, "l_g": log2},
            [({"d_star": 0.5, "value": log4, "l_d": log4, "l_g": log2}, "sign of V"),
             ({"d_star": 0.5, "value": -log4, "l_d": log2, "l_g": log2}, "L_D with one term"),
             ({"d_star": 1.0, "value": -log4, "l_d": log4, "l_g": log2}, "D* = 1")]),
        "ex-gan-crossover": lambda: (
            {"crossing": 0.5, "larger_above": "saturating"},
            [({"crossing": 0.5, "larger_above": "non_saturating"}, "the wrong gradient"),
             ({"crossing": 0.25, "larger_above": "saturating"}, "the wrong point")]),
        "ex-gan-jsd-flat": lambda: (
            {"jsd_far": log2},
            [({"jsd_far": 1.0}, "bits instead of nats"), ({"jsd_far": 0.0}, "zero")]),
        "ex-gan-baseline": lambda: (
            {"best_baseline": _best_baseline_by_simulation(), "theta": THETA, "reward": REWARD},
            [({"best_baseline": 0.0, "theta": THETA, "reward": REWARD}, "no baseline"),
             ({"best_baseline": 3.0, "theta": THETA, "reward": REWARD}, "the largest reward")]),
        "ch09-ex4": lambda: (lambda p, o, pl, ol: (
            {"popularity": p, "oracle": o},
            [({"popularity": pl, "oracle": ol}, "liked items only (rating >= 4)"),
             ({"popularity": o, "oracle": p}, "swapped")]))(*_ch09_any()),
        "ex-spark-mae": lambda: (lambda d: (
            {"mae": float(np.mean(np.abs(np.clip(d["prediction"], 1, 5) - d["rating"]))),
             "predictions": d},
            [({"mae": float(np.mean(np.abs(d["prediction"] - d["rating"]))), "predictions": d},
              "not clipped"),
             ({"mae": float(np.sqrt(np.mean((np.clip(d["prediction"], 1, 5) - d["rating"]) ** 2))),
               "predictions": d}, "the RMSE")]))(_predictions()),
    }


CASES = cases()


def test_every_check_has_test_cases():
    assert set(CASES) == set(ex.CHECKS)


@pytest.mark.parametrize("label", sorted(CASES))
def test_check_accepts_the_right_answer_and_rejects_wrong_ones(label):
    right, wrongs = CASES[label]()
    verdict = ex.check(label, **right)
    assert verdict, verdict
    assert len(wrongs) >= 1
    for answers, mistake in wrongs:
        verdict = ex.check(label, **answers)
        assert not verdict, f"{label} accepted a wrong answer ({mistake}): {verdict}"
        assert len(verdict.message) > 10, "a failed check gives a hint"


def test_the_check_cell_of_the_student_edition_runs_before_an_answer():
    for label, c in ex.CHECKS.items():
        call = re.sub(r"=([^,)]+)", "=...", c.template)
        verdict = eval(call, {"check": ex.check})          # noqa: S307 (our own template)
        assert not verdict and "no answer yet" in verdict.message


def test_bad_input_is_refused_with_a_clear_message(monkeypatch):
    with pytest.raises(ValueError, match="no check for exercise"):
        ex.check("ch99-ex1", x=1)
    with pytest.raises(ValueError, match="not auto-checked"):
        ex.check("ch03-ex1", x=1)
    with pytest.raises(TypeError, match="label must be a string"):
        ex.check(3)
    with pytest.raises(TypeError, match="needs jsd_far"):
        ex.check("ex-gan-jsd-flat")
    with pytest.raises(TypeError, match="must be a number"):
        ex.check("ex-gan-jsd-flat", jsd_far="log 2")
    with pytest.raises(ValueError, match="larger_above"):
        ex.check("ex-gan-crossover", crossing=0.5, larger_above="both")
    assert not ex.check("ex-gan-jsd-flat", jsd_far=float("nan"))
    monkeypatch.setenv("RECLIB_STUDENT_SEED", "seven")
    with pytest.raises(ValueError, match="RECLIB_STUDENT_SEED must be an integer"):
        ex.student_seed()
    with pytest.raises(TypeError, match="seed must be"):
        ex.world(seed=-1)


def test_a_student_world_gets_its_own_right_answer(monkeypatch):
    """With RECLIB_STUDENT_SEED the world changes, and the check follows it."""
    book_t, book_l = _ch02_unseen()
    monkeypatch.setenv("RECLIB_STUDENT_SEED", "7")
    assert ex.student_seed() == 7
    from reclib.data.shopsim import DEFAULT_SEED
    assert len(ex.world().ratings) != len(ex.world(seed=DEFAULT_SEED).ratings)
    own_t, own_l = _ch02_unseen()
    assert abs(own_t - book_t) > 1e-3                    # another world, another answer
    assert ex.check("ch02-ex2", temporal=own_t, leave_last_out=own_l)
    assert not ex.check("ch02-ex2", temporal=book_t, leave_last_out=book_l)


# ------------------------------------------------------------ the student edition

def solution_lines(removed, original):
    """Lines of solution code and prose that do not occur elsewhere in the notebook."""
    outside = "\n".join(c.source for c in original.cells)
    for label, sol in removed.items():
        outside = outside.replace("\n".join(sol["code"]), "")
    lines = set()
    for sol in removed.values():
        for line in "\n".join(sol["code"] + [sol["prose"]]).splitlines():
            line = line.strip()
            if line.startswith("from reclib.exercises import"):
                continue                      # the student's check cell imports it too
            if len(line) >= 25 and not line.startswith("#") and line not in outside:
                lines.add(line)
    return lines


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("student")
    done = student.build_notebooks(out)
    return out, done


def test_the_student_notebooks_hold_no_solution(built):
    out, done = built
    total = 0
    for path in NOTEBOOKS:
        rel = path.relative_to(ROOT)
        original, removed = ALL[path.name]
        nb = nbformat.read(out / rel, as_version=4)
        text = "\n".join(c.source for c in nb.cells)
        for line in solution_lines(removed, original):
            assert line not in text, f"{rel}: solution text in the student edition: {line!r}"
            total += 1
        assert "{solution-start}" not in text and "{solution-end}" not in text
        assert "{solution}" not in text
        # the exercise text stays, followed by an answer cell (and a check cell)
        assert student.exercises_of(nb) == student.exercises_of(original)
        ids = [c.get("id") for c in nb.cells]
        for label in removed:
            assert f"{label}-answer" in ids
            assert (f"{label}-check" in ids) == (label in ex.CHECKS)
        for c in nb.cells:
            if c.cell_type == "code":
                assert c.outputs == [] and c.execution_count is None
        if "load_shopsim" in "\n".join(c.source for c in original.cells if c.cell_type == "code"):
            stored = any(student.STORED.search(c.source) for c in original.cells
                         if c.cell_type == "code")
            note = student.KEEP if stored else student.REBIND
            assert note in text, f"{rel}: data not read from the student's world"
    assert total > 100


def test_the_built_student_html_holds_no_solution():
    # `make student` builds the pages and then runs this test on them (RECLIB_STUDENT_HTML);
    # in `make test` an old build left in _build/ would be checked against today's notebooks
    if not os.environ.get("RECLIB_STUDENT_HTML"):
        pytest.skip("checks the pages `make student` has just built (it runs this test)")
    html_dir = Path(os.environ["RECLIB_STUDENT_HTML"]).resolve()
    assert html_dir.is_dir(), f"{html_dir} does not exist: run make student"
    pages = {}
    for page in html_dir.rglob("*.html"):
        text = re.sub(r"<[^>]+>", "", page.read_text(errors="replace"))
        pages[page] = html.unescape(text)
    listed = set(re.findall(r"file:\s*(\S+)", (ROOT / "_toc.yml").read_text()))
    checked = 0
    for path in NOTEBOOKS:
        original, removed = ALL[path.name]
        page = html_dir / path.relative_to(ROOT).with_suffix(".html")
        if str(path.relative_to(ROOT).with_suffix("")) not in listed:
            continue                          # not in the book (yet): test_notebooks says so
        assert page in pages, f"{page} missing from the student book"
        checked += 1
        for line in solution_lines(removed, original):
            assert line not in pages[page], f"{page.name}: solution text in the HTML: {line!r}"
    assert checked >= 10
    assert not (html_dir / "chapters" / "teaching.html").exists(), "the instructor's guide leaked"


def test_splitting_handles_every_marker_layout():
    cells = [
        "```{exercise}\n:label: t-1\nQ1\n```\n\n```{solution-start} t-1\n:class: dropdown\n```\nA1 prose",
        "more A1\n```{solution-end}\n```\n````{exercise}\n:label: t-2\nQ2\n````",
        "````{solution} t-2\n:class: dropdown\nA2 is a model answer\n````\nAfter.",
    ]
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(cells[0]), nbformat.v4.new_code_cell("assert 1"),
                nbformat.v4.new_markdown_cell(cells[1]), nbformat.v4.new_markdown_cell(cells[2])]
    removed = {}
    out, labels = student.student_notebook(nb, {}, removed=removed)
    text = "\n".join(c.source for c in out.cells)
    assert labels == ["t-1", "t-2"]
    assert "A1" not in text and "A2" not in text and "assert 1" not in text
    assert "Q1" in text and "Q2" in text and "After." in text
    assert removed["t-1"]["code"] == ["assert 1"] and "more A1" in removed["t-1"]["prose"]
    assert "A2 is a model answer" in removed["t-2"]["prose"]
    bad = nbformat.v4.new_notebook()
    bad.cells = [nbformat.v4.new_markdown_cell("```{solution-start} x\n```\nno end")]
    with pytest.raises(ValueError, match="never closed"):
        student.student_notebook(bad, {})


def test_the_html_copy_keeps_the_full_builds_outputs_but_not_the_solutions(tmp_path):
    """With a jupyter-cache from `make book`, the student pages show the chapter's outputs."""
    from jupyter_cache import get_cache
    nb = nbformat.v4.new_notebook()
    shown = nbformat.v4.new_output("stream", name="stdout", text="CHAPTER OUTPUT\n")
    hidden = nbformat.v4.new_output("stream", name="stdout", text="SOLUTION OUTPUT\n")
    nb.cells = [nbformat.v4.new_code_cell("print('chapter')", outputs=[shown], execution_count=1),
                nbformat.v4.new_markdown_cell("```{exercise}\n:label: t-9\nQ\n```\n"
                                              "```{solution-start} t-9\n:class: dropdown\n```"),
                nbformat.v4.new_code_cell("print('solution')", outputs=[hidden], execution_count=2),
                nbformat.v4.new_markdown_cell("```{solution-end}\n```")]
    executed_path = tmp_path / "executed.ipynb"
    nbformat.write(nb, executed_path)
    cache = get_cache(tmp_path / ".jupyter_cache")
    cache.cache_notebook_file(executed_path, check_validity=False)
    stripped = nbformat.from_dict(nb)                # the committed form: no outputs
    for c in stripped.cells:
        if c.cell_type == "code":
            c.outputs, c.execution_count = [], None
    committed = tmp_path / "committed.ipynb"
    nbformat.write(stripped, committed)
    full = student.executed(committed, tmp_path / ".jupyter_cache")
    assert full is not None
    out, _ = student.student_notebook(full, {}, keep_outputs=True)
    text = nbformat.writes(out)
    assert "CHAPTER OUTPUT" in text and "SOLUTION OUTPUT" not in text and "solution')" not in text
    assert student.executed(committed, tmp_path / "no-cache") is None


def test_the_instructors_guide_stays_out_of_the_student_edition():
    toc = {"root": "chapters/preface", "parts": [
        {"caption": "Capstone projects", "chapters": [{"file": "chapters/capstones/gan_vs_mle"}]},
        {"caption": "Appendices", "chapters": [{"file": "chapters/teaching"},
                                               {"file": "chapters/glossary"}]},
        {"caption": "Teachers", "chapters": [{"file": "chapters/teaching"}]}]}
    kept = student.without_teacher_pages(toc)
    files = re.findall(r"'file': '([^']+)'", str(kept))
    assert "chapters/teaching" not in files
    assert files == ["chapters/capstones/gan_vs_mle", "chapters/glossary"]
    assert [p["caption"] for p in kept["parts"]] == ["Capstone projects", "Appendices"]
