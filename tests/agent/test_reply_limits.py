"""The bot's replies fit the channel they go out on, by that channel's own Limits, which the
gateway hands the agent (agent_graph imports no channels)."""

from __future__ import annotations

import re

from agent_graph.job import agent_for
from channels.registry import SPECS
from store.messages import Identity, InboundMessage
from store.tickets.ingest import ingest
from tests.agent.conftest import bot_messages, configure


async def test_the_gateway_hands_every_channels_limits_to_the_agent(app, kb):
    ctx = app.state.dispatcher.ctx
    assert ctx.channel_limits == {name: spec.limits for name, spec in SPECS.items()}
    assert agent_for(ctx).channel_limits == ctx.channel_limits


async def _inbound(app, channel: str, sender: Identity, text: str) -> int:
    """A customer message as the channel's webhook ingests it, then every job it triggers."""
    inbound = InboundMessage(
        channel=channel, external_id=f"{channel}-1", thread_key="t-1", sender=sender, text=text
    )
    async with app.state.db.uow() as session:
        ticket_id = (await ingest(session, inbound=inbound)).ticket.id
    await app.state.dispatcher.drain()
    return ticket_id


async def test_an_sms_answer_is_one_plain_line_within_the_bots_sms_length(
    app, client, admin_headers, kb
):
    await configure(client, admin_headers)
    phone = Identity("phone", "+15550100")
    tid = await _inbound(app, "twilio_sms", phone, "How do I reset my password?")
    [reply] = await bot_messages(client, admin_headers, tid)
    text = reply["text"]
    assert "Forgot password" in text and "**" not in text and "\n" not in text
    assert len(text) <= 480
    # the source as a short link to the help centre, after the answer
    assert re.search(r"Source: Reset your password \(http://[^ ]+/help/articles/\d+\)$", text)


async def test_a_slack_answer_keeps_markdown_because_slacks_limits_allow_it(
    app, client, admin_headers, kb
):
    await configure(client, admin_headers)
    user = Identity("slack", "T1:U1")
    tid = await _inbound(app, "slack", user, "How do I reset my password?")
    [reply] = await bot_messages(client, admin_headers, tid)
    assert "**Forgot password**" in reply["text"]
    assert re.search(
        r"\n\nSource: Reset your password \(http://[^ ]+/help/articles/\d+\)$", reply["text"]
    )


async def test_a_call_hears_the_articles_title_and_no_link(app, client, admin_headers, kb):
    await configure(client, admin_headers)
    tid = await _inbound(
        app, "twilio_voice", Identity("phone", "+15550101"), "How do I reset my password?"
    )
    [reply] = await bot_messages(client, admin_headers, tid)
    assert reply["text"].endswith("This is from our help article Reset your password.")
    assert "http" not in reply["text"] and "\n" not in reply["text"]


async def test_the_cited_link_opens_the_article_in_the_help_centre(app, client, admin_headers, kb):
    await configure(client, admin_headers)
    tid = await _inbound(
        app, "webchat", Identity("widget", "visitor-1"), "How do I reset my password?"
    )
    [reply] = await bot_messages(client, admin_headers, tid)
    path = re.search(r"\(http://[^/ ]+(/help/articles/\d+)\)$", reply["text"])[1]
    page = await client.get(path)
    assert page.status_code == 200 and "Reset your password" in page.text
