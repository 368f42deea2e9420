"""Twilio: SMS, voice calls and their shared signature check and REST client."""
