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


#: The aspect vocabulary of :func:`hotel_reviews` (no ShopSim aspect among them).
HOTEL_ASPECTS = ("breakfast", "location", "room", "service")
_HOTEL_PHRASES = {
    ("location", "positive"): ["The location is perfect, close to everything.",
                               "Great location, the old town is a short walk away."],
    ("location", "negative"): ["The location is poor, far from everything.",
                               "A bad location, we needed a taxi every day."],
    ("service", "positive"): ["The service was excellent and the staff friendly.",
                              "Great service, the staff helped us with everything."],
    ("service", "negative"): ["The service was slow and the staff rude.",
                              "Poor service, nobody answered at the desk."],
    ("room", "positive"): ["The room was clean and comfortable.",
                           "A lovely room, quiet and spacious."],
    ("room", "negative"): ["The room was dirty and noisy.",
                           "A cramped room with a broken shower."],
    ("breakfast", "positive"): ["The breakfast was delicious and fresh.",
                                "Great breakfast, plenty of choice."],
    ("breakfast", "negative"): ["The breakfast was cold and bland.",
                                "A poor breakfast, the coffee was awful."],
}


@pytest.fixture(scope="session")
def last_out_400x120(world_400x120):
    """``world_400x120``'s ratings with each user's last rating held out (train, test)."""
    from reclib.data.splits import leave_last_out
    return leave_last_out(world_400x120.ratings, n=1)


@pytest.fixture(scope="session")
def hotel_reviews():
    """A tiny hotel-review data set with other aspects than ShopSim's:
    ``(reviews, hotels)``. 40 guests, 12 hotels, 6 reviews per guest, aspects
    :data:`HOTEL_ASPECTS`; each hotel is good or bad at each aspect and each
    guest writes about the two aspects they care about. ``reviews`` has the
    book's review columns (``user_id, item_id, rating, timestamp, text,
    aspect, sentiment``); ``hotels`` has only ``item_id`` and ``name`` (no
    ShopSim ``category``, ``brand`` or ``aspects`` columns)."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(11)
    n_users, n_items = 40, 12
    quality = rng.choice([-1, 1], size=(n_items, len(HOTEL_ASPECTS)), p=[0.35, 0.65])
    cares = [rng.choice(len(HOTEL_ASPECTS), 2, replace=False) for _ in range(n_users)]
    rows = []
    for u in range(n_users):
        for t, i in enumerate(rng.choice(n_items, 6, replace=False)):
            a = int(rng.choice(cares[u]))
            positive = quality[i, a] > 0
            rating = int(rng.choice([4, 5]) if positive else rng.choice([1, 2]))
            key = (HOTEL_ASPECTS[a], "positive" if positive else "negative")
            text = _HOTEL_PHRASES[key][int(rng.integers(2))]
            rows.append((u, int(i), rating, t, text, key[0], key[1]))
    reviews = pd.DataFrame(rows, columns=["user_id", "item_id", "rating", "timestamp", "text",
                                          "aspect", "sentiment"])
    hotels = pd.DataFrame({"item_id": np.arange(n_items),
                           "name": [f"Hotel {k}" for k in range(n_items)]})
    return reviews, hotels
