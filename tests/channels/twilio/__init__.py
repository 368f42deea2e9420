"""Twilio channel tests: SMS and voice parsing, TwiML, signatures, REST double, calls."""
