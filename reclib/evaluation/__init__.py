"""reclib.evaluation: harnesses that take *fitted models* (the metrics in
:mod:`reclib.metrics` take their outputs).

* :mod:`reclib.evaluation.ranking`: top-K lists of a fitted recommender
  against held-out interactions (:func:`~reclib.evaluation.ranking.evaluate_ranking`);
* :mod:`reclib.evaluation.reasons`: reason generators against held-out reviews.

Import the submodule you need; nothing is imported here eagerly.
"""
