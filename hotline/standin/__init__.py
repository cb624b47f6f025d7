"""The Twilio stand-in: a simulated carrier for tests, drills and benchmarks.

It plays Twilio's side of calls (signed webhooks, TwiML, status callbacks)
against the app, on a virtual clock or in real time, with no network.
"""
