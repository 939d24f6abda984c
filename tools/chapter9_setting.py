"""Chapter 9's evaluation setting, shared by the scripts that extend it.

``tools/h2h_seeds.py`` and ``tools/gan_curves.py`` both start where chapter 9
starts: ShopSim, the same 80/20 split, the same 1,000 held-out pairs, and the
template whose predicted aspect grounds the grounded generators.
"""
from types import SimpleNamespace

from reclib.data import load_shopsim
from reclib.data.splits import random_split
from reclib.reasons.templates import TemplateReasons

SEED = 0          # split, held-out sample and template (chapter 9's)
N_EVAL = 1000     # held-out pairs
CONTEXT_ASPECTS = {"battery", "weight", "comfort", "durability", "storage", "warmth", "fit",
                   "sound", "speed"}


def chapter9_setting():
    """World, split, held-out pairs, side tables, template and grounding of chapter 9."""
    world = load_shopsim()
    train, test = random_split(world.ratings, 0.2, seed=SEED)
    held = test.sample(N_EVAL, random_state=SEED).reset_index(drop=True)
    tables = dict(items=world.items, users=world.users)
    template = TemplateReasons(seed=SEED, context_aspects=CONTEXT_ASPECTS).fit(train, **tables)
    grounding = [template.predicted_aspect(u, i)
                 for u, i in zip(held["user_id"], held["item_id"])]
    return SimpleNamespace(world=world, train=train, held=held, tables=tables,
                           template=template, grounding=grounding)
