"""The gate on registering deals and downloading material: a partner person whose company
has not accepted the terms in force is told so (403), with who can accept them."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user

from lms.models import Role
from lms.notifications.service import partner_admins
from lms.terms.rules import VersionInfo


def terms_required(info: VersionInfo):
    """The partner admin is sent to accept them; anyone else is told who can."""
    admins = [] if current_user.role == Role.PARTNER_ADMIN else \
        partner_admins(current_user.organization_id)
    return render_template("terms/required.html", info=info, admins=admins), 403
