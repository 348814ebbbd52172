"""Forms of signing in, accounts and invitations."""

from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from lms.formutil import NoControlCharacters, PortalForm, choices
from lms.i18n import lazy_gettext as _l

LOCALE_CHOICES = [("", _l("Browser language")), ("en", "English"), ("ja", "日本語")]


class LoginForm(PortalForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    remember = BooleanField(_l("Keep me signed in on this device"), default=False)


class AcceptInvitationForm(PortalForm):
    name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=200),
                                                   NoControlCharacters()])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )


class AccountForm(PortalForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200),
                                              NoControlCharacters()])
    locale = SelectField(_l("Language"), choices=choices(LOCALE_CHOICES))


class PasswordForm(PortalForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired()])
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=200)])
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )


class LocaleForm(PortalForm):
    locale = SelectField(_l("Language"), choices=choices(LOCALE_CHOICES[1:]))


class ConfirmForm(PortalForm):
    """An empty form: a button that only carries the CSRF token."""
