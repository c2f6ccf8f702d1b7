"""The Telegram bot: handlers, wiring, and the service joining engine and storage."""
