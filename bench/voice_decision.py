"""Benchmark: a phone call's recording callback -> the agent's decision the caller hears.

Run: python bench/voice_decision.py [--calls 5]. Needs espeak-ng and sox (Debian packages).
An in-process gateway on a fresh SQLite file, the bot on (retrieval mode) over one knowledge
article, and a loopback double of Twilio's REST API serving the recording. For each call: the
signed recording callback is posted (t0), then the call's hold loop is polled as Twilio would
(every 100 ms here; Twilio's <Pause> makes it seconds) until the TwiML is no longer "hold" (t1).
Between the two: the recording download, the transcription job (faster-whisper, int8 CPU), the
agent_turn job (retrieve + decide + reply), each picked up by the running dispatcher.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402

from gateway.app import create_app  # noqa: E402
from gateway.settings import Settings  # noqa: E402
from store.staff import service as staff  # noqa: E402
from tests.audio import phone_recording  # noqa: E402
from tests.doubles.twilio_api import start as start_twilio  # noqa: E402
from tests.integration.twilio_hooks import (  # noqa: E402
    call,
    configure,
    post,
    recording_callback,
    sid,
    verbs,
)

SPEECH = "Hello. I forgot my password and cannot log in. How do I reset my password?"
ARTICLE = {
    "title": "Reset your password",
    "body": "# Reset your password\n\nOpen the sign-in page, choose Forgot password and follow "
    "the link we email you. The link works for one hour.",
    "status": "published",
}


async def one_call(client, twilio, wav: bytes) -> tuple[float, str]:
    call_sid = sid("CA")
    await post(client, "/channels/twilio/voice", call(call_sid))
    await post(client, "/channels/twilio/voice/recorded?turn=0", call(call_sid))
    url = twilio.add_recording(wav)
    started = time.perf_counter()
    stored = await post(
        client, "/channels/twilio/voice/recording?turn=0", recording_callback(call_sid, url)
    )
    assert stored.status_code == 204, stored.text
    for attempt in range(1, 600):
        path = f"/channels/twilio/voice/poll?turn=0&attempt={min(attempt, 2)}"
        said = verbs(await post(client, path, call(call_sid)))
        if said[0].tag != "Pause" and not (said[0].tag == "Say" and said[1].tag == "Pause"):
            return time.perf_counter() - started, " / ".join(v.tag for v in said)
        await asyncio.sleep(0.1)
    raise RuntimeError("no decision within a minute")


async def run(calls: int, folder: Path) -> None:
    wav = phone_recording(SPEECH, folder / "call.wav", speed=160).read_bytes()
    server, twilio = start_twilio()
    settings = Settings(data_dir=folder / "data", secret_key="bench-secret-key-0123456789")
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        async with app.state.db.uow() as session:
            _, key = await staff.create_api_key(session, name="bench", scopes=["admin", "kb:write"])
        headers = {"Authorization": f"Bearer {key}"}
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            r = await client.patch(
                "/api/v1/agent/settings", json={"enabled": True}, headers=headers
            )
            assert r.status_code == 200, r.text
            r = await client.post("/api/v1/kb/articles", json=ARTICLE, headers=headers)
            assert r.status_code == 201, r.text
            await configure(client, headers, twilio)
            warm, outcome = await one_call(client, twilio, wav)  # loads Whisper and MiniLM
            print(f"first call (loads the models): {warm:.2f} s -> {outcome}")
            taken = []
            for _ in range(calls):
                seconds, outcome = await one_call(client, twilio, wav)
                taken.append(seconds)
    server.shutdown()
    duration = len(wav) / (8000 * 2)
    print(f"audio: {duration:.1f} s at 8 kHz; calls: {calls}; caller hears: {outcome}")
    print(
        f"recording callback -> decision: median {statistics.median(taken):.2f} s, "
        f"min {min(taken):.2f} s, max {max(taken):.2f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(run(args.calls, Path(tmp)))


if __name__ == "__main__":
    main()
