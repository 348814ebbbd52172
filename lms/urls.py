"""Building a link at the cost of a dictionary lookup.

A page builds dozens of links (the menu, a card per course or asset, the footer's form) and
werkzeug builds each one from the rule again: about 8 µs, a tenth of a catalog page's time.
The links of a request depend only on the endpoint, its values and the request's script root
(where the portal is mounted), and the routes never change once the app is built, so a link
built once in a request is kept for every later request of the worker.

Kept: a link inside a request, to an absolute endpoint, without `_external`, `_scheme`,
`_method` or `_anchor`, whose values are hashable. Anything else is built by Flask as usual;
so is a link that fails to build (its error handling is Flask's). The app registers no URL
defaults (`url_defaults`: a link would then depend on more than its arguments); should one be
registered, `PortalFlask` stops keeping links.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, has_request_context, request

MAX_KEPT = 20_000  # links per worker; past this the memo starts again (a crawl of many ids)


class PortalFlask(Flask):
    """Flask, with `url_for` (views' and templates') remembering the links it built."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._links: dict[tuple, str] = {}

    def url_for(self, /, endpoint: str, *, _anchor: str | None = None,
                _method: str | None = None, _scheme: str | None = None,
                _external: bool | None = None, **values: Any) -> str:
        if (_anchor is None and _method is None and _scheme is None and not _external
                and endpoint[:1] != "." and has_request_context()
                and not any(self.url_default_functions.values())):
            try:
                key = (request.script_root, endpoint,
                       *((name, value.__class__, value) for name, value in values.items()))
                found = self._links.get(key)
            except TypeError:  # an unhashable value (a list of query values): not kept
                key = None
            else:
                if found is not None:
                    return found
            link = super().url_for(endpoint, **values)
            if key is not None:
                if len(self._links) >= MAX_KEPT:
                    self._links.clear()
                self._links[key] = link
            return link
        return super().url_for(endpoint, _anchor=_anchor, _method=_method, _scheme=_scheme,
                               _external=_external, **values)
