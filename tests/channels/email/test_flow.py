"""Email through the running gateway: a mailbox configured by API on a real Dovecot, replies out
through a real aiosmtpd, threading, reopening, bounces and auto-replies."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.channels.email.helpers import (
    CUSTOMER,
    OURS,
    add_mailbox,
    bounce_of,
    customer_email,
    email_tickets,
    mailbox_config,
    messages,
    received,
    reply,
    wait_until,
)
from tests.servers.dovecot import dovecot_server  # noqa: F401  (fixture)
from tests.servers.smtp import failing_smtp_server_fixture, smtp_server_fixture  # noqa: F401


@dataclass
class Mailbox:
    account: dict
    user: str
    smtp: object  # the recording handler: what reached the SMTP server


async def _mailbox(app, client, headers, dovecot, controller, handler):
    mailboxes = app.state.mailboxes
    mailboxes.rescan_interval = 0.2  # picked up by the running supervisor, no restart
    mailboxes.rescan()
    user = dovecot.new_user()
    account = await add_mailbox(client, headers, mailbox_config(dovecot, user, controller))
    yield Mailbox(account, user, handler)
    await client.delete(f"/api/v1/channels/{account['id']}", headers=headers)
    mailboxes.rescan_interval = 10.0
    await mailboxes.sync()  # its poller stops before the next test's tables are emptied
    assert account["id"] not in mailboxes.running


@pytest.fixture
async def mailbox(app, client, admin_headers, dovecot, smtp_server):
    async for value in _mailbox(app, client, admin_headers, dovecot, *smtp_server):
        yield value


@pytest.fixture
async def refusing_mailbox(app, client, admin_headers, dovecot, failing_smtp_server):
    async for value in _mailbox(app, client, admin_headers, dovecot, *failing_smtp_server):
        yield value


async def first_ticket(client, headers) -> dict:
    [ticket] = await wait_until(lambda: email_tickets(client, headers), what="a ticket")
    return ticket


async def sent_reply(app, client, headers, ticket_id: int, body: str) -> dict:
    """The agent's reply, after the send job ran: its row carries our Message-ID."""
    posted = await reply(client, headers, ticket_id, body)

    async def sent():
        await app.state.dispatcher.drain()
        rows = await messages(client, headers, ticket_id)
        row = next(m for m in rows if m["id"] == posted["id"])
        return row if row["delivery_status"] != "queued" else None

    return await wait_until(sent, what="the reply sent")


def envelope_of(handler, message_id: str):
    found = [e for e in handler.envelopes if received(e)["Message-ID"] == message_id]
    assert len(found) == 1, f"{message_id} reached the SMTP server {len(found)} times"
    return found[0]


async def test_secrets_never_come_back_from_the_api(client, admin_headers, mailbox):
    account_id = mailbox.account["id"]
    changed = await client.patch(
        f"/api/v1/channels/{account_id}",
        json={"config": {"smtp_user": "relay", "smtp_password": "relay-pw-42"}},
        headers=admin_headers,
    )
    shown = [
        mailbox.account,
        changed.json(),
        (await client.get(f"/api/v1/channels/{account_id}", headers=admin_headers)).json(),
        (await client.get("/api/v1/channels?channel=email", headers=admin_headers)).json()[0],
    ]
    for account in shown:
        assert account["address"] == OURS
        assert not {"imap_password", "smtp_password"} & set(account["config"])
    assert shown[1]["secrets_set"] == ["imap_password", "smtp_password"]
    assert shown[1]["config"]["smtp_user"] == "relay"
    text = str(shown)
    assert "secret-pw" not in text and "relay-pw-42" not in text


async def test_bad_mailbox_config_is_refused_with_the_field(client, admin_headers, dovecot):
    bad = {"address": "not-an-address", "imap_host": "h", "imap_port": 70000}
    response = await client.post(
        "/api/v1/channels",
        json={"channel": "email", "name": "x", "config": bad},
        headers=admin_headers,
    )
    assert response.status_code == 422 and "config." in response.text


async def test_email_to_ticket_reply_out_answer_back_on_the_same_ticket(
    app, client, admin_headers, dovecot, mailbox
):
    raw, first_id = customer_email()
    await dovecot.append(mailbox.user, raw)
    ticket = await first_ticket(client, admin_headers)
    assert ticket["subject"] == "Where is my parcel?"
    [incoming] = await messages(client, admin_headers, ticket["id"])
    assert incoming["external_id"] == first_id and incoming["text"].startswith("My order #991")
    # Committed first, flagged \Seen after (the poller may still be flagging it).
    await wait_until(lambda: _all_seen(dovecot, mailbox.user), what="\\Seen")

    ours = await sent_reply(app, client, admin_headers, ticket["id"], "It ships today.")
    assert ours["delivery_status"] == "sent" and ours["external_id"].endswith("@shop.example>")
    out = received(envelope_of(mailbox.smtp, ours["external_id"]))
    assert out["To"] == f"Ann Customer <{CUSTOMER}>" and OURS in out["From"]
    assert out["In-Reply-To"] == first_id and out["References"] == first_id
    assert out["Subject"] == f"Re: Where is my parcel? [#{ticket['id']}]"
    assert out["Auto-Submitted"] is None  # a person wrote it
    assert "It ships today." in out.get_body(("plain",)).get_content()
    assert "It ships today." in out.get_body(("html",)).get_content()

    # Solved, then the customer answers our reply from their mail client: reopened.
    await client.patch(
        f"/api/v1/tickets/{ticket['id']}", json={"status": "solved"}, headers=admin_headers
    )
    answer, answer_id = customer_email(
        "Thanks, but it has still not arrived.",
        subject=out["Subject"],
        in_reply_to=ours["external_id"],
        references=[first_id, ours["external_id"]],
    )
    await dovecot.append(mailbox.user, answer)

    async def answered():
        rows = await messages(client, admin_headers, ticket["id"])
        return rows if len(rows) == 3 else None

    rows = await wait_until(answered, what="the answer on the same ticket")
    assert [m["external_id"] for m in rows] == [first_id, ours["external_id"], answer_id]
    assert len(await email_tickets(client, admin_headers)) == 1
    reopened = await client.get(f"/api/v1/tickets/{ticket['id']}", headers=admin_headers)
    assert reopened.json()["status"] == "open"


