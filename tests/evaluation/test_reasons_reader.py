"""The reader= argument of evaluate_reasons and head_to_head, and regrade."""
import pytest

from reclib.data.aspects import extract_aspects
from reclib.evaluation.reasons import evaluate_reasons, ground_truth, head_to_head, regrade
from reclib.reasons.templates import TemplateReasons


class Fixed:
    """A reader that reads every reason as naming one given pair."""

    def __init__(self, pair):
        self.pair = pair

    def read(self, texts):
        return [[self.pair] for _ in texts]


class Rules:
    """The rule reader, counting its calls (the guard must not call it)."""

    def __init__(self, aspects):
        self.aspects, self.calls = list(aspects), 0

    def read(self, texts):
        self.calls += 1
        return [extract_aspects(t, self.aspects) for t in texts]


@pytest.fixture(scope="module")
def setup(world_60x25):
    world = world_60x25
    pairs = world.ratings.sample(40, random_state=0).reset_index(drop=True)
    template = TemplateReasons(seed=0).fit(world.ratings, items=world.items, users=world.users)
    return world, pairs, template


def test_the_default_reader_is_the_rule_reader(setup):
    world, pairs, template = setup
    texts = list(pairs["text"])
    rules = Rules(template.aspects_)
    default = evaluate_reasons(pairs, texts, aspects=template.aspects_, world=world)
    given = evaluate_reasons(pairs, texts, aspects=template.aspects_, world=world, reader=rules)
    assert given == pytest.approx(default, nan_ok=True) and rules.calls == 1


def test_another_reader_changes_only_the_columns_it_reads(setup):
    world, pairs, template = setup
    texts = list(pairs["text"])
    default = evaluate_reasons(pairs, texts, aspects=template.aspects_, world=world)
    absent = "no-such-aspect"
    other = evaluate_reasons(pairs, texts, aspects=template.aspects_, world=world,
                             reader=Fixed((absent, "positive")))
    assert other["faithfulness"] == 0.0 and other["hallucination"] == 1.0
    assert default["faithfulness"] > 0.9  # the true reviews, read by the rules
    for k in ("BLEU-1", "ROUGE-L", "USR", "FMR", "FCR", "DIV"):
        assert other[k] == pytest.approx(default[k])


def test_head_to_head_grades_with_the_reader_and_guards_with_the_rules(setup):
    world, pairs, template = setup
    rules = Rules(template.aspects_)
    table, texts = head_to_head({"template": template}, pairs, world=world, template=template,
                                reader=rules, return_texts=True)
    plain = head_to_head({"template": template}, pairs, world=world, template=template)
    assert rules.calls == 2  # raw and guarded; the guard read with its own rules
    assert table.loc["template"].to_dict() == pytest.approx(
        plain.loc["template"].drop("train s").to_dict() | {"train s": table.at["template",
                                                                                 "train s"]})
    fixed = head_to_head({"template": template}, pairs, world=world, template=template,
                         reader=Fixed(("no-such-aspect", "positive")))
    assert fixed.at["template", "faithfulness+guard"] == 0.0
    assert fixed.at["template", "rejected"] == plain.at["template", "rejected"]
    # regrade: the same truth columns from the stored texts, without generating again
    truth = ground_truth(world, pairs)
    again = regrade(texts, truth, aspects=template.aspects_)
    assert again.loc["template"].to_dict() == pytest.approx(
        plain.loc["template", list(again.columns)].to_dict())
    assert regrade(texts, truth, aspects=template.aspects_,
                   reader=Fixed(("no-such-aspect", "positive"))).at["template",
                                                                    "hallucination"] == 1.0


def test_reader_errors(setup):
    world, pairs, template = setup
    texts = list(pairs["text"])
    with pytest.raises(TypeError, match="read"):
        evaluate_reasons(pairs, texts, aspects=template.aspects_, world=world, reader="rules")
    with pytest.raises(TypeError, match="read"):
        head_to_head({"template": template}, pairs, template=template, reader=object())

    class Short:
        def read(self, texts):
            return [[]]

    with pytest.raises(ValueError, match="readings for"):
        evaluate_reasons(pairs, texts, aspects=template.aspects_, world=world, reader=Short())
    truth = ground_truth(world, pairs)
    with pytest.raises(ValueError, match="non-empty dict"):
        regrade({}, truth, aspects=template.aspects_)
    with pytest.raises(ValueError, match="'raw' and 'guarded'"):
        regrade({"x": texts}, truth, aspects=template.aspects_)
    with pytest.raises(ValueError, match="mismatched lengths"):
        regrade({"x": {"raw": texts[:3], "guarded": texts[:3]}}, truth,
                aspects=template.aspects_)
    with pytest.raises(ValueError, match="ground_truth"):
        regrade({"x": {"raw": texts, "guarded": texts}}, [], aspects=template.aspects_)
