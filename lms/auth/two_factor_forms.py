"""Forms of two-factor sign-in: a code, and turning it off."""

from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from lms.formutil import PortalForm
from lms.i18n import lazy_gettext as _l

_CODE_MISSING = _l("Enter the code.")


class CodeForm(PortalForm):
    """One code: from the authenticator app (6 digits) or, where allowed, a recovery code."""

    code = StringField(_l("Code"), validators=[DataRequired(message=_CODE_MISSING),
                                               Length(max=40)])


class DisableForm(PortalForm):
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    code = StringField(_l("Code from your app, or a recovery code"),
                       validators=[DataRequired(message=_CODE_MISSING), Length(max=40)])
