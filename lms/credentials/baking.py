"""Baked badges (Open Badges Baking Specification): the assertion embedded in the badge image,
so the image file alone says who earned what and where to verify it. Pure: bytes in, bytes out.

PNG: one uncompressed iTXt chunk with the keyword "openbadges" holding the assertion JSON,
placed before IEND. SVG: an xmlns:openbadges="http://openbadges.org" namespace on the root
<svg> and, directly after its start tag, <openbadges:assertion verify="(assertion URL)"> with
the JSON in CDATA. Baking an already baked image replaces its assertion (one per image).
"""

from __future__ import annotations

import re
import struct
import zlib
from xml.etree import ElementTree
from xml.sax.saxutils import quoteattr

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
KEYWORD = b"openbadges"
NAMESPACE = "http://openbadges.org"
FORMATS = {"png": "image/png", "svg": "image/svg+xml"}

# Before the root element: a byte order mark, the XML declaration, comments, processing
# instructions, a DOCTYPE without an internal subset, white space.
_PROLOG = re.compile(r"\A(?:\ufeff)?(?:\s+|<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^\[>]*>)*", re.S)
# The root start tag; attribute values may hold ">" inside their quotes.
_SVG_START = re.compile(r"<svg\b((?:[^>\"']|\"[^\"]*\"|'[^']*')*?)(/?)>")
_BAKED = re.compile(r"<openbadges:assertion\b(?:[^>\"']|\"[^\"]*\"|'[^']*')*?"
                    r"(?:/>|>.*?</openbadges:assertion\s*>)\s*", re.S)
_NAMESPACE_ATTRIBUTE = re.compile(r"\sxmlns:openbadges\s*=")


class BakingError(ValueError):
    """The image is not a PNG or SVG this module can bake or read."""


def image_format(filename: str) -> str | None:
    """"png" or "svg" for a badge image file name; None for anything else."""
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    return suffix if suffix in FORMATS else None


def bake(image: bytes, image_format: str, assertion_json: str, verify_url: str) -> bytes:
    """The image with `assertion_json` (hosted at `verify_url`) baked in."""
    if image_format == "png":
        return bake_png(image, assertion_json)
    if image_format == "svg":
        return bake_svg(image, assertion_json, verify_url)
    raise BakingError(f"cannot bake a {image_format!r} image")


def read_baked(image: bytes, image_format: str) -> str | None:
    """The assertion baked into the image (JSON, or a signature/URL); None if there is none."""
    if image_format == "png":
        return read_png(image)
    if image_format == "svg":
        return read_svg(image)
    raise BakingError(f"cannot read a {image_format!r} image")


# --- PNG ----------------------------------------------------------------------------------


def _chunks(png: bytes) -> list[tuple[bytes, bytes, bytes]]:
    """(type, data, the whole chunk as stored) of every chunk; the structure checked."""
    if not png.startswith(PNG_SIGNATURE):
        raise BakingError("not a PNG image")
    chunks, at = [], len(PNG_SIGNATURE)
    while at < len(png):
        if at + 12 > len(png):
            raise BakingError("truncated PNG chunk")
        (length,) = struct.unpack(">I", png[at:at + 4])
        end = at + 12 + length
        if length > 2**31 - 1 or end > len(png):
            raise BakingError("truncated PNG chunk")
        kind, data = png[at + 4:at + 8], png[at + 8:at + 8 + length]
        (crc,) = struct.unpack(">I", png[end - 4:end])
        if zlib.crc32(kind + data) != crc:
            raise BakingError(f"bad CRC in PNG chunk {kind!r}")
        chunks.append((kind, data, png[at:end]))
        at = end
        if kind == b"IEND":
            break
    if not chunks or chunks[0][0] != b"IHDR" or chunks[-1][0] != b"IEND":
        raise BakingError("a PNG must start with IHDR and end with IEND")
    return chunks


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _itxt_fields(data: bytes) -> tuple[bytes, int, bytes] | None:
    """(keyword, compression flag, text bytes) of an iTXt chunk; None if malformed."""
    keyword, sep, rest = data.partition(b"\x00")
    if not sep or len(rest) < 2:
        return None
    flag, rest = rest[0], rest[2:]
    _language, sep1, rest = rest.partition(b"\x00")
    _translated, sep2, text = rest.partition(b"\x00")
    if not (sep1 and sep2):
        return None
    return keyword, flag, text


