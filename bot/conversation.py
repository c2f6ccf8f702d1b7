"""The conversation service: one user event through the engine and into storage.

This is the seam between the dialogue (pure, in ``dialogs/``) and the database (in
``storage/``). It knows neither Telegram nor SQL: it turns a stored conversation into a
snapshot, lets the engine apply the event, and describes what changed for storage to
commit in the same transaction as the update id.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import ValidationError

from dialogs.content_model import StepKind
from dialogs.engine import DialogueEngine
from dialogs.events import Event
from dialogs.snapshot import Snapshot
from dialogs.turn import Effect, Outcome, Turn
from storage.columns import utc_now
from storage.conversations import ConversationStore
from storage.records import (
    AnswerWrite,
    ConversationUpdate,
    Decision,
    StoredConversation,
    UserProfile,
)

log = logging.getLogger(__name__)

#: How long after the end the one check-in comes, unless CHECKIN_DELAY says otherwise.
DEFAULT_CHECKIN_DELAY = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class Applied:
    """A committed turn, and since when its session is owed the turn's reply (None when
    the turn changed nothing, e.g. a stale button)."""

    turn: Turn
    owed_since: datetime | None


class ConversationService:
    """Applies user events to their stored conversations."""

    def __init__(
        self,
        engine: DialogueEngine,
        store: ConversationStore,
        checkin_delay: timedelta = DEFAULT_CHECKIN_DELAY,
    ) -> None:
        self.engine = engine
        self.store = store
        self.checkin_delay = checkin_delay

    async def handle(
        self, user: UserProfile, event: Event, update_id: int | None = None
    ) -> Turn | None:
        """Applies the event and commits the result; None if this update was applied before."""
        applied = await self.apply(user, event, update_id)
        return applied.turn if applied is not None else None

    async def apply(
        self,
        user: UserProfile,
        event: Event,
        update_id: int | None = None,
        only_if_owed_since: datetime | None = None,
    ) -> Applied | None:
        """Like ``handle``, with when the turn was marked owed its reply (to note its
        delivery). ``only_if_owed_since``: apply only if the session is still owed the reply
        marked then (a re-send that someone's own event has overtaken is not needed)."""

        def decide(stored: StoredConversation | None) -> Decision[Turn | None]:
            if only_if_owed_since is not None and (
                stored is None or stored.reply_owed_at != only_if_owed_since
            ):
                return Decision(None, None)
            snapshot, unreadable = self._snapshot_of(stored, user.id)
            turn = self.engine.apply(snapshot, event, name=user.first_name)
            return Decision(self._update_for(turn, unreadable), turn)

        turn, owed_since = await self.store.apply_event_owed(user, update_id, decide)
        return Applied(turn, owed_since) if turn is not None else None

    async def current(self, user_id: int) -> Snapshot | None:
        """The user's current snapshot, adapted to the current content; None if none."""
        stored = await self.store.load(user_id)
        snapshot, _ = self._snapshot_of(stored, user_id)
        return snapshot

    def _snapshot_of(
        self, stored: StoredConversation | None, user_id: int
    ) -> tuple[Snapshot | None, bool]:
        """The stored snapshot, adapted; an unreadable one starts afresh and is kept aside."""
        if stored is None:
            return None, False
        try:
            return self.engine.adapt(Snapshot.model_validate(stored.snapshot)), False
        except ValidationError as error:
            log.error(
                "user %s: stored snapshot of session %s is unreadable (%s); starting afresh",
                user_id,
                stored.session_id,
                error.error_count(),
            )
            return None, True

    def _update_for(self, turn: Turn, unreadable: bool) -> ConversationUpdate | None:
        if turn.outcome is Outcome.STALE:
            return None
        snapshot = turn.snapshot
        step = self.engine.step(snapshot.state)
        top_factor = track = None
        if step.kind is not StepKind.QUESTION:  # the user has seen their guidance
            profile = self.engine.profile(snapshot)
            top_factor, track = profile.top_factor_id, profile.track.id
        subscribed = None
        if Effect.SUBSCRIBE in turn.effects:
            subscribed = True
        elif Effect.UNSUBSCRIBE in turn.effects:
            subscribed = False
        answer = None
        if turn.answer is not None:
            answer = AnswerWrite(step=turn.answer.step, option=turn.answer.option_id)
        return ConversationUpdate(
            snapshot=snapshot.to_dict(),
            content_version=snapshot.content_version,
            step=snapshot.state,
            finished=step.kind is StepKind.END,
            top_factor=top_factor,
            track=track,
            answer=answer,
            restarted=turn.outcome is Outcome.RESTARTED or unreadable,
            subscribed=subscribed,
            safety_reply=turn.safety,
            checkin_due_at=(
                utc_now() + self.checkin_delay if Effect.CHECK_IN in turn.effects else None
            ),
        )
