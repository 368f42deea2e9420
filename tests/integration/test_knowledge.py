"""Knowledge base on SQLite and PostgreSQL: articles through the API (audited), chunks by
heading, full-text search in the database, fused retrieval with locale preference, the
incremental in-memory index, public search, bulk import, and resolution examples."""

from __future__ import annotations

import json

import numpy as np
from sqlalchemy import select

from agent_graph.retrieval import KnowledgeIndex, retrieve, section_of, shared_embedder
from gateway.cli import build_parser
from gateway.cli.kb import import_knowledge
from store.actor import SYSTEM
from store.knowledge import examples
from store.knowledge import service as kb
from store.knowledge.schemas import ArticleCreate, ArticleUpdate
from store.knowledge.search import search_chunks
from store.messages import Identity, InboundMessage
from store.outbox.models import Event
from store.tickets.ingest import ingest

PASSWORD = (
    "Reset your password",
    "## Forgot your password\nClick Forgot password on the sign-in page; we email a reset "
    "link that works for 24 hours.\n\n## The reset link expired\nRequest a new link; only the "
    "newest one works.\n\n## Two-factor codes\nCodes come from your authenticator app.",
)
REFUNDS = (
    "Refunds",
    "## Charged twice\nA duplicate charge drops off within 3 days; otherwise we refund it.\n\n"
    "## Refund times\nRefunds reach your card in 5 to 10 business days.",
)
SHIPPING = ("Shipping", "We ship to Canada in 5 to 8 business days. Duties are included.")


async def add(db, title, body, *, locale="en", status="published", embedder=None):
    async with db.uow() as session:
        data = ArticleCreate(title=title, body=body, locale=locale, status=status)
        article = await kb.create(
            session, data=data, actor=SYSTEM, embedder=embedder or shared_embedder()
        )
        return article.id


async def kb_events(db) -> list[tuple[str, str]]:
    async with db.read() as session:
        rows = await session.execute(
            select(Event.type, Event.actor_kind).where(Event.type.like("kb.%")).order_by(Event.id)
        )
        return [tuple(r) for r in rows]


class CountingEmbedder:
    """The real embedder, counting every text it is asked to embed."""

    def __init__(self, inner):
        self.wrapped, self.model_id, self.dim, self.texts = inner, inner.model_id, inner.dim, 0
        self.seen: list[str] = []

    def embed(self, texts):
        self.texts += len(texts)
        self.seen += texts
        return self.wrapped.embed(texts)


async def test_article_crud_through_the_api_is_audited(app, client, admin_headers):
    h = admin_headers
    body = {"title": "Reset your password", "body": PASSWORD[1], "tags": ["Account"]}
    created = await client.post(
        "/api/v1/kb/articles", json=body | {"status": "published"}, headers=h
    )
    assert created.status_code == 201, created.text
    article = created.json()
    assert article["tags"] == ["account"] and article["locale"] == "en"
    url = f"/api/v1/kb/articles/{article['id']}"
    assert (await client.get(url, headers=h)).json()["title"] == "Reset your password"
    changed = await client.patch(url, json={"title": "Passwords", "status": "draft"}, headers=h)
    assert changed.status_code == 200 and changed.json()["status"] == "draft"
    listed = await client.get("/api/v1/kb/articles?status=draft", headers=h)
    assert [a["id"] for a in listed.json()] == [article["id"]]
    bad = await client.post("/api/v1/kb/articles", json={"title": "x", "locale": "1"}, headers=h)
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"
    assert (await client.delete(url, headers=h)).status_code == 204
    missing = await client.get(url, headers=h)
    assert (
        missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"
    )
    assert await kb_events(app.state.db) == [
        ("kb.article.created", "apikey"),
        ("kb.article.updated", "apikey"),
        ("kb.article.deleted", "apikey"),
    ]
    async with app.state.db.read() as session:
        query = select(Event.before, Event.after).where(Event.type == "kb.article.updated")
        updated = (await session.execute(query)).one()
    assert updated.before == {"title": "Reset your password", "status": "published"}
    assert updated.after == {"title": "Passwords", "status": "draft"}


async def test_published_articles_are_chunked_by_heading_and_drafts_not_at_all(app):
    db = app.state.db
    published = await add(db, *PASSWORD)
    draft = await add(db, *REFUNDS, status="draft")
    async with db.read() as session:
        chunks = await kb.list_chunks(session, article_id=published)
        assert await kb.list_chunks(session, article_id=draft) == []
        chunks = [(c.heading, c.text, c.embedding) for c in chunks]
    assert [heading for heading, _, _ in chunks] == [
        "Reset your password > Forgot your password",
        "Reset your password > The reset link expired",
        "Reset your password > Two-factor codes",
    ]
    assert chunks[1][1].startswith("Request a new link")
    vec = np.frombuffer(chunks[0][2], np.float32)
    assert vec.shape == (384,) and abs(float(np.linalg.norm(vec)) - 1) < 1e-3


