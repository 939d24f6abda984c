"""Small ShopSim worlds shared by the tests (built once per session).

Each fixture names its size, so a test says which world it needs; a test
that must not share state with others builds its own.
"""
import pytest

from reclib.data import shopsim


@pytest.fixture(scope="session")
def world_60x40():
    """60 users, 40 items, 10 ratings per user (seed 3): cleaning, features."""
    return shopsim.generate(n_users=60, n_items=40, ratings_per_user=10, seed=3)


@pytest.fixture(scope="session")
def world_60x25():
    """60 users, 25 items (seed 3): the reason-evaluation harness."""
    return shopsim.generate(n_users=60, n_items=25, seed=3)


@pytest.fixture(scope="session")
def world_150x60():
    """150 users, 60 items (seed 1): the reason generators and the guard."""
    return shopsim.generate(n_users=150, n_items=60, seed=1)


@pytest.fixture(scope="session")
def world_400x120():
    """400 users, 120 items (seed 7): the recommenders."""
    return shopsim.generate(n_users=400, n_items=120, seed=7)
