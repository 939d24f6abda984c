"""reclib.reasons: reason generators, all on the protocol of
:class:`reclib.protocol.ReasonGenerator` (fit / generate / generate_one /
count_params; the aspect vocabulary ``aspects_`` comes from the training
reviews, never from a simulator).

* :mod:`~reclib.reasons.templates`: evidence-based template reasons (and the
  evidence the guard and the grounding use);
* :mod:`~reclib.reasons.retrieval`: the nearest training review in MF space;
* :mod:`~reclib.reasons.seq2seq`, :mod:`~reclib.reasons.gan`,
  :mod:`~reclib.reasons.transformer`: neural generators, on
  :mod:`~reclib.reasons.base` (shared base class, save / load) and
  :mod:`~reclib.reasons.training` (``keras.Model.fit`` with seeded order);
* :mod:`~reclib.reasons.decoding`: greedy, sampling and beam search;
* :mod:`~reclib.reasons.guard`: rejects reasons that contradict the evidence;
* :mod:`~reclib.reasons.kinds`: behavioural ("you bought X, which is similar") and social
  ("shoppers whose tastes match yours") reasons, with the evidence they cite;
* :mod:`~reclib.reasons.llm`, :mod:`~reclib.reasons.pepler`: a pretrained language model,
  prompted or fine-tuned (PEPLER-style), writes the reason;
* :mod:`~reclib.reasons.aspect_mf`: ``AspectMF``, matrix factorization plus an aspect term from
  the template evidence, whose per-aspect contributions explain each score (its own reasons,
  a counterfactual check);
* :mod:`~reclib.reasons.risk_report`: adverse-action-style credit reports (principal
  reasons with their direction) and their guard;
* :mod:`~reclib.reasons.study_plan`: study-plan reasons whose every claim cites the
  learner's record, a rule-based course ranking, and grading against a course world's truth;
* :mod:`~reclib.reasons.abstain`: wraps any generator so that it says "not enough evidence"
  when the user's (or item's) training records are fewer than a stated threshold;
* :mod:`~reclib.reasons.text`: from tokens to a readable sentence.

Backends: everything runs on ``keras.ops``; only :mod:`reclib.reasons.gan`
(its adversarial ``train_step`` takes two ``tf.GradientTape`` gradients)
needs TensorFlow, and the decoding helpers are compiled with ``tf.function``
when TensorFlow is the backend. Import the submodule you need.
"""
