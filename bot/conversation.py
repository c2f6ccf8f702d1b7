"""The conversation service: one person's event through the engine and into storage.

This is the seam between the dialogue (pure, in ``dialogs/``) and the database (in
``storage/``): it turns a stored conversation into a snapshot, lets the engine apply the
event, and hands storage what changed and the calls that show it (``bot/replies.py``), to
commit together with the update id in one transaction. What is committed is then
delivered by the outbox (``bot/delivery.py``); nothing here talks to Telegram.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import timedelta

from pydantic import ValidationError

from bot import replies
from bot.replies import Tap
from dialogs.content_model import StepKind
from dialogs.engine import DialogueEngine
from dialogs.events import Event
from dialogs.library import Library
from dialogs.snapshot import Snapshot
from dialogs.turn import Effect, Outcome, Turn
from storage.columns import utc_now
from storage.conversations import ConversationStore
from storage.records import (
    AnswerWrite,
    Call,
    ConversationUpdate,
    Decision,
    StoredConversation,
    UserProfile,
)

log = logging.getLogger(__name__)

#: How long after the end the one check-in comes, unless CHECKIN_DELAY says otherwise.
DEFAULT_CHECKIN_DELAY = timedelta(days=7)
#: Makes the calls that show a turn: the chat, the turn, the tapped button, the chat's
#: live keyboard as stored.
Render = Callable[[int, Turn, Tap | None, int | None], Sequence[Call]]


class ConversationService:
    """Applies people's events to their stored conversations."""

    def __init__(
        self,
        engine: DialogueEngine,
        store: ConversationStore,
        checkin_delay: timedelta = DEFAULT_CHECKIN_DELAY,
        render: Render = replies.for_turn,
        library: Library | None = None,
    ) -> None:
        """``engine``: the source language's, for what every language shares (steps,
        snapshots, profiles); ``library``: each person's own language (without one,
        everyone gets ``engine``)."""
        self.engine = engine
        self.library = library
        self.store = store
        self.checkin_delay = checkin_delay
        self.render = render

    async def apply(
        self,
        user: UserProfile,
        event: Event,
        update_id: int | None = None,
        tap: Tap | None = None,
    ) -> Turn | None:
        """Applies the event and commits the result and its calls; None if this update was
        applied before. ``tap``: the button the event came from, which the calls answer."""

        def decide(stored: StoredConversation | None) -> Decision[Turn]:
            snapshot, unreadable = self._snapshot_of(stored, user.id)
            language = stored.language if stored is not None else None
            engine = self.speaking(language or user.language)
            turn = engine.apply(snapshot, event, name=user.first_name)
            keyboard = stored.keyboard_message_id if stored is not None else None
            calls = tuple(self.render(user.id, turn, tap, keyboard))
            return Decision(self._update_for(turn, unreadable), turn, calls)

        committed = await self.store.apply(user, update_id, decide)
        return committed.result if committed is not None else None

    def speaking(self, language: str | None) -> DialogueEngine:
        """The engine that talks in ``language`` (a stored code, or Telegram's)."""
        return self.library.engine_for(language) if self.library is not None else self.engine

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