async def test_full_text_search_finds_words_and_their_forms(app):
    db = app.state.db
    await add(db, *PASSWORD)
    refunds = await add(db, *REFUNDS)
    async with db.read() as session:
        hits = await search_chunks(session, "refunded twice?")  # stems: refund, twice
        assert hits and hits[0].article_id == refunds
        assert {h.article_id for h in hits} == {refunds}
        assert await search_chunks(session, "the and of") == []  # nothing but stop words
        assert await search_chunks(session, "zeppelin") == []
        assert await search_chunks(session, 'refund" OR "x') != []  # quotes are not syntax


async def test_retrieve_finds_the_article_for_a_paraphrase_in_the_right_locale(app):
    db = app.state.db
    password = await add(db, *PASSWORD)
    await add(db, *REFUNDS)
    await add(db, *SHIPPING)
    german = await add(
        db,
        "Passwort zurücksetzen",
        "Klicken Sie auf der Anmeldeseite auf Passwort vergessen.",
        locale="de",
    )
    found = await retrieve(db, "the link to change my login secret no longer works", locale="en")
    top = found.passages[0]
    assert top.article_id == password and top.heading.endswith("The reset link expired")
    assert top.similarity > 0.4 and top.vector_rank == 1
    assert all(p.locale == "en" for p in found.passages)
    # A German question gets the German article, though the English one matches words too.
    found = await retrieve(db, "Ich habe mein Passwort vergessen", locale="de-AT")
    assert [p.article_id for p in found.passages] == [german]
    # A locale with no articles falls back to every locale.
    found = await retrieve(db, "password reset link expired", locale="fr")
    assert found.passages[0].article_id == password


async def test_index_follows_the_database_incrementally(app):
    db = app.state.db
    counting = CountingEmbedder(shared_embedder())
    index = KnowledgeIndex(counting)
    await add(db, *PASSWORD)
    found = await index.retrieve(db, "password")
    # The question, and the title and own headings of the passages found (short names, each
    # embedded once per process): passage vectors come from the database.
    names = {p.title for p in found.passages} | {section_of(p.heading) for p in found.passages}
    assert counting.seen == ["password", *counting.seen[1:]]
    assert set(counting.seen[1:]) == names and counting.texts == 1 + len(names)
    loaded = dict(index._chunks)
    shipping = await add(db, *SHIPPING)  # written elsewhere, as another worker would
    before = counting.texts
    found = await index.retrieve(db, "how long does delivery to Canada take")
    new = counting.seen[before + 1 :]
    assert counting.seen[before] == "how long does delivery to Canada take"
    assert not set(new) & names and all(len(n) < 100 for n in new)
    assert found.passages[0].article_id == shipping
    assert all(index._chunks[i] is meta for i, meta in loaded.items())  # nothing reloaded
    # Editing one section embeds that section alone and replaces its passage in the index.
    writer = CountingEmbedder(shared_embedder())
    async with db.uow() as session:
        article = (await kb.list_articles(session, status="published"))[0]
        body = article.body.replace("Codes come from", "Codes arrive by SMS or from")
        await kb.update(
            session,
            article_id=article.id,
            changes=ArticleUpdate(body=body),
            actor=SYSTEM,
            embedder=writer,
        )
    assert writer.texts == 1
    found = await index.retrieve(db, "two-factor code by SMS")
    assert "SMS" in found.passages[0].text
    async with db.uow() as session:
        await kb.delete(session, article_id=shipping, actor=SYSTEM)
    found = await index.retrieve(db, "delivery to Canada")
    assert shipping not in {p.article_id for p in found.passages}
    assert len(index._chunks) == 3


async def test_public_search_needs_no_key_and_shows_published_articles_only(app, client):
    db = app.state.db
    await add(db, *REFUNDS)
    await add(db, "Secret roadmap", "Refunds will be replaced by credits.", status="draft")
    r = await client.get("/api/v1/public/kb/search", params={"q": "refund"})
    assert r.status_code == 200
    assert [hit["title"] for hit in r.json()] == ["Refunds"]
    assert "refund" in r.json()[0]["snippet"].lower()
    assert (await client.get("/api/v1/public/kb/search")).status_code == 422


