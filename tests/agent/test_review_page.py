"""The console's review queue page and the queue's triage field, over HTTP: a learned draft
shows its placeholders highlighted, what was replaced, and what the next customer would get;
the bot's held drafts sit in the same page; agents who are not admins see only the latter."""

from __future__ import annotations

import re

from tests.agent.conftest import EXAMPLES, ask, configure
from tests.agent.test_safe_learning import _resolve
from tests.integration.test_console import add_user, sign_in


async def test_admin_reviews_learned_and_bot_drafts_on_one_page(app, client, admin_headers, kb):
    await kb.add_examples(EXAMPLES)
    await configure(client, admin_headers)
    learned_from = await _resolve(app, client, admin_headers)
    await configure(client, admin_headers, review_mode="all")
    held = await ask(
        app, client, admin_headers, "I forgot my password", ext="h-1", email="dave@example.com"
    )
    await add_user(app, "root", role="admin")
    await sign_in(client, "root")
    page = (await client.get("/console/review")).text
    assert f'data-bot-draft="{held}"' in page
    assert f'href="/console/tickets/{learned_from}"' in page
    assert '<mark class="redacted">{tracking_number}</mark>' in page
    assert "<code>1Z999AA10123456784</code>" in page  # the original, for the reviewer only
    preview = re.search(r"<span data-preview>(.*?)</span>", page, re.S).group(1)
    assert "Gift wrap is free" in preview and "{" not in preview and "Carol" not in preview


async def test_an_agent_sees_bot_drafts_only_and_the_queue_shows_triage(
    app, client, admin_headers, kb
):
    await configure(client, admin_headers)
    await _resolve(app, client, admin_headers)
    await add_user(app, "ana")
    await sign_in(client, "ana")
    page = (await client.get("/console/review")).text
    assert "Learned from solved tickets" not in page and "1Z999AA10123456784" not in page
    queue = (await client.get("/console?view=all&status=any")).text
    assert re.search(r"data-triage[^>]*>[^<]*· neutral · en<", queue)
