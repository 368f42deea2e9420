"""What a Twilio reply may be: the SMS and voice channels' names and limits (one source)."""

from __future__ import annotations

from store.messages import Limits

SMS_CHANNEL = "twilio_sms"
VOICE_CHANNEL = "twilio_voice"
CHANNELS = (SMS_CHANNEL, VOICE_CHANNEL)

# https://www.twilio.com/docs/glossary/what-sms-character-limit : a Body may be 1600 characters;
# segments hold 160 GSM-7 / 70 UCS-2 units alone, 153 / 67 when concatenated.
MAX_BODY = 1600
MAX_SEGMENTS = 10
# Outbound MMS needs public media URLs we do not host yet, so attachments are not sent.
SMS_LIMITS = Limits(max_text=MAX_BODY, markdown=False, html=False, attachments=False)
# <Say> takes up to 4096 characters (https://www.twilio.com/docs/voice/twiml/say).
VOICE_LIMITS = Limits(
    max_text=4000, markdown=False, html=False, attachments=False, speech_only=True
)