async def _all_seen(dovecot, user) -> bool:
    flags = await dovecot.flags_of(user)
    return bool(flags) and all("\\Seen" in f for f in flags.values())


async def test_subject_token_threads_only_the_tickets_own_contact(
    client, admin_headers, dovecot, mailbox
):
    raw, _ = customer_email(subject="Newsletter: spring sale")
    await dovecot.append(mailbox.user, raw)
    ticket = await first_ticket(client, admin_headers)
    token = f"Re: spring sale [#{ticket['id']}]"
    # No thread headers (a client that drops them): the token finds the ticket, same sender.
    same, _ = customer_email("Also, my coupon failed.", subject=token)
    # Someone else answering a shared subject with the same token gets their own ticket.
    other, _ = customer_email("Unsubscribe me", subject=token, sender="bob@elsewhere.example")
    await dovecot.append_many(mailbox.user, [same, other])

    async def both_stored():  # the two emails may commit in either order
        found = await email_tickets(client, admin_headers)
        on_first = await messages(client, admin_headers, ticket["id"])
        return found if len(found) == 2 and len(on_first) == 2 else None

    first, second = await wait_until(both_stored, what="a second ticket and message")
    assert first["id"] == ticket["id"] and second["subject"] == token
    texts = [m["text"] for m in await messages(client, admin_headers, ticket["id"])]
    assert texts[-1] == "Also, my coupon failed." and len(texts) == 2


async def test_bounce_marks_our_reply_failed_and_opens_no_ticket(
    app, client, admin_headers, dovecot, mailbox
):
    raw, _ = customer_email()
    await dovecot.append(mailbox.user, raw)
    ticket = await first_ticket(client, admin_headers)
    ours = await sent_reply(app, client, admin_headers, ticket["id"], "Here is your label.")

    await dovecot.append(mailbox.user, bounce_of(ours["external_id"]))

    async def failed():
        rows = await messages(client, admin_headers, ticket["id"])
        row = next(m for m in rows if m["id"] == ours["id"])
        return row if row["delivery_status"] == "failed" else None

    row = await wait_until(failed, what="the reply marked failed")
    assert "550 5.1.1" in row["delivery_error"] and CUSTOMER in row["delivery_error"]
    assert len(await email_tickets(client, admin_headers)) == 1
    events = await client.get(f"/api/v1/tickets/{ticket['id']}/events", headers=admin_headers)
    assert "message.failed" in [e["type"] for e in events.json()]


async def test_auto_reply_is_recorded_but_flagged_for_no_bot_answer(
    app, client, admin_headers, dovecot, mailbox
):
    raw, first_id = customer_email()
    await dovecot.append(mailbox.user, raw)
    ticket = await first_ticket(client, admin_headers)
    await client.patch(
        f"/api/v1/tickets/{ticket['id']}", json={"status": "solved"}, headers=admin_headers
    )
    vacation, _ = customer_email(
        "I am on holiday until Monday.",
        subject="Out of office: Where is my parcel?",
        in_reply_to=first_id,
        headers={"Auto-Submitted": "auto-replied"},
    )
    await dovecot.append(mailbox.user, vacation)

    async def recorded():
        rows = await messages(client, admin_headers, ticket["id"])
        return rows[-1] if len(rows) == 2 else None

    auto = await wait_until(recorded, what="the auto-reply on the ticket")
    assert {"auto_reply", "no_bot_answer"} <= set(auto["flags"])
    after = await client.get(f"/api/v1/tickets/{ticket['id']}", headers=admin_headers)
    assert after.json()["status"] == "solved"  # a machine's answer reopens nothing
    await app.state.dispatcher.drain()
    rows = await messages(client, admin_headers, ticket["id"])
    assert [m for m in rows if m["direction"] == "out"] == []  # no bot answer went out


async def test_mail_from_our_own_address_is_never_answered(client, admin_headers, dovecot, mailbox):
    raw, _ = customer_email("Loop test", sender=OURS)
    await dovecot.append(mailbox.user, raw)
    ticket = await first_ticket(client, admin_headers)
    [message] = await messages(client, admin_headers, ticket["id"])
    assert {"from_self", "no_bot_answer"} <= set(message["flags"])


async def test_smtp_refusals_retry_then_fail_visibly(
    app, client, admin_headers, dovecot, refusing_mailbox
):
    raw, _ = customer_email()
    await dovecot.append(refusing_mailbox.user, raw)
    ticket = await first_ticket(client, admin_headers)

    row = await sent_reply(app, client, admin_headers, ticket["id"], "Sorry for the delay.")

    # 451 first (the job queue retried), then 550: permanent, shown on the message.
    assert refusing_mailbox.smtp.attempts == 2
    assert row["delivery_status"] == "failed" and "550" in row["delivery_error"]
