"""Data: the ShopSim world, splits, and text processing."""
from reclib.data.shopsim import World, generate


def load_shopsim(folder=None):
    """Load the committed default ShopSim world (``data/shopsim/``).

    Returns a :class:`reclib.data.shopsim.World` with the public tables
    ``items``, ``users``, ``ratings`` and the hidden truth used by the oracles.
    """
    from reclib.data import shopsim
    return shopsim.load(folder)


__all__ = ["World", "generate", "load_shopsim"]
