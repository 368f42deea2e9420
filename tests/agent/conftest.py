"""Fixtures for driving the agent through the running gateway: the bot enabled over a small
knowledge base in the real store (articles + approved examples), and helpers to post customer
messages and read what happened on the ticket."""

from __future__ import annotations

import pytest

from agent_graph.retrieval import shared_embedder
from store.actor import SYSTEM
from store.knowledge import examples as kb_examples
from store.knowledge import service as kb_articles
from store.knowledge.schemas import ArticleCreate

ARTICLES = [
    (
        "Reset your password",
        "en",
        "To reset your password, open the sign-in page and choose **Forgot password**. "
        "We email you a link that works for one hour.",
    ),
    (
        "Track your order",
        "en",
        "Follow your parcel with the tracking link in your shipping confirmation email. "
        "Tracking starts within 24 hours of dispatch.",
    ),
    (
        "Change the email address on your account",
        "en",
        "Go to Settings > Profile and edit the email address on your account. "
        "We send a confirmation to the new address.",
    ),
    (
        "Change the phone number on your account",
        "en",
        "Go to Settings > Profile and edit the phone number on your account. "
        "We text a code to the new number.",
    ),
    (
        "Passwort zurücksetzen",
        "de",
        "Öffnen Sie die Anmeldeseite und wählen Sie **Passwort vergessen**. "
        "Der Link in der E-Mail gilt eine Stunde.",
    ),
]

EXAMPLES = [
    ("I forgot my password", "reset_password", "Use Forgot password on the sign-in page."),
    ("how can I reset my password", "reset_password", "Use Forgot password on the sign-in page."),
    ("my password does not work anymore", "reset_password", "Use Forgot password on sign-in."),
    ("where is my package", "track_order", "The tracking link is in your shipping email."),
    ("has my order shipped yet", "track_order", "The tracking link is in your shipping email."),
    ("track my delivery", "track_order", "The tracking link is in your shipping email."),
]


class KnowledgeBase:
    """Seeds the real knowledge store the bot retrieves from."""

    def __init__(self, db):
        self.db = db

    async def add_articles(self, rows=ARTICLES) -> None:
        async with self.db.uow() as session:
            for title, locale, body in rows:
                data = ArticleCreate(title=title, body=body, locale=locale, status="published")
                await kb_articles.create(
                    session, data=data, actor=SYSTEM, embedder=shared_embedder()
                )

    async def add_examples(self, rows=EXAMPLES) -> None:
        async with self.db.uow() as session:
            for text, label, answer in rows:
                await kb_examples.create(
                    session,
                    text=text,
                    label=label,
                    answer=answer,
                    status="approved",
                    actor=SYSTEM,
                    embedder=shared_embedder(),
                )


@pytest.fixture
async def kb(app):
    """The bot's default agent (the real retriever) over the articles above."""
    app.state.dispatcher.ctx.extras.pop("agent", None)
    knowledge = KnowledgeBase(app.state.db)
    await knowledge.add_articles()
    return knowledge


async def configure(client, headers, **settings) -> dict:
    r = await client.patch(
        "/api/v1/agent/settings", json={"enabled": True, **settings}, headers=headers
    )
    assert r.status_code == 200, r.text
    return r.json()


async def ask(app, client, headers, text: str, *, ext: str, email="carol@example.com") -> int:
    """A customer message through the inbound API, then every job it triggers."""
    body = {"external_id": ext, "customer": {"email": email, "name": "Carol"}, "body": text}
    r = await client.post("/api/v1/inbound", json=body, headers=headers)
    assert r.status_code in (200, 201), r.text
    await app.state.dispatcher.drain()
    return r.json()["ticket_id"]


async def messages(client, headers, ticket_id: int) -> list[dict]:
    return (await client.get(f"/api/v1/tickets/{ticket_id}/messages", headers=headers)).json()


async def bot_messages(client, headers, ticket_id: int) -> list[dict]:
    return [m for m in await messages(client, headers, ticket_id) if m["author_kind"] == "bot"]


async def traces(client, headers, ticket_id: int, kind="agent.decision") -> list[dict]:
    r = await client.get(f"/api/v1/tickets/{ticket_id}/agent/traces", headers=headers)
    assert r.status_code == 200, r.text
    return [e["payload"] for e in r.json() if e["type"] == kind]


async def ticket(client, headers, ticket_id: int) -> dict:
    return (await client.get(f"/api/v1/tickets/{ticket_id}", headers=headers)).json()
