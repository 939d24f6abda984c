"""A stand-in reason generator for the evaluation tests."""
from reclib.protocol import ReasonGenerator


class Echo(ReasonGenerator):
    """Says the grounding aspect is excellent, or, when not grounded, always
    praises the same aspect."""

    def __init__(self, grounded=False, fixed="battery"):
        self.grounded, self.fixed = grounded, fixed

    def _fit(self, train):
        pass

    def count_params(self):
        return 7

    def _generate(self, users, items, aspects=None, **kw):
        self.last_kw = kw
        if aspects is not None:
            return [f"The {a[0] if isinstance(a, tuple) else a} is excellent." for a in aspects]
        return [f"The {self.fixed} is excellent."] * len(users)
