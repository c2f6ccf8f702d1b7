"""After a drill: read the database back and check that nothing was lost or bent.

For every person of the drill: a user row, exactly one current session, a snapshot the
current content accepts and that needs no repair, a step the content defines, the
conversation finished, and answer rows that match the snapshot's answers one for one (the
primary key makes a second copy impossible; matching makes a missing one visible). The
inbox and the outbox must be empty once the bot has stopped cleanly: every update handled,
every committed call delivered.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from dialogs import default_engine
from dialogs.snapshot import Snapshot
from storage.database import Database
from storage.models import Answer, ConversationSession, InboxUpdate, OutboxCall, User


@dataclass
class Audit:
    """What the database says about a drill's people."""

    people: int = 0
    finished: int = 0
    answers: int = 0
    inbox_left: int = 0
    outbox_left: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        """True when every check held."""
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        """The audit as JSON, problems trimmed to the first ten."""
        return {
            "people": self.people,
            "finished": self.finished,
            "answers_stored": self.answers,
            "inbox_left": self.inbox_left,
            "outbox_left": self.outbox_left,
            "problems": len(self.problems),
            "first_problems": self.problems[:10],
        }


async def audit(url: str, people: range) -> Audit:
    """Checks every person in ``people`` (user ids) in the database at ``url``."""
    engine = default_engine()
    steps = {step.id for step in engine.content.steps}
    result = Audit(people=len(people))
    database = Database(url)
    try:
        async with database.read() as session:
            users = set(
                (await session.execute(select(User.id).where(User.id.in_(people)))).scalars()
            )
            rows = (
                (
                    await session.execute(
                        select(ConversationSession).where(
                            ConversationSession.user_id.in_(people), ConversationSession.is_current
                        )
                    )
                )
                .scalars()
                .all()
            )
            answers: dict[int, Counter[str]] = {}
            for session_id, step in await session.execute(
                select(Answer.session_id, Answer.step).where(
                    Answer.session_id.in_([row.id for row in rows])
                )
            ):
                answers.setdefault(session_id, Counter())[step] += 1
            result.inbox_left = int(
                await session.scalar(select(func.count()).select_from(InboxUpdate)) or 0
            )
            result.outbox_left = int(
                await session.scalar(select(func.count()).select_from(OutboxCall)) or 0
            )
    finally:
        await database.dispose()
    current = Counter(row.user_id for row in rows)
    for person in people:
        if person not in users:
            result.problems.append(f"user {person}: no user row")
        if current[person] != 1:
            result.problems.append(f"user {person}: {current[person]} current sessions")
    for row in rows:
        where = f"user {row.user_id}"
        try:
            snapshot = Snapshot.model_validate(row.snapshot)
        except ValueError as error:
            result.problems.append(f"{where}: unreadable snapshot ({error})")
            continue
        if row.step not in steps or snapshot.state != row.step:
            result.problems.append(f"{where}: step {row.step!r} / state {snapshot.state!r}")
        if engine.adapt(snapshot) != snapshot:
            result.problems.append(f"{where}: the snapshot needed repair")
        stored = answers.get(row.id, Counter())
        result.answers += sum(stored.values())
        if set(stored) != set(snapshot.answers) or any(n != 1 for n in stored.values()):
            result.problems.append(
                f"{where}: answer rows {sorted(stored)} != answers {sorted(snapshot.answers)}"
            )
        if row.completed_at is not None:
            result.finished += 1
        else:
            result.problems.append(f"{where}: not finished (at {row.step})")
    if result.inbox_left:
        result.problems.append(f"{result.inbox_left} updates left in the inbox")
    if result.outbox_left:
        result.problems.append(f"{result.outbox_left} calls still owed after a clean stop")
    return result
