"""Text messages: the outbox every text goes through, opt-outs, and texts that arrive."""
