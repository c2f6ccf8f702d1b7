"""A tiny test client for the engine: press buttons by label or position, read replies."""

from __future__ import annotations

from dataclasses import dataclass, field

from dialogs.content_model import Action
from dialogs.engine import DialogueEngine
from dialogs.events import Act, Begin, Choose, Event, Say
from dialogs.snapshot import Snapshot
from dialogs.turn import Button, ButtonKind, Turn


@dataclass
class Conversation:
    """One user's conversation with the engine, kept the way storage would keep it."""

    engine: DialogueEngine
    name: str = "Sam"
    snapshot: Snapshot | None = None
    turns: list[Turn] = field(default_factory=list)

    def send(self, event: Event) -> Turn:
        """Applies an event and checks the snapshot survives a JSON round trip, as stored."""
        turn = self.engine.apply(self.snapshot, event, name=self.name)
        stored = turn.snapshot.to_json()
        assert Snapshot.from_json(stored) == turn.snapshot
        self.snapshot = Snapshot.from_json(stored)
        self.turns.append(turn)
        return turn

    def start(self) -> Turn:
        """Sends /start."""
        return self.send(Begin())

    @property
    def last(self) -> Turn:
        """The latest turn."""
        return self.turns[-1]

    @property
    def keyboard(self) -> tuple[Button, ...]:
        """The buttons of the latest message that had any."""
        for turn in reversed(self.turns):
            for message in reversed(turn.messages):
                if message.buttons:
                    return message.buttons
        return ()

    @property
    def state(self) -> str:
        """The step the conversation is at."""
        assert self.snapshot is not None
        return self.snapshot.state

    def tap(self, label: str) -> Turn:
        """Taps the button with this label on the latest keyboard."""
        button = next((b for b in self.keyboard if b.label == label), None)
        assert button is not None, f"no button {label!r} in {[b.label for b in self.keyboard]}"
        return self.press(button)

    def tap_option(self, index: int) -> Turn:
        """Taps the answer button at this position (0-based) on the latest keyboard."""
        options = [b for b in self.keyboard if b.kind is ButtonKind.OPTION]
        return self.press(options[index % len(options)])

    def press(self, button: Button) -> Turn:
        """Sends the event a button press becomes."""
        if button.kind is ButtonKind.OPTION:
            return self.send(Choose(button.id, button.seq))
        return self.send(Act(Action(button.id), button.seq))

    def say(self, text: str) -> Turn:
        """Types free text."""
        return self.send(Say(text))

    def act(self, action: Action) -> Turn:
        """Sends a slash command."""
        return self.send(Act(action))

    def texts(self, turn: Turn | None = None) -> str:
        """All message texts of a turn (the latest by default), joined."""
        chosen = turn or self.last
        return "\n".join(f"{m.title or ''}\n{m.text}" for m in chosen.messages)


def answer_everything(conversation: Conversation, choose: int = 0) -> None:
    """Walks from /start to the end, always tapping the answer at position ``choose``."""
    conversation.start()
    conversation.tap("Let's begin")
    for _ in range(100):
        step = conversation.engine.content.step(conversation.state)
        if step.kind.value != "question":
            break
        conversation.tap_option(choose)
    conversation.tap("Thank you")
    assert conversation.state == "done"
