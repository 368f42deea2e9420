"""Drive the gateway's Twilio webhooks as Twilio does: form posts signed by RequestValidator.

Payloads follow Twilio's documented webhook parameters (messaging webhooks, status callbacks,
voice request parameters, recording status callbacks). The account's public base URL differs
from the test client's host on purpose: signatures must be checked against the public URL.
"""

from __future__ import annotations

import secrets
import xml.etree.ElementTree as ET

import httpx
from twilio.request_validator import RequestValidator

from tests.doubles.twilio_api import TwilioApiDouble

PUBLIC = "https://help.example.com"
OURS, CUSTOMER, OTHER = "+18005550199", "+14155550100", "+14155550111"
AGENT_PHONE = "+14155550999"
SIGNED = "<sign with the account's token>"


def sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


def account_config(api: TwilioApiDouble, **overrides) -> dict:
    return {
        "account_sid": api.account_sid,
        "auth_token": api.auth_token,
        "number": OURS,
        "public_base_url": PUBLIC,
        "api_base_url": api.base_url,
        **overrides,
    }


async def configure(client: httpx.AsyncClient, headers: dict, api: TwilioApiDouble, **config):
    """The admin adds our Twilio number through the API; returns the account as answered."""
    body = {
        "channel": "twilio_sms",
        "name": "Support line",
        "config": account_config(api, **config),
    }
    response = await client.post("/api/v1/channels", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def post(
    client: httpx.AsyncClient,
    path: str,
    params: dict[str, str],
    *,
    token: str | None = None,
    signature: str | None = SIGNED,
) -> httpx.Response:
    """POST a form to `path` (with its query), signed for PUBLIC + path unless told otherwise."""
    headers = {}
    if signature is SIGNED:
        signer = RequestValidator(token or TwilioApiDouble().auth_token)
        signature = signer.compute_signature(PUBLIC + path, params)
    if signature is not None:
        headers["X-Twilio-Signature"] = signature
    return await client.post(path, data=params, headers=headers)


def sms(message_sid: str, body: str, *, sender: str = CUSTOMER, **extra: str) -> dict[str, str]:
    return {
        "MessageSid": message_sid,
        "SmsSid": message_sid,
        "SmsMessageSid": message_sid,
        "AccountSid": TwilioApiDouble().account_sid,
        "From": sender,
        "To": OURS,
        "Body": body,
        "NumMedia": "0",
        "NumSegments": "1",
        "SmsStatus": "received",
        "ApiVersion": "2010-04-01",
        "FromCountry": "US",
        **extra,
    }


def status_callback(message_sid: str, status: str, **extra: str) -> dict[str, str]:
    return {
        "MessageSid": message_sid,
        "SmsSid": message_sid,
        "AccountSid": TwilioApiDouble().account_sid,
        "From": OURS,
        "To": CUSTOMER,
        "MessageStatus": status,
        "SmsStatus": status,
        "ApiVersion": "2010-04-01",
        **extra,
    }


def call(call_sid: str, *, caller: str = CUSTOMER, **extra: str) -> dict[str, str]:
    return {
        "CallSid": call_sid,
        "AccountSid": TwilioApiDouble().account_sid,
        "From": caller,
        "To": OURS,
        "Caller": caller,
        "Called": OURS,
        "CallStatus": "ringing",
        "Direction": "inbound",
        "ApiVersion": "2010-04-01",
        **extra,
    }


def recording_callback(call_sid: str, url: str, status: str = "completed") -> dict[str, str]:
    """A recording status callback: note there is no From or To in it."""
    return {
        "AccountSid": TwilioApiDouble().account_sid,
        "CallSid": call_sid,
        "RecordingSid": url.rsplit("/", 1)[-1],
        "RecordingUrl": url,
        "RecordingStatus": status,
        "RecordingDuration": "6" if status == "completed" else "0",
        "RecordingChannels": "1",
        "RecordingSource": "RecordVerb",
    }


def verbs(response: httpx.Response) -> list[ET.Element]:
    """The TwiML verbs of a response, in order."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/xml")
    root = ET.fromstring(response.text)
    assert root.tag == "Response"
    return list(root)


async def tickets(client: httpx.AsyncClient, headers: dict) -> list[dict]:
    return (await client.get("/api/v1/tickets", headers=headers)).json()["items"]


async def messages(client: httpx.AsyncClient, headers: dict, ticket_id: int) -> list[dict]:
    return (await client.get(f"/api/v1/tickets/{ticket_id}/messages", headers=headers)).json()
