"""Fault drills: the bot killed, its Bot API failing, fuzzed updates, its database gone."""
