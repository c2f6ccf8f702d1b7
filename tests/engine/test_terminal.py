"""The terminal chat that `make run` opens, driven end to end as a subprocess."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from dialogs.engine import DialogueEngine
from dialogs.terminal import TerminalChat

ROOT = Path(__file__).resolve().parents[2]


def test_a_person_can_finish_the_whole_conversation_in_the_terminal(tmp_path: Path) -> None:
    # welcome, 3 context questions, 10 factor questions, 4 viability, then "Thank you".
    lines = ["1"] * 18 + ["1", "/progress", "/quit"]
    session = tmp_path / "session.json"
    result = subprocess.run(
        [sys.executable, "-m", "dialogs.terminal", "--session", str(session), "--name", "Jo"],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=True,
    )
    assert "Hi Jo, I'm Closer" in result.stdout
    assert "Things to try:" in result.stdout
    assert "That's the whole path, Jo." in result.stdout
    assert "You've been through all 9 steps." in result.stdout
    assert session.exists()


def test_quitting_and_coming_back_resumes_where_you_were(
    engine: DialogueEngine, tmp_path: Path
) -> None:
    session = tmp_path / "session.json"
    shown: list[str] = []
    first = TerminalChat(engine, session, "Jo")
    for line in ["/start", "1", "2", "3"]:
        event = first.event_for(line)
        assert event is not None
        first.send(event, shown.append)
    again = TerminalChat(engine, session, "Jo")
    event = again.event_for("/start")
    assert event is not None
    turn = again.send(event, shown.append)
    assert "You were on step 2 of 9" in turn.messages[0].text
    assert again.event_for("/nonsense") is None
