"""Twilio: SMS/MMS and voice calls on one account (number), sharing its signature and REST client.

The channel contract (channels/base.py), part by part:
- limits: limits.py (SMS: 1,600 characters in at most 10 segments, plain; voice: speech only)
- verify: verify.py (X-Twilio-Signature over our public URL and the form or JSON body)
- parse:  parse.py (texts, status callbacks, calls and recordings -> InboundMessage; pure)
- send:   send.py (SmsChannel texts in parts; VoiceReplies: a call's replies, human's by SMS)
- spec:   spec.py (SMS and VOICE for channels/registry.py)
Beside them: account.py (TwilioAccount, business hours), rest.py (twilio REST client, media
downloads), formatting.py (Markdown -> plain SMS, GSM-7 segments, speakable text), voice.py
(TwiML for each step of a call), webhooks.py (account lookup and signature check per request),
routes.py (SMS webhooks), calls.py (call webhooks), jobs.py (MMS media, recording transcription),
transcribe.py (local Whisper).
"""
