"""Reminders and gaps: shift reminders asking for YES, the coordinators' daily gap digest and
unconfirmed-shift texts, and texts about swap requests."""