async def test_kb_import_reads_a_directory_and_reimports_in_place(app, tmp_path):
    db = app.state.db
    (tmp_path / "reset.md").write_text(PASSWORD[1].replace("## Forgot", "# Passwords\n\n## Forgot"))
    (tmp_path / "shipping.html").write_text(
        "<html><head><title>Ship</title><script>alert(1)</script></head><body>"
        "<h1>Shipping</h1><p>We ship to <b>Canada</b>.</p><h2>Costs</h2><ul><li>Free</li></ul>"
    )
    (tmp_path / "returns_policy.txt").write_text("Returns are accepted within 30 days.")
    (tmp_path / "notes.pdf").write_bytes(b"%PDF")
    counts = await import_knowledge(db, tmp_path, locale="en", status="published")
    assert counts == {"created": 3}
    async with db.read() as session:
        articles = {a.title: (a.id, a.body) for a in await kb.list_articles(session)}
    assert set(articles) == {"Passwords", "Shipping", "Returns policy"}
    assert "alert" not in articles["Shipping"][1] and "## Costs" in articles["Shipping"][1]
    assert (await import_knowledge(db, tmp_path, locale="en", status="published")) == {
        "unchanged": 3
    }
    (tmp_path / "returns_policy.txt").write_text("Returns are accepted within 60 days.")
    counts = await import_knowledge(
        db, tmp_path / "returns_policy.txt", locale="en", status="published"
    )
    assert counts == {"updated": 1}
    async with db.read() as session:
        assert len(await kb.list_articles(session)) == 3
        hits = await search_chunks(session, "60 days")
    assert hits[0].article_id == articles["Returns policy"][0]
    args = build_parser().parse_args(["kb", "import", str(tmp_path), "--locale", "de"])
    assert (args.cmd, args.sub, args.path, args.locale) == ("kb", "import", str(tmp_path), "de")


async def test_imported_and_approved_examples_are_retrieved(app, client, admin_headers):
    h, db = admin_headers, app.state.db
    past = [
        ("I was charged twice for one order", "refund", "We refund it."),
        ("there are two payments for my order", "refund", "We refund it."),
        ("where is my parcel", "tracking", "Here is the tracking link."),
        ("my package has not arrived", "tracking", "Here is the tracking link."),
    ]
    lines = "\n".join(json.dumps({"text": t, "label": la, "answer": a}) for t, la, a in past)
    r = await client.post("/api/v1/kb/examples/import", content=lines, headers=h)
    assert r.json() == {"created": 4, "skipped": 0}
    files = {"file": ("past.jsonl", lines.encode(), "application/jsonl")}
    r = await client.post("/api/v1/kb/examples/import", files=files, headers=h)
    assert r.json() == {"created": 0, "skipped": 4}
    bad = await client.post("/api/v1/kb/examples/import", content="{not json", headers=h)
    assert bad.status_code == 422 and "line 1" in bad.json()["detail"]
    found = await retrieve(db, "you billed me two times")
    assert found.examples[0].label == "refund" and found.answers["refund"] == "We refund it."
    # A new example waits for approval before the bot learns it.
    new = {
        "text": "how do I change my delivery address",
        "label": "address",
        "answer": "Go to Orders.",
    }
    created = (await client.post("/api/v1/kb/examples", json=new, headers=h)).json()
    assert created["status"] == "pending"
    found = await retrieve(db, "can I change the delivery address")
    assert "address" not in {s.label for s in found.examples}
    url = f"/api/v1/kb/examples/{created['id']}"
    assert (await client.post(url + "/approve", headers=h)).json()["status"] == "approved"
    found = await retrieve(db, "can I change the delivery address")
    assert found.examples[0].label == "address" and found.answers["address"] == "Go to Orders."
    assert (await client.post(url + "/reject", headers=h)).json()["status"] == "rejected"
    found = await retrieve(db, "can I change the delivery address")
    assert "address" not in {s.label for s in found.examples}
    types = [t for t, _ in await kb_events(db)]
    assert types == [
        "kb.examples.imported",
        "kb.example.created",
        "kb.example.approved",
        "kb.example.rejected",
    ]


async def test_resolved_escalation_becomes_a_pending_example(app):
    db = app.state.db
    async with db.uow() as session:
        result = await ingest(
            session,
            inbound=InboundMessage(
                channel="api",
                external_id="kb-1",
                thread_key="email:kim@example.com",
                sender=Identity("email", "kim@example.com", "Kim"),
                text="Can I pay my invoice by bank transfer?",
                subject="Invoice",
            ),
        )
        ticket = result.ticket
        row = await examples.capture_example(
            session, ticket, "Yes: use IBAN DE00 1234 and your invoice number.", label="bank"
        )
        again = await examples.capture_example(
            session, ticket, "Yes, by bank transfer to IBAN DE00 1234.", label="bank"
        )
    assert again.id == row.id and row.status == "pending" and row.source == "ticket"
    assert row.text == "Can I pay my invoice by bank transfer?" and row.ticket_id == ticket.id
    found = await retrieve(db, "may I pay with a bank transfer")
    assert found.examples == []
    async with db.uow() as session:
        await examples.set_status(session, example_id=row.id, status="approved", actor=SYSTEM)
    found = await retrieve(db, "may I pay with a bank transfer")
    assert found.examples[0].label == "bank"
    assert found.answers["bank"] == "Yes, by bank transfer to IBAN DE00 1234."
    async with db.read() as session:
        types = (
            await session.scalars(select(Event.type).where(Event.ticket_id == ticket.id))
        ).all()
    assert {"kb.example.created", "kb.example.updated", "kb.example.approved"} <= set(types)
