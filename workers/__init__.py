"""Background jobs run by RQ workers (or in-process): they take ids and are safe to run twice."""
