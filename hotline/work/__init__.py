"""Scheduled work: what must happen later (a call-back attempt, a reminder), kept in the
database so a restarted worker or a flushed Redis loses nothing and runs nothing twice."""
