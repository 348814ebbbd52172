"""Translations at the cost of a dictionary lookup: Flask-Babel's gettext family, faster.

Flask-Babel finds the request's translation domain, its locale and then its catalog (by the
locale's identifier, rebuilt as a string each time) on every call: about 5 µs, and a report
page translates several hundred labels, numbers and reasons. Here the catalog is kept per
locale (`babel.Locale`), so a call costs one locale lookup. The text is the same as
Flask-Babel's: the same catalogs, the same formatting of `variables`; `force_locale` (mail
in the recipient's language) is followed, since the locale is read on every call.

The portal has one translation domain (lms/translations): a catalog kept here is the one
Flask-Babel would load for that locale.
"""

from __future__ import annotations

from typing import Any

import flask_babel
from babel import Locale
from babel.support import NullTranslations
from flask import Flask

_catalogs: dict[Locale, NullTranslations] = {}


def translations() -> NullTranslations:
    """The catalog of the request's locale (Flask-Babel's, kept per locale)."""
    locale = flask_babel.get_locale()
    if locale is None:  # outside a request: what Flask-Babel gives there
        return flask_babel.get_translations()
    found = _catalogs.get(locale)
    if found is None:
        found = _catalogs[locale] = flask_babel.get_translations()
    return found


def gettext(string: str, **variables: Any) -> str:
    text = translations().ugettext(string)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, num: int, **variables: Any) -> str:
    variables.setdefault("num", num)
    return translations().ungettext(singular, plural, num) % variables


def pgettext(context: str, string: str, **variables: Any) -> str:
    text = translations().upgettext(context, string)
    return text % variables if variables else text


def install(app: Flask) -> None:
    """Templates' _(), gettext(), ngettext()... through `translations` (after Babel's
    init_app, which installed its own)."""
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
        newstyle=True,
    )


def lazy_gettext(string: str, **variables: Any) -> flask_babel.LazyString:
    """A text translated when it is shown (form labels, module-level names)."""
    return flask_babel.LazyString(gettext, string, **variables)
