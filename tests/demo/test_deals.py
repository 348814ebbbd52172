"""The demo's customers: each one once, the deal conflict kept for Sakura and Kumo (pure)."""

from __future__ import annotations

import random

from lms.demo.deals import CONFLICT_CUSTOMER, customer_names, lost_customer_names


def test_every_customer_of_the_tier_story_is_someone_else():
    names = customer_names(random.Random(1127))

    assert len(names) == len(set(names)) > 700
    assert not any(CONFLICT_CUSTOMER in name for name in names)
    assert any(name.startswith("株式会社") for name in names)


def test_the_lost_customers_are_always_the_same_and_not_in_the_tier_story():
    lost = lost_customer_names()

    assert lost == lost_customer_names()
    assert len(lost) == len(set(lost))
    assert not set(lost) & set(customer_names(random.Random(1127)))