def _is_openbadges(kind: bytes, data: bytes) -> bool:
    fields = _itxt_fields(data) if kind == b"iTXt" else None
    return fields is not None and fields[0] == KEYWORD


def bake_png(png: bytes, text: str) -> bytes:
    """The PNG with an uncompressed iTXt "openbadges" chunk holding `text`, before IEND."""
    chunks = [c for c in _chunks(png) if not _is_openbadges(c[0], c[1])]
    # keyword, NUL, compression flag 0, method 0, empty language tag NUL, empty translated
    # keyword NUL, UTF-8 text: the spec forbids compression.
    itxt = _chunk(b"iTXt", KEYWORD + b"\x00\x00\x00\x00\x00" + text.encode("utf-8"))
    return PNG_SIGNATURE + b"".join(c[2] for c in chunks[:-1]) + itxt + chunks[-1][2]


def read_png(png: bytes) -> str | None:
    """The text of the first iTXt "openbadges" chunk (decompressed if an issuer did)."""
    for kind, data, _whole in _chunks(png):
        fields = _itxt_fields(data) if kind == b"iTXt" else None
        if fields is not None and fields[0] == KEYWORD:
            text = fields[2]
            if fields[1]:
                try:
                    text = zlib.decompress(text)
                except zlib.error as error:
                    raise BakingError("bad compressed iTXt text") from error
            return text.decode("utf-8")
    return None


# --- SVG ----------------------------------------------------------------------------------


def _cdata(text: str) -> str:
    # "]]>" would end the section early: split it over two sections.
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def bake_svg(svg: bytes, assertion_json: str, verify_url: str) -> bytes:
    """The SVG with the openbadges namespace on its root and the assertion right after it."""
    try:
        text = svg.decode("utf-8")
    except UnicodeDecodeError as error:
        raise BakingError("an SVG badge must be UTF-8") from error
    text = _BAKED.sub("", text)
    prolog = _PROLOG.match(text)
    start = _SVG_START.match(text, prolog.end() if prolog else 0)
    if start is None:
        raise BakingError("not an SVG document: the root element must be <svg>")
    attributes, empty = start.group(1), start.group(2)
    if not _NAMESPACE_ATTRIBUTE.search(attributes):
        attributes += f' xmlns:openbadges="{NAMESPACE}"'
    element = (f"<openbadges:assertion verify={quoteattr(verify_url)}>"
               f"{_cdata(assertion_json)}</openbadges:assertion>")
    baked = f"<svg{attributes}>\n{element}\n" + ("</svg>" if empty else "")
    return (text[:start.start()] + baked + text[start.end():]).encode("utf-8")


def read_svg(svg: bytes) -> str | None:
    """The JSON of the first <openbadges:assertion> (or its verify attribute when it has no
    body: a signature). A document type (where entities are declared) is refused."""
    try:
        text = svg.decode("utf-8")
    except UnicodeDecodeError as error:
        raise BakingError("an SVG badge must be UTF-8") from error
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        raise BakingError("an SVG badge may not declare a document type or entities")
    try:
        # Safe without defusedxml: with no DOCTYPE there is no entity to expand or fetch.
        root = ElementTree.fromstring(text)  # noqa: S314
    except ElementTree.ParseError as error:
        raise BakingError(f"not well-formed XML: {error}") from error
    element = root.find(f".//{{{NAMESPACE}}}assertion")
    if element is None:
        return None
    body = (element.text or "").strip()
    return body or element.get("verify")
