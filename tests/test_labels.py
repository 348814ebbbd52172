"""Durations and names shown to people."""

import pytest

from lms.labels import minutes_text


@pytest.mark.parametrize(("minutes", "text"), [
    (0, "0 min"), (45, "45 min"), (60, "1 h"), (90, "1 h 30 min"), (1440, "1 day"),
    (2880, "2 days"), (1500, "25 h"),
])
def test_minutes_text(app, minutes, text):
    with app.test_request_context():
        assert minutes_text(minutes) == text


@pytest.mark.parametrize(("labels", "enum"), [
    ("TIER_LABELS", "Tier"), ("ROLE_LABELS", "Role"), ("JOB_LABELS", "JobFunction"),
    ("AUDIENCE_LABELS", "Audience"), ("KIND_LABELS", "QuizKind"),
    ("REVIEW_LABELS", "ReviewPolicy"), ("ASSET_CATEGORY_LABELS", "AssetCategory"),
    ("DEAL_STATUS_LABELS", "DealStatus"), ("MDF_STATUS_LABELS", "MdfStatus"),
    ("SPIF_RULE_LABELS", "SpifRule"), ("PARTNER_TYPE_LABELS", "PartnerType"),
    ("APPLICATION_STATUS_LABELS", "ApplicationStatus"),
    ("MDF_ACTIVITY_LABELS", "MdfActivityType"),
    ("ENVIRONMENT_STATUS_LABELS", "EnvironmentStatus"),
])
def test_every_member_of_an_enum_has_a_label(labels, enum):
    from lms import labels as module
    from lms import models

    table, members = getattr(module, labels), list(getattr(models, enum))
    assert list(table) == members  # keyed by the enum, in its order
    assert all(table[member.value] is table[member] for member in members)  # strings find it
