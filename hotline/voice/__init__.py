"""Twilio voice webhooks: signature check, typed parsing, TwiML rendering."""
