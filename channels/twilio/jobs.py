"""Twilio's jobs: fetch an MMS's media, transcribe a caller's recording; each then ingests the
message. Their events are committed by the webhook routes; gateway/outbox/table.py runs them."""

from __future__ import annotations

import asyncio

from channels.twilio.limits import VOICE_CHANNEL
from channels.twilio.parse import parse_recording, parse_sms, recording_audio_url
from channels.twilio.rest import MediaTooLarge, fetch_media
from channels.twilio.transcribe import Transcriber
from channels.twilio.webhooks import load_account, stored
from store.jobs import JobContext
from store.tickets.ingest_writer import write_one

MEDIA_EVENT = "twilio.mms.received"
RECORDING_EVENT = "twilio.recording.completed"


async def media_gave_up(ctx: JobContext, args: dict, error: str) -> None:
    """The media never came: keep the text, and say on the message what is missing."""
    inbound = parse_sms(args["params"], account_id=args["account_id"])
    inbound.meta["media_skipped"] = [
        {"url": m["url"], "reason": f"gave up: {error}"} for m in inbound.meta["media"]
    ]
    await write_one(ctx.db, inbound)


async def fetch_mms_media(ctx: JobContext, args: dict) -> None:
    """Fetch an MMS's media (authenticated, size-limited) and ingest it with them attached."""
    account_id, account = await load_account(ctx.db, args["account_id"])
    inbound = parse_sms(args["params"], account_id=account_id)
    if await stored(ctx.db, inbound.channel, inbound.external_id):
        return  # a redelivered webhook's second event
    skipped = []
    for item in inbound.meta["media"]:
        try:
            inbound.attachments.append(
                await fetch_media(
                    account,
                    item["url"],
                    ctx.settings.max_attachment_bytes,
                    content_type=item["content_type"],
                )
            )
        except MediaTooLarge as exc:  # other errors propagate: the job is retried
            skipped.append({"url": item["url"], "reason": str(exc)})
    if skipped:
        inbound.meta["media_skipped"] = skipped
    await write_one(ctx.db, inbound)


def _transcriber(ctx: JobContext) -> Transcriber:
    """One loaded model per process, kept with the job context's shared clients."""
    if "transcriber" not in ctx.extras:
        settings = ctx.settings
        ctx.extras["transcriber"] = Transcriber(
            model_dir=settings.whisper_model_dir,
            data_dir=settings.data_dir,
            cpu_threads=settings.whisper_threads,
        )
    return ctx.extras["transcriber"]


async def transcription_gave_up(ctx: JobContext, args: dict, error: str) -> None:
    """Keep a trace on the ticket (flagged no_speech), so the call still escalates."""
    heard = parse_recording(
        args["params"], caller=args["caller"], turn=args["turn"], account_id=args["account_id"]
    )
    heard.meta["transcription_error"] = error[:500]
    await write_one(ctx.db, heard)


async def transcribe_recording(ctx: JobContext, args: dict) -> None:
    """Fetch the caller's recording, transcribe it locally, and put both on the call's ticket."""
    account_id, account = await load_account(ctx.db, args["account_id"])
    params = args["params"]
    if await stored(ctx.db, VOICE_CHANNEL, params["RecordingSid"]):
        return
    audio = await fetch_media(
        account,
        recording_audio_url(params),
        ctx.settings.max_attachment_bytes,
        content_type="audio/wav",
    )
    language = account.voice_language.split("-", 1)[0].lower() or None
    # Blocking CPU work: off the event loop, so the gateway keeps answering webhooks.
    transcript = await asyncio.to_thread(_transcriber(ctx).transcribe, audio.data, language)
    heard = parse_recording(
        params,
        transcript=transcript,
        caller=args["caller"],
        turn=args["turn"],
        account_id=account_id,
    )
    heard.attachments.append(audio)
    await write_one(ctx.db, heard)
