"""Chat with the dialogue engine in a terminal, with no Telegram and no database.

For content authors: edit ``dialogs/content/en.yaml``, then ``python -m dialogs.terminal``
to walk through it. Buttons appear as numbered choices; type a number, your own words, or
a command such as /back. The conversation is kept in a JSON file, so quitting and coming
back resumes it, exactly as the bot will.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from dialogs import default_engine
from dialogs.commands import COMMAND_ACTIONS, START_COMMAND
from dialogs.content_model import Action
from dialogs.engine import DialogueEngine
from dialogs.events import Act, Begin, Choose, Event, Say
from dialogs.snapshot import Snapshot
from dialogs.turn import Button, ButtonKind, Turn

DEFAULT_SESSION_FILE = Path("data/terminal-session.json")


class TerminalChat:
    """A conversation driven from lines of text, printed back as the bot would show it."""

    def __init__(self, engine: DialogueEngine, session_file: Path, name: str) -> None:
        self.engine = engine
        self.session_file = session_file
        self.name = name
        self.snapshot: Snapshot | None = None
        self.buttons: tuple[Button, ...] = ()
        if session_file.exists():
            self.snapshot = Snapshot.from_json(session_file.read_text(encoding="utf-8"))

    def event_for(self, line: str) -> Event | None:
        """What a typed line means: a numbered button, a command, or free text."""
        text = line.strip()
        if text.isdigit() and 1 <= int(text) <= len(self.buttons):
            button = self.buttons[int(text) - 1]
            if button.kind is ButtonKind.OPTION:
                return Choose(button.id, button.seq)
            return Act(Action(button.id), button.seq)
        if text.startswith("/"):
            command = text[1:].split()[0].lower() if len(text) > 1 else ""
            if command == START_COMMAND:
                return Begin()
            if command in COMMAND_ACTIONS:
                return Act(COMMAND_ACTIONS[command])
            return None
        return Say(text)

    def send(self, event: Event, show: Callable[[str], None]) -> Turn:
        """Applies an event, saves the snapshot, and shows the reply."""
        turn = self.engine.apply(self.snapshot, event, name=self.name)
        self.snapshot = turn.snapshot
        self.session_file.parent.mkdir(parents=True, exist_ok=True)
        self.session_file.write_text(turn.snapshot.to_json(), encoding="utf-8")
        if turn.notice:
            show(f"  ({turn.notice})")
        for message in turn.messages:
            show("")
            if message.title:
                show(f"  {message.title.upper()}")
            show("\n".join(f"  {line}" for line in message.text.splitlines()))
            if message.buttons:
                self.buttons = message.buttons
                for number, button in enumerate(message.buttons, 1):
                    show(f"    [{number}] {button.label}")
        return turn


def main(argv: list[str] | None = None) -> int:
    """Runs the chat until end of input or /quit."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--session", type=Path, default=DEFAULT_SESSION_FILE)
    parser.add_argument("--name", default="friend", help="the first name the bot greets")
    parser.add_argument("--language", default="en")
    args = parser.parse_args(argv)
    chat = TerminalChat(default_engine(args.language), args.session, args.name)
    print("Closer, in your terminal. Type a number, your own words, /help, or /quit to leave.")
    chat.send(Begin(), print)
    for line in sys.stdin:
        if line.strip() in {"/quit", "/exit"}:
            break
        event = chat.event_for(line)
        if event is None:
            print("  (Unknown command. Try /help.)")
            continue
        chat.send(event, print)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
