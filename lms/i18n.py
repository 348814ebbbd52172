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
from jinja2 import pass_eval_context
from jinja2.nodes import EvalContext
from markupsafe import Markup

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
    init_app, which installed its own).

    Jinja's own "newstyle" callables wrap the translation function in a second context-aware
    call (two `Context.call`s per label, each inspecting the callable); these are one call
    each, with the same result: the translation, marked safe when the template escapes, and
    always formatted with its variables (so a literal percent sign is written %%).
    """
    env = app.jinja_env
    env.newstyle_gettext = True  # type: ignore[attr-defined]  # {% trans %} passes variables
    env.globals.update(_=_template_gettext, gettext=_template_gettext,
                       ngettext=_template_ngettext, pgettext=_template_pgettext,
                       npgettext=_template_npgettext)


def _safe(eval_ctx: EvalContext, text: str) -> str:
    # A translation is our own text, trusted as Jinja trusts it; its variables are escaped.
    return Markup(text) if eval_ctx.autoescape else text  # noqa: S704


@pass_eval_context
def _template_gettext(eval_ctx: EvalContext, string: str, /, **variables: Any) -> str:
    return _safe(eval_ctx, translations().ugettext(string)) % variables


@pass_eval_context
def _template_ngettext(eval_ctx: EvalContext, singular: str, plural: str, num: int, /,
                       **variables: Any) -> str:
    variables.setdefault("num", num)
    return _safe(eval_ctx, translations().ungettext(singular, plural, num)) % variables


@pass_eval_context
def _template_pgettext(eval_ctx: EvalContext, context: str, string: str, /,
                       **variables: Any) -> str:
    variables.setdefault("context", context)
    return _safe(eval_ctx, translations().upgettext(context, string)) % variables


@pass_eval_context
def _template_npgettext(eval_ctx: EvalContext, context: str, singular: str, plural: str,
                        num: int, /, **variables: Any) -> str:
    variables.setdefault("context", context)
    variables.setdefault("num", num)
    return _safe(eval_ctx, translations().unpgettext(context, singular, plural, num)) % variables


def lazy_gettext(string: str, **variables: Any) -> flask_babel.LazyString:
    """A text translated when it is shown (form labels, module-level names)."""
    return flask_babel.LazyString(gettext, string, **variables)
