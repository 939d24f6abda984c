"""reclib.evaluation: harnesses that take *fitted models* (the metrics in
:mod:`reclib.metrics` take their outputs).

* :mod:`reclib.evaluation.ranking`: top-K lists of a fitted recommender
  against held-out interactions (:func:`~reclib.evaluation.ranking.evaluate_ranking`);
* :mod:`reclib.evaluation.reasons`: reason generators against held-out reviews;
* :mod:`reclib.evaluation.recommended`: the same reason grading on each user's top-k recommended
  items (no reference review; graded by a simulator's truth);
* :mod:`reclib.evaluation.quality_diversity`: quality against diversity of fitted generators
  over decoding temperatures (the GAN-versus-MLE curves);
* :mod:`reclib.evaluation.decision`: the simulated take-or-skip decision study and the grading of
  reason kinds (aspect, behavioural, social) against a simulator's truth.

Import the submodule you need; nothing is imported here eagerly.
"""
