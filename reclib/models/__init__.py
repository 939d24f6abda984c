"""reclib.models: the recommenders, all of one shape (:class:`reclib.protocol.Recommender`).

* :mod:`reclib.models.baselines`: ``GlobalMean``, ``Biases``, ``Popularity``;
* :mod:`reclib.models.mf`: ``MF``, matrix factorization in Keras 3 (Adam
  through ``model.fit``, or closed-form ALS), savable as ``.keras``;
* :mod:`reclib.models.mf_numpy`: the NumPy MF of chapter 4 (loss, gradients,
  SGD, ALS);
* :mod:`reclib.models.features`: the title CNN, the behaviour LSTM and the
  two-tower ``FeatureRecommender`` of chapter 3;
* :mod:`reclib.models.implicit`: ``BPR`` (Keras 3), ``EASE`` and ``ItemKNN``, recommenders
  for implicit feedback (which items a user has, not how many stars), for top-K lists;
* :mod:`reclib.models.risk`: credit-risk models (logistic regression, a small
  Keras network) and their per-applicant attributions.

Evaluation harnesses that take fitted models live in :mod:`reclib.evaluation`.
"""
