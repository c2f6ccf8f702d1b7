"""Durable storage: users, conversation sessions, answers, processed updates.

SQLite by default, PostgreSQL with the same code. Nothing here imports Telegram or the
dialogue engine: conversations arrive and leave as plain, JSON-shaped data.
"""
