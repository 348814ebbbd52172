"""Baked badges: the Open Badges assertion embedded in the PNG or SVG badge image as the
Baking Specification says, read back out (pure), and the holder's download over HTTP."""

from __future__ import annotations

import io
import json
import struct
import zlib
from datetime import timedelta
from xml.etree import ElementTree

import pytest
from PIL import Image

from lms.credentials import baking
from lms.extensions import db
from lms.models import JobFunction, Role, utcnow
from tests.credentials.sharing_site import BASE, SVG, build_site, member, png
from tests.factories import make_org, make_user

ASSERTION = {"@context": "https://w3id.org/openbadges/v2", "type": "Assertion",
             "id": "https://academy.example/verify/abc.json", "issuedOn": "2026-02-03T04:05:06Z",
             "note": "ends a CDATA section: ]]> and is not ASCII: 認定"}
TEXT = json.dumps(ASSERTION, ensure_ascii=False)
VERIFY = "https://academy.example/verify/abc.json"
OB = "{http://openbadges.org}assertion"


def parse(svg: bytes | str) -> ElementTree.Element:
    """An SVG this module baked (no DOCTYPE, so no entities) as an element tree."""
    return ElementTree.fromstring(svg)  # noqa: S314


def chunk_types(data: bytes) -> list[bytes]:
    types, at = [], 8
    while at < len(data):
        (length,) = struct.unpack(">I", data[at:at + 4])
        types.append(data[at + 4:at + 8])
        at += 12 + length
    return types


# --- PNG ----------------------------------------------------------------------------------


def test_a_baked_png_holds_one_uncompressed_openbadges_itxt_chunk_before_iend():
    baked = baking.bake_png(png(), TEXT)

    assert chunk_types(baked) == [b"IHDR", b"IDAT", b"iTXt", b"IEND"]
    start = baked.index(b"iTXt") + 4
    assert baked[start:start + 15] == b"openbadges\x00\x00\x00\x00\x00"  # no compression
    assert json.loads(baking.read_png(baked)) == ASSERTION


def test_another_png_reader_finds_the_assertion_and_the_image_is_intact():
    baked = baking.bake_png(png(3, 2), TEXT)

    image = Image.open(io.BytesIO(baked))
    image.load()  # checks every chunk's CRC and the pixel data
    assert image.size == (3, 2)
    assert json.loads(image.text["openbadges"]) == ASSERTION


def test_baking_a_baked_png_replaces_its_assertion():
    twice = baking.bake_png(baking.bake_png(png(), TEXT), '{"id": "second"}')

    assert chunk_types(twice).count(b"iTXt") == 1
    assert baking.read_png(twice) == '{"id": "second"}'


def test_an_unbaked_png_has_no_assertion():
    assert baking.read_png(png()) is None


def test_a_compressed_chunk_of_another_issuer_is_read():
    body = b"openbadges\x00\x01\x00\x00\x00" + zlib.compress(TEXT.encode())
    chunk = struct.pack(">I", len(body)) + b"iTXt" + body + struct.pack(
        ">I", zlib.crc32(b"iTXt" + body))
    image = png()
    baked = image[:-12] + chunk + image[-12:]

    assert json.loads(baking.read_png(baked)) == ASSERTION


def damaged_crc() -> bytes:
    image = bytearray(png())
    image[29] ^= 0xFF  # the first byte of IHDR's CRC (signature 8 + length, type, 13 bytes)
    return bytes(image)


@pytest.mark.parametrize("broken", [b"GIF89a...", png()[:-12], png()[:20], damaged_crc()],
                         ids=["not-png", "no-iend", "truncated", "bad-crc"])
def test_what_is_not_a_whole_png_is_refused(broken):
    with pytest.raises(baking.BakingError):
        baking.bake_png(broken, TEXT)


# --- SVG ----------------------------------------------------------------------------------


def test_a_baked_svg_has_the_namespace_and_the_assertion_right_after_the_svg_tag():
    baked = baking.bake_svg(SVG.encode(), TEXT, VERIFY).decode()

    root = parse(baked)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    first = root[0]
    assert first.tag == OB
    assert first.get("verify") == VERIFY
    assert json.loads(first.text) == ASSERTION
    assert 'xmlns:openbadges="http://openbadges.org"' in baked
    assert "<![CDATA[" in baked
    assert baked.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<svg ')
    assert root.find("{http://www.w3.org/2000/svg}circle") is not None  # the drawing stays
    assert json.loads(baking.read_svg(baked.encode())) == ASSERTION


def test_baking_a_baked_svg_replaces_its_assertion():
    twice = baking.bake_svg(baking.bake_svg(SVG.encode(), TEXT, VERIFY), '{"id": "2"}',
                            "https://x.example/2").decode()

    assert twice.count("<openbadges:assertion") == 1
    assert twice.count("xmlns:openbadges") == 1
    assert baking.read_svg(twice.encode()) == '{"id": "2"}'


