"""Markdown to safe HTML, in one place: markdown renders, bleach keeps only an allow-list.

Every piece of authored or user-supplied Markdown (lessons, quiz prompts, asset
descriptions) goes through `render_markdown`. Nothing executable survives: no script, no
event handler, no `javascript:`/`data:` URL, no style. Video frames survive only when their
source is an allow-listed player (YouTube, Vimeo); `<video>` only with a source of the
course's own files, which the caller's `resolve_url` turns into an app URL.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable
from urllib.parse import SplitResult, urlsplit

import bleach
import markdown
from markdown.extensions import Extension
from markdown.extensions.toc import TocExtension, slugify_unicode
from markdown.treeprocessors import Treeprocessor

# A URL resolver gets the URL as written and whether it is an image/media source; it returns
# the URL to use, or None to drop it (a broken or forbidden reference).
Resolver = Callable[[str, bool], str | None]

ALLOWED_TAGS = frozenset({
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "details", "div", "dl", "dt",
    "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "iframe",
    "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "s", "samp", "small", "source", "span",
    "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr",
    "u", "ul", "video",
})
ALLOWED_ATTRIBUTES = {
    "a": ["href", "title"],
    "abbr": ["title"],
    "img": ["src", "alt", "title", "width", "height"],
    "iframe": ["src", "title", "allowfullscreen", "width", "height"],
    "video": ["src", "controls", "width", "height", "poster"],
    "source": ["src", "type"],
    "td": ["align", "colspan", "rowspan"],
    "th": ["align", "colspan", "rowspan", "scope"],
    "ol": ["start"],
    "code": ["class"],
    "div": ["class"],
    "span": ["class"],
    **{f"h{n}": ["id"] for n in range(1, 7)},
}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})

# Video players that may be framed, with the path prefixes of their embed pages.
VIDEO_EMBED_HOSTS = {
    "www.youtube.com": "/embed/",
    "www.youtube-nocookie.com": "/embed/",
    "player.vimeo.com": "/video/",
}
YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{6,20}$")
CLASS_VALUE = re.compile(r"^(language-[A-Za-z0-9_+-]{1,30}|video-embed|callout|callout-[a-z]+)$")
HEADING_ID_PREFIX = "h-"


def _split(url: str) -> SplitResult | None:
    """The parts of a URL, or None when it cannot be read ("http://[" raises ValueError)."""
    try:
        return urlsplit(url)
    except ValueError:
        return None


def video_embed_url(url: str) -> str | None:
    """The player URL to frame for a YouTube or Vimeo link, or None if not allow-listed."""
    parts = _split(url.strip())
    if parts is None or parts.scheme != "https":
        return None
    host = parts.netloc.lower()
    if host in VIDEO_EMBED_HOSTS and parts.path.startswith(VIDEO_EMBED_HOSTS[host]):
        video = parts.path[len(VIDEO_EMBED_HOSTS[host]):]
        if host == "player.vimeo.com":
            return f"https://player.vimeo.com/video/{video}" if video.isdigit() else None
        return f"https://www.youtube-nocookie.com/embed/{video}" if YOUTUBE_ID.match(video) \
            else None
    if host in {"www.youtube.com", "youtube.com", "m.youtube.com"} and parts.path == "/watch":
        query = dict(p.split("=", 1) for p in parts.query.split("&") if "=" in p)
        video = query.get("v", "")
        return f"https://www.youtube-nocookie.com/embed/{video}" if YOUTUBE_ID.match(video) \
            else None
    if host == "youtu.be":
        video = parts.path.lstrip("/")
        return f"https://www.youtube-nocookie.com/embed/{video}" if YOUTUBE_ID.match(video) \
            else None
    if host in {"vimeo.com", "www.vimeo.com"}:
        video = parts.path.strip("/")
        return f"https://player.vimeo.com/video/{video}" if video.isdigit() else None
    return None


def is_local_reference(url: str) -> bool:
    """A relative reference to a file of the same content (no scheme, host or absolute path)."""
    parts = _split(url)
    return parts is not None and not parts.scheme and not parts.netloc and \
        not url.startswith(("/", "#", "\\"))


def _as_browser_reads(value: str) -> str:
    """The URL after entity decoding, without the whitespace and controls browsers drop."""
    decoded = html.unescape(value)
    return "".join(ch for ch in decoded if ch > " " and unicodedata.category(ch)[0] != "C")


def _is_app_path(value: str) -> bool:
    """A path on this site: "/x", never "//host" or "/\\host" (which browsers treat as hosts)."""
    compact = _as_browser_reads(value)
    return compact.startswith("/") and compact[1:2] not in {"/", "\\"} and "\\" not in compact


def _safe_url(value: str) -> bool:
    """Absolute http(s)/mailto, fragment, or app-relative path; never javascript:/data:."""
    compact = _as_browser_reads(value)
    parts = _split(compact)
    if parts is None:
        return False
    if parts.scheme:
        return parts.scheme.lower() in ALLOWED_PROTOCOLS
    return not compact.startswith(("//", "/\\")) and "\\" not in compact


def _attribute_filter(tag: str, name: str, value: str) -> bool:
    if name not in ALLOWED_ATTRIBUTES.get(tag, ()):
        return False
    if tag == "iframe" and name == "src":
        parts = _split(value)
        return parts is not None and parts.netloc.lower() in VIDEO_EMBED_HOSTS and \
            video_embed_url(value) is not None
    if tag in {"video", "source"} and name == "src":
        # Only the course's own files, already resolved to app paths by the tree processor.
        return _is_app_path(value)
    if name in {"href", "src", "poster"}:
        return _safe_url(value)
    if name == "class":
        return all(CLASS_VALUE.match(c) for c in value.split())
    if name == "id":
        return value.startswith(HEADING_ID_PREFIX)
    return True


class _ReferenceRewriter(Treeprocessor):
    """Resolve relative links and image/media sources; drop what cannot be resolved."""

    def __init__(self, md, resolve: Resolver | None):
        super().__init__(md)
        self.resolve = resolve

    def run(self, root):
        for element in root.iter():
            for attribute, is_media in (("href", False), ("src", True)):
                url = element.get(attribute)
                if url is None:
                    continue
                if element.tag == "iframe":
                    embed = video_embed_url(url)
                    if embed:
                        element.set("src", embed)
                    else:
                        del element.attrib[attribute]
                    continue
                if is_local_reference(url):
                    resolved = self.resolve(url, is_media) if self.resolve else None
                    if resolved is None:
                        del element.attrib[attribute]
                    else:
                        element.set(attribute, resolved)


class _RewriteExtension(Extension):
    def __init__(self, resolve: Resolver | None):
        super().__init__()
        self.resolve = resolve

    def extendMarkdown(self, md):
        md.treeprocessors.register(_ReferenceRewriter(md, self.resolve), "lms_rewrite", 1)


def _heading_slug(value: str, separator: str) -> str:
    return HEADING_ID_PREFIX + slugify_unicode(value, separator)


_cleaner = bleach.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=_attribute_filter,
    protocols=ALLOWED_PROTOCOLS,
    strip=True,
    strip_comments=True,
)


def render_markdown(text: str, resolve: Resolver | None = None) -> str:
    """Markdown (tables, fenced code, heading anchors) to HTML that is safe to show."""
    md = markdown.Markdown(
        extensions=[
            "tables",
            "fenced_code",
            "sane_lists",
            TocExtension(slugify=_heading_slug, toc_depth="2-4"),
            _RewriteExtension(resolve),
        ],
        output_format="html",
    )
    # Raw HTML inside the Markdown is not seen by the tree processor: the cleaner's attribute
    # filter applies the same rules to it (allow-listed players, app paths for media).
    return _cleaner.clean(md.convert(text or ""))


def plain_text(text: str) -> str:
    """Searchable text of Markdown: rendered, tags removed, NFKC, case-folded, one space."""
    rendered = markdown.markdown(text or "", extensions=["tables", "fenced_code"])
    stripped = bleach.clean(rendered, tags=set(), strip=True)
    # Search text only, never shown as HTML: entities are decoded so "&" matches "&".
    return normalize_for_search(html.unescape(stripped))


def normalize_for_search(value: str) -> str:
    """NFKC + case folding + collapsed whitespace: full-width and half-width agree."""
    folded = unicodedata.normalize("NFKC", value).casefold()
    return " ".join(unicodedata.normalize("NFKC", folded).split())

