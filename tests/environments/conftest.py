"""Fixtures of the demo environment tests: a cast of people around a partner company of
each tier (tests.environments.support.make_cast)."""

from __future__ import annotations

import pytest

from lms.models import Tier
from tests.environments.support import Cast, make_cast


@pytest.fixture
def bronze(app) -> Cast:
    return make_cast(Tier.BRONZE)


@pytest.fixture
def silver(app) -> Cast:
    return make_cast(Tier.SILVER)


@pytest.fixture
def gold(app) -> Cast:
    return make_cast(Tier.GOLD)
