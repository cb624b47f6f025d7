"""Alerts: a message or a call-back request is texted to the volunteers on call, and to the
chapter's coordinators if nobody takes it in time."""