def test_an_svg_root_with_quoted_angle_brackets_or_no_content_is_baked():
    tricky = b'<svg xmlns="http://www.w3.org/2000/svg" aria-label="a > b" width="1"/>'

    baked = baking.bake_svg(tricky, TEXT, VERIFY)

    root = parse(baked)
    assert root.get("aria-label") == "a > b"
    assert json.loads(root[0].text) == ASSERTION


def test_a_signature_is_read_from_the_verify_attribute():
    signed = (b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="http://openbadges.org">'
              b'<openbadges:assertion verify="header.payload.signature"/></svg>')

    assert baking.read_svg(signed) == "header.payload.signature"
    assert baking.read_svg(SVG.encode()) is None


@pytest.mark.parametrize("document", [
    b"<html><body/></html>", b"\xff\xfe<\x00s\x00", b"not xml at all",
], ids=["html", "utf-16", "text"])
def test_what_is_not_an_svg_is_refused(document):
    with pytest.raises(baking.BakingError):
        baking.bake_svg(document, TEXT, VERIFY)


def test_reading_refuses_entities_rather_than_expanding_them():
    bomb = (b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa">'
            b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><svg>&b;</svg>')

    with pytest.raises(baking.BakingError):
        baking.read_svg(bomb)


def test_the_format_comes_from_the_file_name():
    assert [baking.image_format(n) for n in ("a/b.svg", "B.PNG", "c.gif", "noext")] == [
        "svg", "png", None, None]
    with pytest.raises(baking.BakingError):
        baking.bake(b"", "gif", TEXT, VERIFY)


# --- The holder's download ----------------------------------------------------------------


@pytest.fixture
def site(make_app, tmp_path):
    site = build_site(make_app, tmp_path)
    with site.app.app_context():
        yield site


def download(client, path: str):
    response = client.get(path)
    data = response.get_data()
    response.close()
    return response, data


@pytest.mark.parametrize(("slug", "image_format", "mimetype"), [
    ("demo-badge", "svg", "image/svg+xml"), ("demo-cert", "png", "image/png")])
def test_the_holder_downloads_the_badge_with_the_assertion_of_verify_json(
        site, slug, image_format, mimetype):
    me = member(job=JobFunction.TECHNICAL)
    award = site.give(me, slug, issued=utcnow() - timedelta(days=3),
                      validity_months=24 if slug == "demo-cert" else None)

    response, data = download(site.client(me), f"/credentials/{award.id}/badge.{image_format}")

    assert response.status_code == 200
    assert response.mimetype == mimetype
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="{slug}.{image_format}"')
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert "no-store" in response.headers["Cache-Control"]
    public = site.client().get(f"/verify/{award.verification_code}.json").get_json()
    assert json.loads(baking.read_baked(data, image_format)) == public
    assert public["id"] == f"{BASE}/verify/{award.verification_code}.json"
    assert me.email not in data.decode("utf-8", errors="replace")
    if image_format == "svg":
        element = parse(data).find(OB)
        assert element.get("verify") == public["id"]


def test_the_download_links_of_my_credentials_work(site):
    me = member(job=JobFunction.TECHNICAL)
    award = site.give(me, "demo-cert", issued=utcnow() - timedelta(days=3), validity_months=24)
    client = site.client(me)

    text = client.get("/credentials").get_data(as_text=True)
    response, data = download(client, f"/credentials/{award.id}/badge.png")

    assert f'href="/credentials/{award.id}/badge.png" download' in text
    assert response.status_code == 200 and data.startswith(b"\x89PNG")


def test_nobody_else_may_download_a_persons_baked_badge(site):
    org = make_org()
    holder, colleague = member(org=org), member(org=org)
    award = site.give(holder, "demo-badge", issued=utcnow() - timedelta(days=3))
    path = f"/credentials/{award.id}/badge.svg"

    for other in (colleague, make_user(Role.PARTNER_ADMIN, org), make_user(Role.MANAGER),
                  make_user(Role.ADMIN)):
        response, _ = download(site.client(other), path)
        assert response.status_code == 404, other.role
    anonymous, _ = download(site.client(), path)
    assert anonymous.status_code == 302
    assert anonymous.headers["Location"].startswith("/login")
    missing, _ = download(site.client(holder), "/credentials/999999/badge.svg")
    assert missing.status_code == 404


def test_a_revoked_award_or_the_wrong_format_cannot_be_downloaded(site):
    me = member()
    award = site.give(me, "demo-badge", issued=utcnow() - timedelta(days=3))
    client = site.client(me)

    wrong, _ = download(client, f"/credentials/{award.id}/badge.png")
    other, _ = download(client, f"/credentials/{award.id}/badge.gif")
    award.revoked_at, award.revoked_reason = utcnow(), "Shared exam answers."
    db.session.commit()
    revoked, _ = download(client, f"/credentials/{award.id}/badge.svg")

    assert (wrong.status_code, other.status_code, revoked.status_code) == (404, 404, 404)
