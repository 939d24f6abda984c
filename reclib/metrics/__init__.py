"""reclib.metrics: how good are the ratings, the rankings and the reasons?

* :mod:`reclib.metrics.rating`: RMSE and MAE (predictions clipped to the
  rating scale, whole stars 1-5 unless `scale=` says otherwise);
* :mod:`reclib.metrics.ranking`: Precision/Recall/NDCG@K and catalogue
  coverage, checked against keras-rs;
* :mod:`reclib.metrics.text`: BLEU and ROUGE (sacrebleu, rouge-score), USR,
  FMR, FCR and DIV as in PETER, and ground-truth faithfulness,
  hallucination and personalization for ShopSim;
* :mod:`reclib.metrics.risk`: a credit-risk model's AUC, Brier score and
  reliability, the approval-rate and true-positive-rate gaps between groups;
* :mod:`reclib.metrics.intervals`: the percentile bootstrap over units (users,
  pairs), and its paired variant for the difference of two methods;
* :mod:`reclib.metrics.claims`: personal claims (what a reason says about the user),
  read back and graded against the user's training reviews and the truth;
* :mod:`reclib.metrics.reader`: readers of reasons: the rule reader the guard uses
  (:func:`~reclib.data.aspects.extract_aspects`) and an independent one trained on labelled
  reviews (:class:`~reclib.metrics.reader.TrainedReader`), their accuracy and agreement;
* :mod:`reclib.metrics.copying`: does a generated text copy other users' training
  reviews (longest common run, n-gram overlap, verbatim copies);
* :mod:`reclib.metrics.reports`: are a risk report's stated factors the
  model's principal reasons, and are they supported by the applicant's data?
"""
