"""Chat with a bot through the stand-in from a terminal, as one person on a phone would.

The bot's messages appear as they arrive; the newest keyboard's buttons are numbered, and
typing a number taps that button. Anything else you type is sent as a message (``/...``
as a command). On a real terminal the screen is redrawn on every change, so an edited
message changes in place; when output is piped, edits are printed as new lines instead.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass, field

from standin.client import Conversation, Person, StandInClient, StandInError, button_labels

JsonDict = dict[str, object]
BOLD, DIM, RESET = "\x1b[1m", "\x1b[2m", "\x1b[0m"
HINT = "Type a message, a number to tap a button, or /quit."


@dataclass
class Transcript:
    """What the screen shows: the person's and the bot's messages, in order."""

    entries: list[tuple[str, int]] = field(default_factory=list)  # ("you"|"bot", id)
    mine: dict[int, str] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)


class TerminalChat:
    """Renders one conversation and turns typed lines into taps and messages."""

    def __init__(self, conversation: Conversation, write: Callable[[str], None], tty: bool) -> None:
        self.conversation = conversation
        self.write = write
        self.tty = tty
        self.transcript = Transcript()
        self._printed: dict[int, str] = {}
        self._local_ids = 0
        self.changed = asyncio.Event()

    def numbered_buttons(self) -> list[str]:
        """The labels of the newest keyboard, in the order they are numbered."""
        message = self.conversation.keyboard_message()
        return button_labels(message) if message else []

    async def handle_line(self, line: str) -> bool:
        """Acts on one typed line; returns False when the person wants to leave."""
        text = line.strip()
        if text in {"/quit", "/exit"}:
            return False
        if not text:
            return True
        buttons = self.numbered_buttons()
        try:
            if text.isdigit() and 1 <= int(text) <= len(buttons):
                label = buttons[int(text) - 1]
                self._note_mine(f"[{label}]")
                await self.conversation.tap(label)
            else:
                self._note_mine(text)
                await self.conversation.send(text)
        except StandInError as error:
            self.transcript.notices.append(f"(could not do that: {error})")
        self.render()
        return True

    async def follow(self) -> None:
        """Reads the bot's side forever, redrawing after every change."""
        while True:
            events = await self.conversation.sync(wait_for=1, timeout=25)
            if events:
                self.absorb(events)
                self.render()
                self.changed.set()

    async def settle(self, first: float = 10.0, quiet: float = 0.5) -> None:
        """Waits for the bot to answer and then fall quiet (for scripted, piped input)."""
        self.changed.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.changed.wait(), first)
            while True:
                self.changed.clear()
                await asyncio.wait_for(self.changed.wait(), quiet)

    def absorb(self, events: list[JsonDict]) -> None:
        """Adds new bot messages and button-press answers to the transcript."""
        for event in events:
            if event["kind"] == "message":
                message = event["message"]
                assert isinstance(message, dict)
                self.transcript.entries.append(("bot", int(message["message_id"])))
            elif event["kind"] == "callback_answer" and event.get("text"):
                self.transcript.notices.append(f"({event['text']})")
        self.conversation.read_all()

    def _note_mine(self, text: str) -> None:
        self._local_ids += 1
        self.transcript.mine[self._local_ids] = text
        self.transcript.entries.append(("you", self._local_ids))

    def render(self) -> None:
        """Redraws the screen (tty) or prints what is new or changed (pipe)."""
        if self.tty:
            self._redraw()
        else:
            self._append()

    def _lines_for(self, who: str, key: int, numbered: bool) -> list[str]:
        if who == "you":
            return [f"  you > {self.transcript.mine[key]}"]
        message = self.conversation.bot_messages.get(key)
        if message is None:
            return [f"  {DIM if self.tty else ''}(message deleted){RESET if self.tty else ''}"]
        text = str(message.get("text") or message.get("caption") or _describe(message))
        lines = [
            f"  bot > {line}" if i == 0 else f"        {line}"
            for i, line in enumerate(text.split("\n"))
        ]
        if message.get("edit_date"):
            lines[0] += "  (edited)"
        labels = button_labels(message)
        if labels:
            if numbered:
                lines.extend(f"        [{n}] {label}" for n, label in enumerate(labels, 1))
            else:
                lines.append("        (" + " | ".join(labels) + ")")
        return lines

    def _redraw(self) -> None:
        newest = self.conversation.keyboard_message()
        newest_id = int(newest["message_id"]) if newest else -1
        lines: list[str] = []
        for who, key in self.transcript.entries:
            lines.extend(self._lines_for(who, key, numbered=(who == "bot" and key == newest_id)))
        lines.extend(self.transcript.notices[-2:])
        height = shutil.get_terminal_size((80, 24)).lines - 3
        screen = "\n".join([f"{DIM}{HINT}{RESET}", *lines[-height:]])
        self.write(f"\x1b[2J\x1b[H{screen}\n> ")

    def _append(self) -> None:
        newest = self.conversation.keyboard_message()
        newest_id = int(newest["message_id"]) if newest else -1
        for who, key in self.transcript.entries:
            if who != "bot":
                continue
            rendered = "\n".join(self._lines_for(who, key, numbered=(key == newest_id)))
            previous = self._printed.get(key)
            if previous == rendered:
                continue
            self.write(rendered if previous is None else f"  (message changed)\n{rendered}")
            self._printed[key] = rendered
        while self.transcript.notices:
            self.write(f"  {self.transcript.notices.pop(0)}")


def _describe(message: JsonDict) -> str:
    for kind in ("photo", "document", "video", "sticker", "voice"):
        if kind in message:
            return f"[{kind}]"
    return "[message]"


async def chat(url: str, person: Person, tty: bool | None = None) -> None:
    """Runs the terminal chat until /quit or end of input."""
    tty = sys.stdout.isatty() if tty is None else tty
    loop = asyncio.get_running_loop()
    async with StandInClient(url) as client:
        conversation = client.conversation(person)
        await conversation.sync()
        view = TerminalChat(
            conversation, lambda text: print(text, end="" if tty else "\n", flush=True), tty
        )
        follower = asyncio.create_task(view.follow())
        if not tty:
            print(HINT, flush=True)
        view.render()
        try:
            while True:
                line = await loop.run_in_executor(None, sys.stdin.readline)
                if not line or not await view.handle_line(line):
                    break
                if not tty:  # scripted input: let the bot answer before the next line
                    await view.settle()
        finally:
            follower.cancel()


def main(argv: list[str] | None = None) -> int:
    """Command line for the terminal chat."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8081")
    parser.add_argument("--user-id", type=int, default=1)
    parser.add_argument("--name", default="You")
    parser.add_argument("--language", default="en")
    args = parser.parse_args(argv)
    person = Person(args.user_id, args.name, language_code=args.language)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(chat(args.url, person))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
