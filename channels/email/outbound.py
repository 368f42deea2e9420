"""OutboundMessage -> MIME: our Message-ID, thread headers, ticket-token subject, loop headers."""

from __future__ import annotations

import html as html_lib
import re
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from store.messages import OutboundMessage

# Reply and forward prefixes mail clients add, in several languages ("Re:", "AW:", "SV:" ...).
_PREFIX = re.compile(r"^\s*((re|aw|sv|vs|antw|ref|rif|réf|odp|r)\s*(\[\d+\])?\s*:\s*)+", re.I)
_TOKEN = re.compile(r"\s*\[#\d+\]\s*")
_MAX_REFERENCES = 20  # long threads: keep the root and the most recent ids (RFC 5322 3.6.4)


@dataclass(frozen=True)
class MailboxSettings:
    """The support mailbox we send as."""

    address: str
    display_name: str | None = None
    reply_to: str | None = None


def reply_subject(subject: str | None, ticket_number: int) -> str:
    """`Re: <subject> [#N]`, without stacking "Re:" prefixes or repeating the token."""
    base = _TOKEN.sub(" ", subject or "").strip()
    base = _PREFIX.sub("", base).strip() or "Your request"
    return f"Re: {base} [#{ticket_number}]"


def build_email(outbound: OutboundMessage, mailbox: MailboxSettings) -> tuple[EmailMessage, str]:
    """The message to send and its Message-ID (store it: replies to it find the ticket)."""
    msg = EmailMessage()
    domain = mailbox.address.rsplit("@", 1)[-1]
    message_id = make_msgid(domain=domain)
    msg["From"] = _address(mailbox.address, mailbox.display_name)
    msg["To"] = _address(outbound.recipient.value, outbound.recipient.display_name)
    if mailbox.reply_to:
        msg["Reply-To"] = mailbox.reply_to
    msg["Subject"] = reply_subject(outbound.subject, outbound.ticket_number)
    msg["Date"] = formatdate(usegmt=True)
    msg["Message-ID"] = message_id
    _thread_headers(msg, outbound.thread_refs)
    if outbound.automated:
        # RFC 3834: tells auto-responders not to answer us, which breaks mail loops.
        msg["Auto-Submitted"] = "auto-replied"
        msg["X-Auto-Response-Suppress"] = "All"
    _body(msg, outbound)
    return msg, message_id


def _address(address: str, display_name: str | None) -> str:
    try:
        return str(Address(display_name=display_name or "", addr_spec=address))
    except (ValueError, IndexError):
        return address


def _thread_headers(msg: EmailMessage, refs: list[str]) -> None:
    ids = [ref if ref.startswith("<") else f"<{ref.strip('<>')}>" for ref in refs if ref.strip()]
    ids = list(dict.fromkeys(ids))
    if not ids:
        return
    if len(ids) > _MAX_REFERENCES:
        ids = ids[:1] + ids[-(_MAX_REFERENCES - 1) :]
    msg["In-Reply-To"] = ids[-1]
    msg["References"] = " ".join(ids)


def text_to_html(text: str) -> str:
    """Plain text as simple HTML: escaped, paragraphs on blank lines, line breaks kept."""
    paragraphs = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    body = "".join(
        "<p>" + html_lib.escape(p.strip()).replace("\n", "<br>\n") + "</p>\n" for p in paragraphs
    )
    return f"<!DOCTYPE html><html><body>\n{body}</body></html>\n"


def _body(msg: EmailMessage, outbound: OutboundMessage) -> None:
    msg.set_content(outbound.text)
    # Always a text + HTML alternative: clients that prefer HTML still show our paragraphs.
    msg.add_alternative(outbound.html or text_to_html(outbound.text), subtype="html")
    for item in outbound.attachments:
        maintype, _, subtype = item.content_type.partition("/")
        headers = [f"Content-ID: <{item.content_id}>"] if item.content_id else None
        msg.add_attachment(
            item.data,
            maintype=maintype or "application",
            subtype=subtype or "octet-stream",
            filename=item.filename,
            disposition="inline" if item.inline else "attachment",
            headers=headers,
        )
