"""Local transcription of synthesised speech, recorded as Twilio does (8 kHz mono WAV)."""

import shutil
import threading
from pathlib import Path

import pytest

from channels.twilio.account import TwilioAccount
from channels.twilio.parse import parse_recording, recording_audio_url
from channels.twilio.rest import fetch_media
from channels.twilio.transcribe import Transcriber, prepare_model_dir
from tests.audio import phone_recording
from tests.doubles.twilio_api import (  # noqa: F401 - pytest fixtures
    twilio_api_fixture,
    twilio_api_server_fixture,
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (shutil.which("espeak-ng") and shutil.which("sox")),
        reason="needs the Debian packages espeak-ng and sox",
    ),
]

SPOKEN = "Hello, I need help with my password. My order number is four five six. Thank you."


synthesise = phone_recording


@pytest.fixture(scope="session")
def model_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("data")


@pytest.fixture(scope="session")
def transcriber(model_root) -> Transcriber:
    return Transcriber(data_dir=model_root)


@pytest.fixture(scope="session")
def call_audio(tmp_path_factory) -> Path:
    return synthesise(SPOKEN, tmp_path_factory.mktemp("audio") / "call.wav")


def test_phone_quality_speech_is_transcribed(transcriber, call_audio):
    result = transcriber.transcribe(call_audio)
    words = result.text.lower()
    assert "password" in words and "order" in words
    assert "456" in words or "four five six" in words
    assert result.language == "en"
    assert 3 < result.duration < 15


def test_bytes_and_a_language_hint_work_too(transcriber, call_audio):
    result = transcriber.transcribe(call_audio.read_bytes(), language="en")
    assert "password" in result.text.lower()
    assert result.language == "en"


def test_model_is_joined_once_and_atomically(transcriber, model_root):
    transcriber.model()
    target = prepare_model_dir(model_root)
    assert target == model_root / "models" / "whisper-base"
    assert sorted(p.name for p in target.iterdir()) == [
        "config.json",
        "model.bin",
        "tokenizer.json",
        "vocabulary.json",
    ]
    assert [p.name for p in target.parent.iterdir()] == ["whisper-base"]  # no staging left


def test_concurrent_first_use_loads_one_model(model_root):
    shared = Transcriber(model_dir=model_root / "models" / "whisper-base")
    prepare_model_dir(model_root)
    models = []
    threads = [threading.Thread(target=lambda: models.append(shared.model())) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(models) == 4 and all(m is models[0] for m in models)


async def test_recording_from_twilio_becomes_a_transcribed_message(
    twilio_api, transcriber, call_audio
):
    recording_url = twilio_api.add_recording(call_audio.read_bytes())
    params = {
        "CallSid": "CA" + "1" * 32,
        "RecordingSid": "RE" + "2" * 32,
        "RecordingUrl": recording_url,
        "RecordingStatus": "completed",
        "RecordingDuration": "7",
    }
    account = TwilioAccount(
        account_sid=twilio_api.account_sid,
        auth_token=twilio_api.auth_token,
        number="+18005550199",
        public_base_url="https://help.example.com",
        api_base_url=twilio_api.base_url,
    )
    audio = await fetch_media(account, recording_audio_url(params), max_bytes=5_000_000)
    assert audio.content_type == "audio/x-wav"
    message = parse_recording(
        params, transcript=transcriber.transcribe(audio.data), caller="+14155550100"
    )
    assert "password" in message.text.lower()
    assert message.external_id == "RE" + "2" * 32 and message.language == "en"
