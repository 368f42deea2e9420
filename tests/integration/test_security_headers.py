"""Security headers: nosniff and a referrer policy everywhere, a CSP on the console (never
framed) and on the widget demo page (framed only where the widget is configured), inert
stored files; the demo page fits a phone and the gateway has an icon."""

from __future__ import annotations

import struct

from channels.webchat.verify import new_visitor, sign_visitor

WIDGET = "pk_demo_widget_key"


def csp(response) -> dict[str, str]:
    parts = [p.strip() for p in response.headers["content-security-policy"].split(";")]
    return {p.split(" ", 1)[0]: p.split(" ", 1)[1] if " " in p else "" for p in parts if p}


async def add_widget(client, headers, **config) -> None:
    body = {"channel": "webchat", "name": "Site", "config": {"widget_key": WIDGET, **config}}
    r = await client.post("/api/v1/channels", json=body, headers=headers)
    assert r.status_code == 201, r.text


async def test_every_answer_says_nosniff_and_keeps_the_referrer_home(client, admin_headers):
    for r in (
        await client.get("/api/v1/tickets", headers=admin_headers),
        await client.get("/api/v1/tickets"),  # an error answer too
        await client.get("/healthz"),
    ):
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "strict-origin-when-cross-origin"


async def test_the_console_runs_only_its_own_scripts_and_is_never_framed(client):
    page = await client.get("/console/login")
    policy = csp(page)
    assert policy["script-src"] == "'self'" and policy["object-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'" and page.headers["x-frame-options"] == "DENY"
    assert policy["form-action"] == "'self'" and "'unsafe-eval'" not in str(policy)


async def test_the_demo_page_is_framed_only_where_the_widget_is_allowed(client, admin_headers):
    origins = ["https://shop.example", "https://evil.example; script-src *", "*"]
    await add_widget(client, admin_headers, allowed_origins=origins)
    page = await client.get("/demo")
    assert page.status_code == 200
    policy = csp(page)
    assert policy["frame-ancestors"] == "'self' https://shop.example"  # the rest is no origin
    assert policy["script-src"] == "'self'" and policy["connect-src"] == "'self'"
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page.text
    assert '<link rel="icon" href="/favicon.svg"' in page.text


async def test_a_widget_without_origins_is_framed_by_this_site_only(client, admin_headers):
    await add_widget(client, admin_headers)
    assert csp(await client.get(f"/demo?key={WIDGET}"))["frame-ancestors"] == "'self'"


async def test_the_gateway_has_an_icon(client):
    ico = await client.get("/favicon.ico")
    assert ico.status_code == 200 and ico.headers["content-type"] == "image/x-icon"
    reserved, kind, count = struct.unpack("<HHH", ico.content[:6])
    assert (reserved, kind, count) == (0, 1, 1) and ico.content[22:26] == b"\x89PNG"
    svg = await client.get("/favicon.svg")
    assert svg.headers["content-type"] == "image/svg+xml" and svg.text.startswith("<svg")


async def test_the_root_address_leads_to_the_console(client):
    home = await client.get("/")
    assert home.status_code == 307 and home.headers["location"] == "/console"


async def test_stored_files_are_served_inert(app, client):
    token = sign_visitor(app.state.settings.secret, new_visitor(1, None))
    files = {"file": ("x.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/svg+xml")}
    up = await client.post("/widget/api/uploads", files=files, headers={"X-Visitor-Token": token})
    assert up.status_code == 200
    served = await client.get(up.json()["url"])
    assert served.status_code == 200 and "sandbox" in csp(served)
    assert served.headers["x-content-type-options"] == "nosniff"
