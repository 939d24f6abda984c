"""Regenerate the committed default worlds (ShopSim, and the credit world of
chapter 11): ``python -m reclib.data.make_data``."""
import sys
from pathlib import Path

from reclib.data import credit, shopsim


def main(folder=None):
    folder = Path(folder) if folder else shopsim.DATA_DIR
    world = shopsim.generate()
    shopsim.save(world, folder)
    credit.make_credit_data()   # always data/credit/ (a folder argument redirects ShopSim only)
    for k, v in world.stats().items():
        print(f"{k:>22}: {v:.4g}" if isinstance(v, float) else f"{k:>22}: {v}")
    return world


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
