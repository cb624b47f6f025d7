"""Call-backs and check-ins: when the next attempt is due, inside the chapter's hours."""
