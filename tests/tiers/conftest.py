"""Fixtures of the tier tests."""

from __future__ import annotations

import pytest

from lms.extensions import db
from lms.models import Credential, CredentialKind

NCSP = "nimbus-certified-sales-professional"
NCIE = "nimbus-certified-implementation-engineer"


@pytest.fixture
def certifications(app) -> dict[str, Credential]:
    """The two certifications the default program (content/program.toml) asks for."""
    made = {}
    for slug, name, job in ((NCSP, "NCSP", "sales"), (NCIE, "NCIE", "technical")):
        credential = Credential(slug=slug, name=name, kind=CredentialKind.CERTIFICATION,
                                image="badges/x.svg", content_hash="x", job_function=job,
                                validity_months=24, courses=[], quizzes=[])
        db.session.add(credential)
        made[slug] = credential
    db.session.commit()
    return made
