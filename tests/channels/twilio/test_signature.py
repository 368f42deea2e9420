"""X-Twilio-Signature checks on documented webhook payloads, signed by twilio's validator."""

import json
from pathlib import Path

import pytest
from starlette.datastructures import FormData
from twilio.request_validator import RequestValidator

from channels.base import VerifyError
from channels.twilio.account import TwilioAccount
from channels.twilio.parse import parse_call, parse_recording, parse_sms, parse_status_callback
from channels.twilio.verify import verify_twilio

EVAL = Path(__file__).resolve().parents[3] / "../shared/eval/webhooks/twilio"
pytestmark = [
    pytest.mark.eval_data,
    pytest.mark.skipif(not EVAL.is_dir(), reason=f"Twilio webhook payloads not found at {EVAL}"),
]

TOKEN = "signing-token-for-tests-0123456789"
ACCOUNT = TwilioAccount(
    account_sid="AC" + "f" * 32,
    auth_token=TOKEN,
    number="+18005551212",
    public_base_url="https://support.example.com",
)
# Which of our webhook paths each documented payload arrives on.
PATHS = {
    "incoming_sms.json": "/channels/twilio/sms",
    "incoming_mms.json": "/channels/twilio/sms",
    "message_status_callback_sent.json": ACCOUNT.sms_status_path,
    "message_status_callback_delivered.json": ACCOUNT.sms_status_path,
    "message_status_callback_undelivered.json": ACCOUNT.sms_status_path,
    "voice_incoming_call.json": "/channels/twilio/voice",
    "voice_gather_digits.json": ACCOUNT.voice_gather_path,
    "voice_gather_speech.json": ACCOUNT.voice_gather_path,
    "recording_status_callback_completed.json": ACCOUNT.voice_recording_status_path,
    "recording_status_callback_absent.json": ACCOUNT.voice_recording_status_path,
}


def load(name: str) -> dict:
    return json.loads((EVAL / name).read_text())


def signed(name: str, **query) -> tuple[str, dict[str, str], str]:
    """(public URL, form params, signature) as Twilio would send the fixture to us."""
    url = ACCOUNT.url(PATHS[name], **query)
    params = load(name)["params"]
    return url, params, RequestValidator(TOKEN).compute_signature(url, params)


@pytest.mark.parametrize("name", sorted(PATHS))
def test_every_documented_webhook_verifies_with_the_public_url(name):
    url, params, signature = signed(name, turn=0)
    verify_twilio(url, params, signature, ACCOUNT.auth_token)


@pytest.mark.parametrize("name", sorted(PATHS))
def test_a_changed_parameter_breaks_the_signature(name):
    url, params, signature = signed(name)
    forged = {**params, "From": "+19999999999"}
    with pytest.raises(VerifyError):
        verify_twilio(url, forged, signature, ACCOUNT.auth_token)


def test_missing_signature_is_refused():
    url, params, _ = signed("incoming_sms.json")
    with pytest.raises(VerifyError, match="missing"):
        verify_twilio(url, params, None, ACCOUNT.auth_token)


def test_signature_made_with_another_token_is_refused():
    url, params, _ = signed("incoming_sms.json")
    other = RequestValidator("some-other-token").compute_signature(url, params)
    with pytest.raises(VerifyError):
        verify_twilio(url, params, other, ACCOUNT.auth_token)


def test_the_url_behind_the_proxy_does_not_verify():
    # Twilio signed https://support.example.com/...; the app sees http://127.0.0.1:8000/...
    url, params, signature = signed("incoming_sms.json")
    internal = url.replace("https://support.example.com", "http://127.0.0.1:8000")
    with pytest.raises(VerifyError):
        verify_twilio(internal, params, signature, ACCOUNT.auth_token)


def test_query_string_is_part_of_what_is_signed():
    url, params, signature = signed("recording_status_callback_completed.json", turn=1)
    with pytest.raises(VerifyError):
        verify_twilio(url.replace("turn=1", "turn=2"), params, signature, ACCOUNT.auth_token)


def test_signature_with_explicit_port_verifies():
    params = load("incoming_sms.json")["params"]
    with_port = "https://support.example.com:443/channels/twilio/sms"
    signature = RequestValidator(TOKEN).compute_signature(with_port, params)
    verify_twilio(ACCOUNT.url("/channels/twilio/sms"), params, signature, ACCOUNT.auth_token)


def test_sha256_shared_key_signature_follows_the_settings_header():
    url, params, _ = signed("incoming_sms.json")
    signature = RequestValidator(TOKEN).compute_signature(url, params, algorithm="HMAC_SHA256")
    settings = "key=webhooks_sharedkey_1,algorithm=HMAC_SHA256"
    verify_twilio(url, params, signature, TOKEN, signature_settings=settings)
    with pytest.raises(VerifyError):
        verify_twilio(url, params, signature, TOKEN)  # read as the legacy SHA-1 signature


def test_twilio_sdk_vector_verifies():
    vector = load("request_validator_test_vectors.json")
    verify_twilio(
        vector["url"], vector["params"], vector["expected_signature"], vector["auth_token"]
    )


def test_repeated_form_fields_verify_as_starlette_form_data():
    vector = load("request_validator_test_vectors.json")
    case = vector["duplicate_params_case"]
    form = FormData([tuple(pair) for pair in case["params_multi"]])
    verify_twilio(vector["url"], form, case["expected_signature"], vector["auth_token"])


def test_json_body_is_checked_against_body_sha256():
    vector = load("request_validator_test_vectors.json")
    case = vector["json_body_case"]
    signature = RequestValidator(vector["auth_token"]).compute_signature(case["url_with_body"], {})
    verify_twilio(case["url_with_body"], case["body"], signature, vector["auth_token"])
    with pytest.raises(VerifyError):
        verify_twilio(case["url_with_body"], case["body"] + " ", signature, vector["auth_token"])


def test_verified_payloads_parse_into_messages():
    sms = parse_sms(load("incoming_sms.json")["params"])
    mms = parse_sms(load("incoming_mms.json")["params"])
    speech = parse_call(load("voice_gather_speech.json")["params"], turn=0)
    status = parse_status_callback(load("message_status_callback_undelivered.json")["params"])
    recording = parse_recording(
        load("recording_status_callback_completed.json")["params"], caller="+14158675309"
    )
    assert sms.thread_key == f"{sms.sender.value}|{sms.meta['our_number']}"
    assert [m["content_type"] for m in mms.meta["media"]] == ["image/jpeg", "application/pdf"]
    assert speech.text == "I need help resetting my password"
    assert (status["status"], status["error_code"]) == ("undelivered", 30003)
    assert recording.meta["recording_duration"] == 42
