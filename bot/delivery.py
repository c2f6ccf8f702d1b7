"""Every committed call reaches Telegram: the outbox's rows, delivered in order, once.

This is the bot's delivery guarantee, all of it. Whatever a turn, a reminder, an admin or
a data-rights request commits to saying is a row in the outbox (``storage/outbox.py``),
written in the same transaction as what caused it. From there:

1. **At once.** The process that commits rows hands them here straight from the commit
   (``take``); nothing polls, so a reply leaves as soon as its turn is stored.
2. **In order, per chat.** Each chat has one worker that makes its calls one after the
   other, in the order they were committed, each only once the one before has arrived
   (so a tapped question is settled only after the next one is there). Answers to taps
   are not chat messages and go at once, beside the chat's queue. Different chats never
   wait for each other.
3. **Until Telegram confirms.** The sender (``bot/sender.py``) waits out 429s and retries
   network errors; if a call still fails, the row stays and is tried again after a pause
   that grows to a minute, so an outage delays replies but loses none. A 400 (the message
   to edit is gone, say) drops that call; a 403 drops every call to that chat and marks the
   person as having blocked the bot.
4. **Recorded.** A confirmed call's row is deleted in the batch writer's next transaction,
   with what its delivery taught: the chat's live keyboard (the one before loses its
   buttons) and an admin's panel message.
5. **After a crash.** The leader takes over the rows a dead process left
   (``bot/takeover.py``) and delivers them exactly as committed, in id order before
   anything newer of the same chat.

**What can arrive twice**, and why no more: only a call whose row survived a crash, that
is one the dead process had handed to Telegram, or one Telegram had confirmed whose
deletion had not committed yet. A message (a call that puts one in the chat) takes a place
in ``window`` before it is made and gives it back only once its deletion has committed
(or it failed, undelivered), so at any moment at most ``window`` messages are in one of
those two states: a SIGKILL doubles at most ``window = 4 x TELEGRAM_POOL_SIZE`` messages;
the kill drill counts them per kill. (An edit or an answer to a tap made again changes
nothing anyone sees, so they take no place.)

**How long a row can wait** when its process died: until the next start on SQLite; on
PostgreSQL, until the leader's next look (``storage.presence.CHECK_SECONDS``), or, when the
leader itself died, until a new one leads (within the same).
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict, deque
from collections.abc import Awaitable
from typing import Any

from telegram.error import BadRequest, TelegramError

from bot import attachments
from bot.limits import MESSAGE_METHODS
from bot.replies import KEYBOARD
from bot.sender import BlockedError, Sender
from storage.errors import StorageUnavailableError
from storage.outbox import Delivered, OutboxStore, Queued

log = logging.getLogger(__name__)
#: Calls that are not messages in a chat, so nothing in the chat waits for them.
BESIDE_THE_QUEUE = frozenset({"answerCallbackQuery"})
#: Calls the outbox holds that are instructions to the bot, not Bot API methods.
RESUME = "closer:resume"  # an owed reply from before the outbox (migration 0006)
#: Pauses before trying a failed call again, growing to the last.
RETRY_PAUSES = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0)
#: Chats whose live keyboard this process remembers (the database has the rest).
LIVE_KEYBOARDS = 10_000
#: Messages in the window per connection of the pool: enough that the window never holds
#: the sender back (a place is held for a round trip plus the wait for a transaction to
#: record it in), small enough to be the bound on what a crash can double.
WINDOW_PER_CONNECTION = 4


class Delivery:
    """Delivers outbox rows through the sender: per chat in order, and records them."""

    def __init__(
        self,
        outbox: OutboxStore,
        sender: Sender,
        *,
        resume: Any = None,
    ) -> None:
        self.outbox = outbox
        self.sender = sender
        #: How to show someone their current question (``closer:resume`` rows).
        self.resume = resume
        self._queues: dict[int, deque[Queued]] = {}
        self._workers: dict[int, asyncio.Task[None]] = {}
        self._beside: set[asyncio.Task[Any]] = set()
        self._prepared: dict[int, asyncio.Task[dict[str, Any]]] = {}
        # chat -> its live keyboard, as delivered here (fresher than the one the row was
        # written with, when this process delivered the keyboard before it)
        self._live: OrderedDict[int, int] = OrderedDict()
        #: Messages made or being made and not yet recorded as delivered: the doubling bound.
        self.window = WINDOW_PER_CONNECTION * sender.in_flight
        self._places = asyncio.Semaphore(self.window)
        self._pending = Delivered()  # deliveries waiting for the next record
        self._pending_places = 0
        self._flush_soon = False
        self.delivered = 0
        self.dropped = 0
        self.taken_over = 0

    # ------------------------------------------------------------------ taking rows

    def take(self, rows: list[Queued]) -> None:
        """Queues committed rows and starts their chats' workers. A chat's calls go in id
        order: rows taken over from a dead process go before newer ones already queued
        (but never before the one being made)."""
        for row in rows:
            if row.call.method in BESIDE_THE_QUEUE:
                task = asyncio.create_task(self._deliver(row), name=f"call-{row.id}")
                self._beside.add(task)
                task.add_done_callback(self._beside.discard)
                continue
            if attachments.needs_drawing(row.call.params):  # drawn while earlier calls go
                self._prepared[row.id] = asyncio.create_task(attachments.resolve(row.call.params))
            queue = self._queues.setdefault(row.chat_id, deque())
            if queue and row.id < queue[-1].id:
                _insert_in_order(queue, row, busy=row.chat_id in self._workers)
            else:
                queue.append(row)
            if row.chat_id not in self._workers:
                worker = asyncio.create_task(self._work(row.chat_id), name=f"chat-{row.chat_id}")
                self._workers[row.chat_id] = worker

    def holds(self) -> set[int]:
        """The ids of the rows this process has in hand."""
        return {row.id for queue in self._queues.values() for row in queue}

    @property
    def backlog(self) -> int:
        """Calls taken and not yet delivered by this process."""
        return sum(len(queue) for queue in self._queues.values()) + len(self._beside)

    async def close(self, patience: float = 10.0) -> None:
        """On stop: lets the calls in hand finish (for a while), then records them; calls
        still waiting stay in the outbox for the next start."""
        workers = list(self._workers.values())
        if workers:
            _, late = await asyncio.wait(workers, timeout=patience)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        while self._beside:  # answers to taps, and the records of what was delivered
            await asyncio.gather(*self._beside, return_exceptions=True)

    def take_over(self, rows: list[Queued]) -> None:
        """Delivers rows a dead process left (those not already in hand)."""
        if not rows:
            return
        held = self.holds()
        rows = [row for row in rows if row.id not in held]
        if rows:
            self.taken_over += len(rows)
            log.warning("delivering %d calls committed by a process that is gone", len(rows))
            self.take(rows)

    # ------------------------------------------------------------------ delivering

    async def _work(self, chat_id: int) -> None:
        """Makes one chat's calls in order; ends when its queue is empty."""
        queue = self._queues[chat_id]
        try:
            while queue:
                if await self._deliver(queue[0]) is None:  # blocked: nothing more goes there
                    self._drop(queue)
                    break
                queue.popleft()
        finally:
            # Left with calls only when cancelled (a stop): their rows stay in the outbox.
            del self._workers[chat_id]
            del self._queues[chat_id]

    async def _deliver(self, row: Queued) -> bool | None:
        """Makes one call until Telegram takes it (True), refuses it for good (False), or
        the chat turns out to have blocked the bot (None)."""
        call = row.call
        failures = 0
        placed = call.method in MESSAGE_METHODS or call.method == RESUME
        while True:
            if placed:
                await self._places.acquire()  # given back once recorded (see ``_record``)
            try:
                if call.method == RESUME:
                    return await self._resume(row)
                result = await self.sender.call(
                    call.method, await self._params(row), chat_id=call.chat_id
                )
            except BlockedError:
                self._record(Delivered(ids=[row.id], blocked={call.chat_id}), placed)
                return None
            except BadRequest as error:
                # The message to edit is gone or unchanged, a text too long: again would
                # not help, and the conversation goes on without this call.
                log.info("%s to chat %s refused for good: %s", call.method, call.chat_id, error)
                self.dropped += 1
                self._record(Delivered(ids=[row.id]), placed)
                return False
            except (TelegramError, Exception) as error:  # an outage; or a bug: the row waits
                if placed:
                    self._places.release()  # not delivered, so nothing to double
                pause = RETRY_PAUSES[min(failures, len(RETRY_PAUSES) - 1)]
                failures += 1
                log.warning(
                    "%s to chat %s not delivered (%r); trying again in %.0f s (row %d)",
                    call.method,
                    call.chat_id,
                    error,
                    pause,
                    row.id,
                )
                await asyncio.sleep(pause)
                continue
            self.delivered += 1
            await self._learn(row, result, placed)
            return True

    async def _params(self, row: Queued) -> dict[str, Any]:
        prepared = self._prepared.pop(row.id, None)
        if prepared is not None:
            return await prepared
        return await attachments.resolve(row.call.params)

    async def _learn(self, row: Queued, result: Any, placed: bool) -> None:
        """Records the delivery, with the chat's new live keyboard when it was one."""
        effects = row.call.effects or {}
        delivered = Delivered(ids=[row.id])
        keyboard = effects.get(KEYBOARD)
        message_id = result.get("message_id") if isinstance(result, dict) else None
        if keyboard is not None and message_id is not None:
            chat_id = row.chat_id
            previous = self._live.pop(chat_id, keyboard.get("previous"))
            self._live[chat_id] = int(message_id)
            if len(self._live) > LIVE_KEYBOARDS:
                self._live.popitem(last=False)
            delivered.keyboards[chat_id] = int(message_id)
            if previous not in (None, message_id, keyboard.get("settling")):
                await self._retire(chat_id, int(previous))
        if "panel" in effects and message_id is not None:
            delivered.panels[int(effects["panel"])] = int(message_id)
        self._record(delivered, placed)

    async def _retire(self, chat_id: int, message_id: int) -> None:
        """The keyboard before the new one loses its buttons (best effort: if it is gone or
        too old, its buttons stay, and only work as stale taps)."""
        try:
            await self.sender.call(
                "editMessageReplyMarkup",
                {"chat_id": chat_id, "message_id": message_id},
                chat_id=chat_id,
            )
        except (TelegramError, BlockedError) as error:
            log.info("old keyboard %s in chat %s kept its buttons: %s", message_id, chat_id, error)

    def _record(self, delivered: Delivered, holding: bool) -> None:
        """Adds a delivery to the next record. The records of one moment go together (one
        job for the batch writer, which lets it ride in the next transaction); once that
        has committed, the places in the window they held (``holding``) are given back."""
        pending = self._pending
        pending.ids += delivered.ids
        pending.keyboards.update(delivered.keyboards)
        pending.panels.update(delivered.panels)
        pending.blocked |= delivered.blocked
        self._pending_places += holding
        if not self._flush_soon:
            self._flush_soon = True
            asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_soon = False
        delivered, self._pending = self._pending, Delivered()
        places, self._pending_places = self._pending_places, 0
        future: Awaitable[None] = self.outbox.record(delivered)

        async def recorded() -> None:
            try:
                await future
            except StorageUnavailableError as error:
                log.warning("deliveries not recorded yet (%s); trying again", error)
                await asyncio.sleep(1.0)
                self._pending_places += places  # the places stay taken meanwhile
                self._record(delivered, holding=False)
                return
            except Exception:
                log.exception("recording deliveries failed; they will be sent again")
            for _ in range(places):
                self._places.release()

        task = asyncio.create_task(recorded())
        self._beside.add(task)
        task.add_done_callback(self._beside.discard)

    def _drop(self, queue: deque[Queued]) -> None:
        """A chat that blocked the bot: its remaining calls go (their rows too)."""
        rows = list(queue)
        queue.clear()
        for row in rows:
            self._prepared.pop(row.id, None)
        self._record(Delivered(ids=[row.id for row in rows]), holding=False)

    async def _resume(self, row: Queued) -> bool:
        """An owed reply from before the outbox: the person's current question, once."""
        if self.resume is not None:
            await self.resume(row.chat_id)
        self._record(Delivered(ids=[row.id]), holding=True)
        return True


def _insert_in_order(queue: deque[Queued], row: Queued, *, busy: bool) -> None:
    """Puts ``row`` where its id belongs in a chat's queue; the head stays first when its
    call is already being made (``busy``)."""
    start = 1 if busy else 0
    position = next((i for i in range(start, len(queue)) if queue[i].id > row.id), len(queue))
    queue.insert(position, row)
