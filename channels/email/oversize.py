"""Attachments over the size limit: the mail is kept, the file is not.

An attachment larger than the limit is left out of the message, with a note of what was left
out in meta["attachments_skipped"] (as Twilio's media_skipped); its bytes are cut out of the
source kept for reference too, so a 30 MB file is neither stored nor held twice. A message
fetched only in part (channels/email/imap.py stops at a size) ends inside its last part: that
part is incomplete, and it is left out the same way.
"""

from __future__ import annotations

import logging
from email.message import Message

from store.messages import Attachment

log = logging.getLogger(__name__)


def skip_oversized(
    attachments: list[Attachment],
    parts: list[Message],
    *,
    max_bytes: int | None,
    cut_at: int | None = None,
    last_leaf: Message | None = None,
) -> tuple[list[Attachment], list[dict], list[Message]]:
    """(kept attachments, notes on the skipped ones, the MIME parts to cut out of the source).
    `cut_at`: the message was fetched only up to that many bytes, so the part holding its
    last leaf (`last_leaf`) is incomplete."""
    kept, notes, cut = [], [], []
    for item, part in zip(attachments, parts, strict=True):
        size: int | None = len(item.data)
        if cut_at is not None and _holds(part, last_leaf):
            reason, size = f"the message is over {cut_at} bytes: this attachment was cut off", None
        elif max_bytes is not None and len(item.data) > max_bytes:
            reason = f"attachment is {len(item.data)} bytes; the limit is {max_bytes}"
        else:
            kept.append(item)
            continue
        note = {"filename": item.filename, "content_type": item.content_type, "size": size}
        notes.append(note | {"reason": reason})
        cut.append(part)
    return kept, notes, cut


def _holds(part: Message, leaf: Message | None) -> bool:
    return leaf is not None and any(inner is leaf for inner in part.walk())


def source_without(msg: Message, cut: list[Message], raw: bytes, fallback_bytes: int) -> bytes:
    """The mail's source with the skipped parts' content replaced by a line saying so."""
    if not cut:
        return raw
    for part in cut:
        del part["Content-Transfer-Encoding"]
        part["Content-Transfer-Encoding"] = "7bit"
        part.set_payload("(left out by AutoCRM: over the attachment size limit)\r\n")
    try:
        return msg.as_bytes(policy=msg.policy.clone(linesep="\r\n"))
    except Exception:  # a header the policy cannot write back: keep the start of the source
        log.warning("could not rewrite an email without its oversized parts", exc_info=True)
        return raw[:fallback_bytes]
