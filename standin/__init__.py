"""A local stand-in for the Telegram Bot API, on loopback.

The real bot talks to it over HTTP exactly as it would to api.telegram.org. A user side
(HTTP API and :mod:`standin.client`) plays the people, controls inject blocks, rate
limits, latency and failures, and every call is logged. This package imports nothing from
the bot's own code, so it cannot share the bot's mistakes.
"""
