"""Find asserts that compare wall-clock times in notebook code.

A time measured on a busy machine can be anything, so the book reports
times and never asserts on them. :func:`timed_asserts` flags an ``assert``
whose condition reads

* a variable computed (directly or through other variables) from a clock
  (``time.perf_counter()``, ``time.time()``, ``time.monotonic()``,
  ``time.process_time()``) or from a model's ``fit_time_``;
* a name that says it holds a time (``fit_time``, ``elapsed``, ``seconds``,
  ``slowdown``, ``speedup``, ``train_s``, ...);
* a column whose label carries a unit of time (``"train s"``,
  ``"s/reason"``, ``"time (s)"``, ``"fit ms"``).

``timestamp`` (a date, not a duration) is not a time in this sense.
"""
import ast
import re

CLOCKS = {"perf_counter", "time", "monotonic", "process_time", "perf_counter_ns",
          "time_ns", "fit_time_"}
NAME = re.compile(r"(^|_)(time|times|seconds|secs|sec|elapsed|duration|slowdown|speedup|"
                  r"wall|runtime|latency|train_s|fit_s|s_per)($|_)", re.I)
LABEL = re.compile(r"(^|[\s(/_])(s|sec|secs|seconds|ms)($|[\s)/_])|\btime \(s\)", re.I)


def _strip_magics(source):
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line
                     for line in source.splitlines())


def _names(node):
    out = set()
    for n in ast.walk(node):
        if isinstance(n, ast.Name):
            out.add(n.id)
        elif isinstance(n, ast.Attribute):
            out.add(n.attr)
    return out


def _labels(node):
    return {n.value for n in ast.walk(node)
            if isinstance(n, ast.Constant) and isinstance(n.value, str)}


SCALAR_CALLS = {"float", "int", "round", "abs", "min", "max", "sum", "perf_counter",
                "time", "monotonic", "process_time", "perf_counter_ns", "time_ns"}


def _is_scalar_expr(node):
    """Arithmetic on names, numbers and a few scalar functions: the only
    expressions through which a measured time is tracked (a table built from
    many things, some of them times, is tracked by its column labels)."""
    for n in ast.walk(node):
        if isinstance(n, ast.Call):
            f = n.func
            name = f.id if isinstance(f, ast.Name) else getattr(f, "attr", None)
            if name not in SCALAR_CALLS:
                return False
        elif not isinstance(n, (ast.BinOp, ast.UnaryOp, ast.Name, ast.Constant, ast.Attribute,
                                ast.Load, ast.operator, ast.unaryop, ast.Subscript,
                                ast.Tuple, ast.Slice)):
            return False
    return True


def _is_timed_name(name):
    return bool(NAME.search(name)) and "timestamp" not in name.lower()


def timed_asserts(sources):
    """``[(cell index, assert source)]`` for every assert on a time in ``sources``
    (the code cells of one notebook, in order)."""
    trees = []
    for k, src in enumerate(sources):
        try:
            trees.append((k, src, ast.parse(_strip_magics(src))))
        except SyntaxError:
            continue
    timed = set()
    changed = True
    while changed:  # propagate through assignments until nothing new is timed
        changed = False
        for _, _, tree in trees:
            for node in ast.walk(tree):
                if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)) and node.value:
                    reads = _names(node.value)
                    if reads & (CLOCKS | timed) and _is_scalar_expr(node.value):
                        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                        for t in targets:
                            # times[name] = t times the container, not the key
                            while isinstance(t, ast.Subscript):
                                t = t.value
                            for name in _names(t) - timed:
                                timed.add(name)
                                changed = True
    found = []
    for k, src, tree in trees:
        for node in ast.walk(tree):
            if not isinstance(node, ast.Assert):
                continue
            names = _names(node.test)
            if (names & timed or any(_is_timed_name(n) for n in names)
                    or any(LABEL.search(s) for s in _labels(node.test))):
                found.append((k, ast.get_source_segment(_strip_magics(src), node)))
    return found
