"""Admin pages and the team dashboard over HTTP: who may open them, that they show what the
API holds (rules in words, the widget's embed snippet, delivery logs, pending examples), and
that no secret ever reaches their HTML."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest

from store.actor import Actor
from store.agent.schemas import RuleConditions
from store.db import utcnow
from store.tickets import service as tickets
from store.tickets.models import Message, Ticket
from store.tickets.schemas import TicketCreate
from store.tickets.stats import team_stats
from tests.integration.test_console import add_user, sign_in

ADMIN_PAGES = [
    "/console/admin/rules",
    "/console/admin/channels",
    "/console/admin/staff",
    "/console/admin/kb",
    "/console/admin/bot",
    "/console/admin/keys",
    "/console/admin/webhooks",
    "/console/admin/config",
]
SECRETS = {
    "widget": "widget-identity-secret-42",
    "imap": "imap-password-s3cret",
    "slack_token": "xoxb-1111-2222-slacktoken",
    "slack_signing": "slack-signing-secret-abc",
    "llm": "sk-llm-key-never-shown",
    "tool": "tool-bearer-secret-xyz",
    "webhook": "webhook-secret-0123456789",
}


async def signed_in_admin(app, client) -> None:
    await add_user(app, "ada", role="admin")
    await sign_in(client, "ada")


async def seed(client, headers) -> dict:
    """One of everything the admin pages list, through the API, secrets included."""
    post = lambda path, body: client.post(path, json=body, headers=headers)  # noqa: E731
    ids = {}
    accounts = [
        {
            "channel": "webchat",
            "name": "Website",
            "config": {"widget_key": "pk_live_site_1", "secret": SECRETS["widget"]},
        },
        {
            "channel": "email",
            "name": "Support inbox",
            "config": {
                "address": "help@shop.example",
                "imap_host": "imap.shop.example",
                "imap_port": 993,
                "imap_user": "help",
                "imap_password": SECRETS["imap"],
                "smtp_host": "smtp.shop.example",
                "smtp_port": 587,
            },
        },
        {
            "channel": "slack",
            "name": "Customer Slack",
            "config": {
                "bot_token": SECRETS["slack_token"],
                "signing_secret": SECRETS["slack_signing"],
                "channel_ids": ["C0123"],
            },
        },
    ]
    for body in accounts:
        assert (r := await post("/api/v1/channels", body)).status_code == 201, r.text
    team = await post("/api/v1/teams", {"name": "Billing desk"})
    ids["team"] = team.json()["id"]
    user = {"email": "zoe@example.com", "password": "long enough pw", "name": "Zoe"}
    user |= {"skills": ["billing"], "languages": ["de"], "capacity": 7}
    assert (await post("/api/v1/users", user)).status_code == 201
    settings = {
        "enabled": True,
        "llm_base_url": "http://llm.local/v1",
        "llm_api_key": SECRETS["llm"],
        "tool_hosts": ["api.shop.example"],
    }
    r = await client.patch("/api/v1/agent/settings", json=settings, headers=headers)
    assert r.status_code == 200, r.text
    tool = {
        "name": "order_status",
        "url_template": "https://api.shop.example/orders/{id}",
        "secret_header": "Authorization",
        "secret_value": SECRETS["tool"],
    }
    assert (r := await post("/api/v1/agent/tools", tool)).status_code == 201, r.text
    rule = {"name": "Refunds to humans", "conditions": {"keywords": ["refund"], "vip": True}}
    assert (await post("/api/v1/agent/escalation-rules", rule)).status_code == 201
    route = {"name": "German billing", "team_id": ids["team"]}
    route |= {"conditions": {"languages": ["de"], "priorities": ["high"]}}
    assert (await post("/api/v1/agent/routing-rules", route)).status_code == 201
    key = await post("/api/v1/api-keys", {"name": "CRM sync", "scopes": ["tickets:read"]})
    ids["key"] = key.json()["key"]
    hook = {"url": "http://127.0.0.1:9/hook", "secret": SECRETS["webhook"]}
    ids["webhook"] = (await post("/api/v1/webhooks", hook)).json()["id"]
    field = {"key": "order_number", "label": "Order number", "type": "text"}
    assert (await post("/api/v1/fields", field)).status_code == 201
    macro = {"name": "Refund sent", "body": "Your refund is on its way.", "actions": {}}
    assert (await post("/api/v1/macros", macro)).status_code == 201
    example = {"text": "Can I pay by invoice?", "label": "invoice", "answer": "Yes, on request."}
    r = await client.post(
        "/api/v1/kb/examples/import?status=pending",
        content=json.dumps(example),
        headers=headers,
    )
    assert r.json()["created"] == 1, r.text
    article = {"title": "Shipping times", "body": "Parcels ship in 2 days.", "status": "published"}
    assert (await post("/api/v1/kb/articles", article)).status_code == 201
    return ids


@pytest.mark.parametrize("path", ADMIN_PAGES + ["/console/stats/team"])
async def test_signed_out_is_sent_to_login(client, path):
    response = await client.get(path)
    assert response.status_code == 303
    assert response.headers["location"] == f"/console/login?next={path}"


async def test_an_agent_gets_the_forbidden_page_on_every_admin_page(app, client):
    await add_user(app, "ana")
    await sign_in(client, "ana")
    for path in ADMIN_PAGES + ["/console/admin/webhooks/1"]:
        page = await client.get(path)
        assert page.status_code == 403, path
        assert "Admins only" in page.text
    assert (await client.get("/console/stats/team")).status_code == 200  # the team's numbers


async def test_admin_pages_show_the_apis_data_and_never_a_secret(app, client, admin_headers):
    ids = await seed(client, admin_headers)
    await signed_in_admin(app, client)
    expected = {
        "/console/admin/rules": [
            "Refunds to humans",
            "text contains &#34;refund&#34;",
            "customer is a VIP",
            "German billing",
            "language is &#34;de&#34; and priority is high",
            "Billing desk",
        ],
        "/console/admin/channels": [
            "Support inbox",
            "help@shop.example",
            'imap_password</dt><dd class="muted">set (hidden)',
            "data-widget-key=&#34;pk_live_site_1&#34;",
            "/widget.js",
        ],
        "/console/admin/staff": ["Zoe", "zoe@example.com", "billing", "Billing desk"],
        "/console/admin/kb": ["Can I pay by invoice?", "Shipping times", "Approve"],
        "/console/admin/bot": [
            "http://llm.local/v1",
            "set: leave blank to keep it",
            "order_status",
        ],
        "/console/admin/keys": ["CRM sync", f"{ids['key'][:8]}"],
        "/console/admin/webhooks": ["http://127.0.0.1:9/hook", "every event"],
        "/console/admin/config": ["order_number", "Refund sent", "Your refund is on its way."],
        f"/console/admin/webhooks/{ids['webhook']}": ["Deliveries", "http://127.0.0.1:9/hook"],
    }
    everything = []
    for path, needles in expected.items():
        page = await client.get(path)
        assert page.status_code == 200, path
        for needle in needles:
            assert needle in page.text, f"{path}: {needle!r} missing"
        everything.append(page.text)
    html = "\n".join(everything)
    for name, secret in {**SECRETS, "api key": ids["key"]}.items():
        assert secret not in html, f"the {name} secret leaked into an admin page"
    assert "key_hash" not in html


async def test_admin_landing_and_sidebar_list_every_section(app, client):
    await signed_in_admin(app, client)
    page = await client.get("/console/admin")
    for path in ADMIN_PAGES:
        assert f'href="{path}"' in page.text
    rules = await client.get("/console/admin/rules")
    assert re.search(r'href="/console/admin/rules" aria-current="page"', rules.text)


async def test_the_rule_builder_offers_exactly_what_each_schema_accepts(app, client):
    await signed_in_admin(app, client)
    page = (await client.get("/console/admin/rules")).text
    escalation, routing = (
        page.split('aria-label="New routing rule"') if "New routing" in page else (page, "")
    )
    kinds = set(re.findall(r'data-cond="(\w+)"', escalation))
    assert kinds == {
        "keywords", "matches", "channels", "intents", "languages", "tags", "priorities",
        "vip", "contact_attributes", "asks_human", "sentiment_below", "confidence_below",
        "min_bot_turns", "window",
    }  # fmt: skip
    assert kinds == set(RuleConditions.model_fields)  # every condition the schema accepts
    assert 'name="conditions.window.start"' in escalation
    assert routing == ""  # no team yet: the page says to create one first
    assert "create a team" in page


async def test_a_missing_webhook_log_is_a_404_page(app, client):
    await signed_in_admin(app, client)
    page = await client.get("/console/admin/webhooks/999")
    assert page.status_code == 404 and "Webhook 999" in page.text


async def test_article_files_are_imported_as_drafts_and_reimport_updates(app, client):
    await signed_in_admin(app, client)
    page = await client.get("/console/admin/kb")
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', page.text)[1]
    files = [
        ("file", ("returns.md", b"# Returns policy\n\nReturn within 30 days.", "text/markdown")),
        ("file", ("faq.html", b"<title>FAQ</title><h1>FAQ</h1><p>We ship.</p>", "text/html")),
    ]  # fmt: skip
    forged = await client.post("/console/admin/kb/import", files=files)
    assert forged.status_code == 403
    sent = await client.post(
        "/console/admin/kb/import", files=files, headers={"X-CSRF-Token": csrf}
    )
    assert sent.json() == {"created": 2, "updated": 0, "unchanged": 0}
    again = [
        ("file", ("returns.md", b"# Returns policy\n\nReturn within 60 days.", "text/markdown"))
    ]
    sent = await client.post(
        "/console/admin/kb/import", files=again, headers={"X-CSRF-Token": csrf}
    )
    assert sent.json() == {"created": 0, "updated": 1, "unchanged": 0}
    bad = [("file", ("run.exe", b"MZ", "application/octet-stream"))]
    refused = await client.post(
        "/console/admin/kb/import", files=bad, headers={"X-CSRF-Token": csrf}
    )
    assert refused.status_code == 422
    page = (await client.get("/console/admin/kb")).text
    assert "Returns policy" in page and "FAQ" in page and "upload:returns.md" in page


async def ticket_at(
    app,
    subject,
    channel,
    *,
    created,
    first_response=None,
    solved=None,
    owner="bot",
    bot_reply=False,
):  # noqa: E501
    actor = Actor("system", None, "test")
    async with app.state.db.uow() as session:
        data = TicketCreate(subject=subject, body=subject, customer={"email": "c@x.org"})
        ticket = await tickets.create(session, data=data, actor=actor)
        row = await session.get(Ticket, ticket.id)
        row.channel, row.created_at, row.owner = channel, created, owner
        row.first_response_at, row.solved_at = first_response, solved
        if bot_reply:
            reply = Message(ticket_id=row.id, direction="out", author_kind="bot", channel=channel)
            session.add(reply)
        return row.id


async def test_team_stats_count_per_day_channel_and_bot_outcome(app, client):
    now = utcnow()
    day = timedelta(days=1)
    # 09:00 two days ago: solved two hours later, still that day whatever time the test runs
    t0 = (now - 2 * day).replace(hour=9, minute=0, second=0, microsecond=0)
    await ticket_at(app, "a", "email", created=t0, first_response=t0 + timedelta(minutes=10),
                    solved=t0 + timedelta(hours=2), owner="human")  # fmt: skip
    await ticket_at(app, "b", "webchat", created=t0, first_response=t0 + timedelta(minutes=30),
                    bot_reply=True)  # fmt: skip
    await ticket_at(app, "c", "webchat", created=now - timedelta(minutes=5), bot_reply=True)
    await ticket_at(app, "d", "webchat", created=now - 40 * day)  # outside the period
    async with app.state.db.read() as session:
        stats = await team_stats(session, days=7, now=now)
    assert stats.created == 3 and stats.solved == 1
    assert dict(stats.by_channel) == {"webchat": 2, "email": 1}
    assert stats.by_channel[0][0] == "webchat"
    assert stats.bot == {"bot_answered": 2, "escalated": 1, "unanswered": 0}
    assert stats.bot_rate == pytest.approx(2 / 3)
    assert len(stats.per_day) == 7 and stats.per_day[-1].day == now.date()
    two_days_ago = next(d for d in stats.per_day if d.day == t0.date())
    assert (two_days_ago.created, two_days_ago.solved) == (2, 1)
    assert two_days_ago.median_first_response == timedelta(minutes=20)
    assert stats.median_resolution == timedelta(hours=2)

    await add_user(app, "ana")
    await sign_in(client, "ana")
    page = await client.get("/console/stats/team?days=7")
    assert page.status_code == 200
    assert '<span class="tile-value" data-stat="created">3</span>' in page.text
    assert '<b data-bot="escalated">1</b>' in page.text
    assert "67 %" in page.text
    assert page.text.count('<rect class="bar s0"') == 2 + 1  # created on two days; a median
    assert page.text.count('<rect class="bar s1"') == 1  # one solved bar
    assert "Web chat" in page.text and "20 min" in page.text  # tooltip of the median bar


async def test_team_dashboard_with_no_tickets(app, client):
    await add_user(app, "ana")
    await sign_in(client, "ana")
    page = await client.get("/console/stats/team")
    assert page.status_code == 200 and "Nothing in this period yet." in page.text
    assert 'data-stat="bot-rate">—<' in page.text
