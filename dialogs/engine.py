"""The dialogue engine: a snapshot and an event in, a new snapshot and messages out.

The engine knows nothing of Telegram or databases. Given what a conversation looked like
(a :class:`Snapshot`, or None for someone new) and what the user just did (an
:mod:`event <dialogs.events>`), it returns a :class:`Turn`: the new snapshot and the
messages to send. It is pure apart from logging, so the same input always gives the same
output, which is what lets storage replay, tests explore and benchmarks repeat it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from dialogs.content_model import Action, Content, Option, OptionAction, Step, StepKind
from dialogs.danger_kinds import DangerKind
from dialogs.events import Act, Begin, Choose, Event, Say, Unreadable
from dialogs.guidance import compose_guidance, compose_summary, profile_picture
from dialogs.machine import DialogueMachine, Move, Trigger
from dialogs.matching import Reader, Vocabulary
from dialogs.normalise import normalise
from dialogs.profile import Profile, ProfileBuilder
from dialogs.render import TemplateRenderer
from dialogs.safety import DangerDetector, default_detector
from dialogs.safety_reply import ASKED, compose_safety_reply
from dialogs.snapshot import HISTORY_LIMIT, Snapshot
from dialogs.turn import (
    AnswerChange,
    Button,
    ButtonKind,
    Effect,
    Message,
    MessageKind,
    Outcome,
    Turn,
)

log = logging.getLogger(__name__)

#: Moves that are honoured from any keyboard, however old: asking for help is never stale,
#: and neither is answering "Are you safe right now?".
NEVER_STALE = frozenset({Action.SOS, Action.SAFE, Action.NOT_NOW, Action.REVISIT})
#: The buttons under a safety reply, a reminder, and the check-in.
SAFETY_BUTTONS = (Action.SAFE, Action.NOT_NOW)
REMINDER_BUTTONS = (Action.CONTINUE, Action.RESTART)
CHECKIN_BUTTONS = (Action.REVISIT, Action.NOT_NOW)


@dataclass(frozen=True, slots=True)
class Progress:
    """Where a conversation stands, as "step n of m"."""

    step: int
    total: int
    title: str
    finished: bool


class DialogueEngine:
    """Applies events to snapshots for one content; safe to share across all users."""

    def __init__(self, content: Content, detector: DangerDetector | None = None) -> None:
        self.content = content
        self.machine = DialogueMachine(content)
        self._profiles = ProfileBuilder(content)
        self._danger = detector or default_detector()
        safety = content.safety
        self._safe_words = frozenset(normalise(word) for word in safety.safe_words)
        self._unsafe_words = frozenset(normalise(word) for word in safety.unsafe_words)
        self._later_words = frozenset(normalise(word) for word in safety.later_words)
        self._greetings = frozenset(normalise(word) for word in content.greetings)
        reader = Reader(content.understanding)
        self._vocabularies = {
            step.id: Vocabulary.build(step.options, content.actions, reader)
            for step in content.steps
        }
        # Plain dicts for the hot path: pydantic's private-attribute lookups cost more.
        self._steps = {step.id: step for step in content.steps}
        self._positions = {
            step.id: Progress(
                step=content.section_number(step),
                total=len(content.sections),
                title=content.section_title(step),
                finished=step.kind is StepKind.END,
            )
            for step in content.steps
        }

    def step(self, step_id: str) -> Step:
        """The step with this id (KeyError for a step the content does not define)."""
        return self._steps[step_id]

    # ------------------------------------------------------------------ queries

    def new_snapshot(self) -> Snapshot:
        """The snapshot of a conversation that has not begun."""
        return Snapshot(state=self.content.first_step.id, content_version=self.content.version)

    def adapt(self, snapshot: Snapshot) -> Snapshot:
        """Fits a stored snapshot to the current content; a retired step resumes at the nearest."""
        content, steps = self.content, self._steps
        if (
            snapshot.content_version == content.version
            and snapshot.state in steps
            and all(step in steps for step in snapshot.history)
        ):
            return snapshot
        history = tuple(step for step in snapshot.history if step in steps)
        state = snapshot.state
        if state not in steps:
            replacement = history[-1] if history else content.first_step.id
            history = history[:-1] if history else ()
            log.warning(
                "session at step %r, which content %s no longer has, resumes at %r",
                state,
                content.version,
                replacement,
            )
            state = replacement
        return snapshot.model_copy(
            update={"state": state, "history": history, "content_version": content.version}
        )

    def profile(self, snapshot: Snapshot) -> Profile:
        """Factor scores, top factors and track, derived from the snapshot's answers."""
        return self._profiles.build(snapshot.answers)

    def progress(self, snapshot: Snapshot) -> Progress:
        """The snapshot's position as "step n of m"."""
        return self._positions[self.adapt(snapshot).state]

    def assess(self, text: str) -> frozenset[DangerKind]:
        """The kinds of danger free text suggests (empty for none), in any language."""
        return self._danger.assess(text)

    def progress_at(self, step_id: str) -> Progress:
        """The position of a step the content defines, as "step n of m"."""
        return self._positions[step_id]

    def is_finished(self, snapshot: Snapshot) -> bool:
        """Whether the conversation has reached its end step."""
        return self.progress(snapshot).finished

    def is_in_progress(self, snapshot: Snapshot) -> bool:
        """Whether the user has begun but not finished (the welcome does not count as begun)."""
        state = self.adapt(snapshot).state
        return state != self.content.first_step.id and not self.is_finished(snapshot)

    # ------------------------------------------------------------------ events

    def apply(self, snapshot: Snapshot | None, event: Event, *, name: str = "") -> Turn:
        """Applies one event; never raises for anything a user can send."""
        is_new = snapshot is None
        start = self.new_snapshot() if snapshot is None else self.adapt(snapshot)
        draft = _Draft(self, start, name)
        match event:
            case Begin():
                draft.safety_open = False
                self._begin(draft, is_new)
            case Choose(option_id=option_id, seq=seq):
                self._choose(draft, option_id, seq)
            case Say(text=text):
                self._say(draft, text, is_new)
            case Act(action=action, seq=seq):
                if draft.is_stale(seq) and action not in NEVER_STALE:
                    draft.stale()
                else:
                    self._act(draft, action)
            case Unreadable():
                if is_new:  # whatever someone sends first, they meet the welcome
                    self._begin(draft, is_new)
                elif draft.safety_open:  # never a re-prompt right after a safety reply
                    draft.say(self.content.safety.listening, actions=SAFETY_BUTTONS)
                else:
                    draft.outcome = Outcome.REPROMPT
                    draft.say(self.content.ui.cannot_read)
                    draft.arrive(with_intro=False)
        return draft.finish()

    def reminder(self, snapshot: Snapshot, name: str = "") -> Message | None:
        """The one gentle nudge for a conversation left half-way, with its buttons; None
        when the conversation stopped at a safety reply (a nudge about the dialogue is not
        what someone who said they were in danger needs).

        The buttons belong to the snapshot's current keyboard, so pressing Continue works
        exactly like /resume; nothing about the conversation changes by sending it.
        """
        if snapshot.safety_since_answer:
            return None
        return self._outside_a_turn(snapshot, name, self.content.ui.reminder, REMINDER_BUTTONS)

    def checkin(self, snapshot: Snapshot, name: str = "") -> Message:
        """The one check-in a week after the end: how are things, and shall we look again?

        Like the reminder, sending it changes nothing; its buttons are never stale, since a
        week may have passed."""
        return self._outside_a_turn(snapshot, name, self.content.checkin.offer, CHECKIN_BUTTONS)

    def _outside_a_turn(
        self, snapshot: Snapshot, name: str, template: str, actions: tuple[Action, ...]
    ) -> Message:
        """A message sent on the bot's own initiative, its buttons on the current keyboard."""
        draft = _Draft(self, self.adapt(snapshot), name)
        buttons = tuple(draft.action_button(action, draft.start.seq) for action in actions)
        return Message(text=draft.renderer()(template), buttons=buttons)

    def _begin(self, draft: _Draft, is_new: bool) -> None:
        step = draft.step
        if is_new or step.id == self.content.first_step.id:
            draft.arrive(with_intro=True)
        elif step.kind is StepKind.END:
            draft.say(self.content.ui.resume_finished)
            draft.arrive(with_intro=False)
        else:
            draft.say(
                self.content.ui.resume_prompt,
                actions=(Action.CONTINUE, Action.RESTART),
            )

    def _choose(self, draft: _Draft, option_id: str, seq: int | None) -> None:
        option = draft.step.option(option_id)
        if draft.is_stale(seq) or option is None:
            draft.stale()
            return
        draft.safety_open = False
        self._answer(draft, option)

    def _say(self, draft: _Draft, text: str, is_new: bool = False) -> None:
        folded = normalise(text)
        if draft.safety_open and self._answers_safety_question(draft, folded):
            return
        kinds = self._danger.assess(text)
        if kinds:
            self._safety(draft, kinds)
            return
        if draft.safety_open:
            self._after_safety_reply(draft, text)
            return
        if is_new:  # a first "hi" (or anything) gets what the bot is, and the offer to begin
            self._begin(draft, is_new)
            return
        if folded in self._greetings:  # "hi", "I'm back": where they are
            self._begin(draft, is_new=False)
            return
        vocabulary = self._vocabularies[draft.state]
        option = vocabulary.match_option(text)
        if option is not None:
            self._answer(draft, option)
            return
        action = vocabulary.match_action(text)
        if action is not None:
            self._act(draft, action)
            return
        draft.outcome = Outcome.REPROMPT
        draft.say(self.content.ui.reprompt)
        draft.arrive(with_intro=False)

    def _safety(self, draft: _Draft, kinds: frozenset[DangerKind]) -> None:
        """Steps out of the dialogue: what fits the danger, and "Are you safe right now?".

        The conversation stays exactly where it was; only the question is left open, so
        the next thing the person types is read as its answer, never re-prompted."""
        draft.outcome = Outcome.SAFETY
        draft.safety_open = draft.safety_since_answer = True
        draft.safety = tuple(sorted(kinds)) if kinds else (ASKED,)
        draft.say(compose_safety_reply(self.content.safety, kinds), actions=SAFETY_BUTTONS)

    def _answers_safety_question(self, draft: _Draft, folded: str) -> bool:
        """Typed answers to "Are you safe right now?": safe, not safe, or later."""
        if folded in self._safe_words:
            self._act(draft, Action.SAFE)
        elif folded in self._later_words:
            self._act(draft, Action.NOT_NOW)
        elif folded in self._unsafe_words:
            draft.say(self.content.safety.unsafe, actions=SAFETY_BUTTONS)
        else:
            return False
        return True

    def _after_safety_reply(self, draft: _Draft, text: str) -> None:
        """Other words after a safety reply: a move they asked for, or a kind word back."""
        action = self._vocabularies[draft.state].match_action(text)
        if action is not None:
            self._act(draft, action)
        else:
            draft.say(self.content.safety.listening, actions=SAFETY_BUTTONS)

    def _revisit(self, draft: _Draft) -> None:
        """The check-in accepted: the section's questions again, their answers kept as
        "then" for the comparison at the end. Anywhere but the end, it simply carries on."""
        section = self.content.checkin.section
        then = {
            step.id: answer
            for step in self.content.steps
            if step.section == section and (answer := draft.answers.get(step.id)) is not None
        }
        if draft.step.kind is not StepKind.END or not draft.fire(Trigger.REVISIT):
            draft.arrive(with_intro=False)
            return
        draft.checkin_then = then
        draft.say(self.content.checkin.begin)
        draft.arrive(with_intro=False)

    def _answer(self, draft: _Draft, option: Option) -> None:
        draft.chosen = option.label
        if option.action is not None:
            draft.just_chosen = option.id
            self._option_action(draft, option.action)
            return
        step = draft.step
        draft.paused = False
        if step.kind is StepKind.QUESTION:
            draft.record(step, option)
        if option.reply:
            draft.say(option.reply, kind=MessageKind.REPLY)
        if draft.fire(Trigger.ADVANCE, option_id=option.id):
            draft.arrive(with_intro=True)
        else:  # content validation makes this unreachable; stay put rather than strand anyone
            draft.arrive(with_intro=False)

    def _option_action(self, draft: _Draft, action: OptionAction) -> None:
        ui = self.content.ui
        match action:
            case OptionAction.PAUSE:
                self._act(draft, Action.PAUSE)
            case OptionAction.REVIEW:
                self._act(draft, Action.REVIEW)
            case OptionAction.RESTART:
                self._act(draft, Action.RESTART)
            case OptionAction.SUBSCRIBE:
                draft.effects.append(Effect.SUBSCRIBE)
                draft.say(ui.subscribed)
                draft.arrive(with_intro=False)
            case OptionAction.UNSUBSCRIBE:
                draft.effects.append(Effect.UNSUBSCRIBE)
                draft.say(ui.unsubscribed)
                draft.arrive(with_intro=False)
            case OptionAction.CHECK_IN:
                draft.effects.append(Effect.CHECK_IN)
                draft.say(self.content.checkin.scheduled)
                draft.arrive(with_intro=False)

    def _act(self, draft: _Draft, action: Action) -> None:
        ui = self.content.ui
        step = draft.step
        was_open, draft.safety_open = draft.safety_open, False
        match action:
            case Action.MORE:
                for text in step.more or (ui.no_more,):
                    draft.say(text)
                draft.arrive(with_intro=False)
            case Action.BACK:
                if draft.fire(Trigger.BACK):
                    draft.arrive(with_intro=False)
                else:
                    draft.say(ui.cannot_back)
                    draft.arrive(with_intro=False)
            case Action.SKIP:
                if draft.fire(Trigger.SKIP):
                    draft.withdraw(step)
                    draft.say(ui.skipped)
                    draft.arrive(with_intro=True)
                else:
                    draft.say(ui.cannot_skip)
                    draft.arrive(with_intro=False)
            case Action.PAUSE:
                draft.paused = True
                draft.say(ui.paused, actions=(Action.CONTINUE,))
            case Action.CONTINUE:
                if draft.paused:
                    draft.say(ui.resumed)
                draft.paused = False
                draft.arrive(with_intro=False)
            case Action.RESTART:
                draft.fire(Trigger.RESTART)
                draft.restart()
                draft.say(ui.restarted)
                draft.arrive(with_intro=True)
            case Action.REVIEW:
                if step.kind is StepKind.QUESTION:
                    draft.say(ui.summary_not_ready)
                    draft.arrive(with_intro=False)
                else:
                    draft.say(draft.summary())
                    draft.messages.append(draft.picture())
                    draft.arrive(with_intro=False)
            case Action.HELP:
                draft.say(ui.help)
                draft.arrive(with_intro=False, extra=(Action.SOS, Action.LANGUAGE))
            case Action.PROGRESS:
                finished = step.kind is StepKind.END
                draft.say(ui.progress_finished if finished else ui.progress)
            case Action.PRIVACY:
                draft.say(ui.privacy)
            case Action.SOS:
                self._safety(draft, frozenset())
            case Action.SAFE:
                draft.say(self.content.safety.glad if was_open else ui.resumed)
                draft.paused = False
                draft.arrive(with_intro=False)
            case Action.NOT_NOW if was_open or step.kind is not StepKind.END:
                draft.paused = True
                draft.say(self.content.safety.later, actions=(Action.CONTINUE,))
            case Action.NOT_NOW:  # the check-in, declined
                draft.say(self.content.checkin.declined)
            case Action.REVISIT:
                self._revisit(draft)
            case Action.LANGUAGE:  # the bot answers it (it knows the languages): here, the step
                draft.arrive(with_intro=False)


@dataclass
class _Draft:
    """One event's work in progress: the evolving conversation and what to say about it."""

    engine: DialogueEngine
    start: Snapshot
    name: str
    messages: list[Message] = field(default_factory=list)
    effects: list[Effect] = field(default_factory=list)
    outcome: Outcome | None = None
    notice: str | None = None
    answer: AnswerChange | None = None
    state: str = ""
    history: tuple[str, ...] = ()
    answers: dict[str, str] = field(default_factory=dict)
    paused: bool = False
    keyboard_shown: bool = False
    chosen: str | None = None
    safety_open: bool = False
    safety_since_answer: bool = False
    safety: tuple[str, ...] = ()
    just_chosen: str | None = None  # an end-menu choice, left out of the menu shown next
    checkin_then: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.state = self.start.state
        self.history = self.start.history
        self.answers = dict(self.start.answers)
        self.paused = self.start.paused
        self.safety_open = self.start.safety_open
        self.safety_since_answer = self.start.safety_since_answer
        self.checkin_then = dict(self.start.checkin_then)

    @property
    def step(self) -> Step:
        """The step the conversation is at right now."""
        return self.engine.step(self.state)

    @property
    def next_seq(self) -> int:
        """The generation of any keyboard sent in this turn; older keyboards become stale."""
        return self.start.seq + 1

    def is_stale(self, seq: int | None) -> bool:
        """A button from a keyboard other than the latest one is stale (typed input is not)."""
        return seq is not None and seq != self.start.seq

    def stale(self) -> None:
        """Nothing changes; the user gets a short notice instead."""
        self.outcome = Outcome.STALE
        self.notice = self.engine.content.ui.stale

    def fire(self, trigger: Trigger, **kwargs: str) -> bool:
        """Moves the conversation with the machine; False (and no change) if it refuses."""
        move: Move = self.engine.machine.fire(trigger, self.state, self.history, **kwargs)
        if move.moved:
            self.state, self.history = move.state, move.history[-HISTORY_LIMIT:]
            if self.outcome is None and trigger is not Trigger.RESTART:
                self.outcome = Outcome.MOVED
        return move.moved

    def record(self, step: Step, option: Option) -> None:
        """Keeps an answer (a later answer to the same step replaces it)."""
        self.answers[step.id] = option.id
        self.safety_since_answer = False
        self.answer = AnswerChange(step=step.id, option_id=option.id, label=option.label)

    def withdraw(self, step: Step) -> None:
        """A skipped question keeps no answer, even one given before going back."""
        if self.answers.pop(step.id, None) is not None:
            self.answer = AnswerChange(step=step.id, option_id=None, label=None)

    def restart(self) -> None:
        """Sets all answers aside; storage keeps the old conversation as it was."""
        self.answers.clear()
        self.paused = False
        self.outcome = Outcome.RESTARTED

    def renderer(self, **extra: str) -> TemplateRenderer:
        """Fills placeholders with this user's name, progress and section."""
        position = self.engine.progress_at(self.state)
        return TemplateRenderer(
            name=self.name.strip() or self.engine.content.ui.default_name,
            step=str(position.step),
            total=str(position.total),
            title=position.title,
            **extra,
        )

    def say(
        self,
        template: str,
        *,
        title: str | None = None,
        actions: tuple[Action, ...] = (),
        kind: MessageKind = MessageKind.SAY,
    ) -> None:
        """Adds a message; action buttons, if any, belong to this turn's keyboard."""
        buttons = tuple(self.action_button(action, self.next_seq) for action in actions)
        self.keyboard_shown |= bool(buttons)
        text = self.renderer()(template)
        self.messages.append(Message(text=text, title=title, buttons=buttons, kind=kind))

    def arrive(self, *, with_intro: bool, extra: tuple[Action, ...] = ()) -> None:
        """Shows the current step: its introduction (when moving forward) and its question,
        with ``extra`` moves under it (help offers "I need help now" there)."""
        step = self.step
        render = self.renderer()
        if step.kind is StepKind.END:
            self.checkin_then = {}  # a check-in ends where the conversation did
        if step.kind is StepKind.GUIDANCE and with_intro and self.checkin_then:
            self.messages.extend(self.then_and_now())
        elif step.kind is StepKind.GUIDANCE and with_intro:
            profile = self.engine.profile(self._snapshot())
            render = render.with_values(track=profile.track.title)
            for title, text in compose_guidance(self.engine.content, profile, self.answers, render):
                self.messages.append(Message(text=text, title=title))
            self.messages.append(self.picture())
        elif with_intro:
            self.messages.extend(Message(text=render(text)) for text in step.messages)
        options = step.options
        prompt = step.prompt
        if step.kind is StepKind.END and self.just_chosen is not None:
            options = tuple(option for option in options if option.id != self.just_chosen)
            prompt = self.engine.content.ui.anything_else
        buttons = tuple(
            Button(ButtonKind.OPTION, option.id, option.label, self.next_seq) for option in options
        ) + tuple(
            self.action_button(action, self.next_seq)
            for action in (*extra, *self._step_actions(step))
        )
        self.keyboard_shown = True
        self.messages.append(Message(text=render(prompt), buttons=buttons))

    def then_and_now(self) -> list[Message]:
        """After a check-in: each revisited question then and now, and the track again."""
        content = self.engine.content
        checkin = content.checkin
        before = self.engine.profile(
            self._snapshot().model_copy(update={"answers": {**self.answers, **self.checkin_then}})
        )
        now = self.engine.profile(self._snapshot())
        lines = []
        for step_id, name in checkin.names.items():
            step = content.step(step_id)
            then_option = step.option(self.checkin_then.get(step_id, ""))
            now_option = step.option(self.answers.get(step_id, ""))
            if now_option is None:
                continue
            if then_option is None or then_option.id == now_option.id:
                lines.append(self.renderer(question=name, now=now_option.label)(checkin.same))
            else:
                values = {"question": name, "then": then_option.label, "now": now_option.label}
                lines.append(self.renderer(**values)(checkin.changed))
        track = self.renderer(then=before.track.title, now=now.track.title)(checkin.track)
        return [
            Message(text="\n".join([*lines, "", track]), title=checkin.heading),
            Message(text=self.renderer()(now.track.message), title=now.track.title),
        ]

    def picture(self) -> Message:
        """The picture of the profile, its caption saying the same in words."""
        profile = self.engine.profile(self._snapshot())
        render = self.renderer(track=profile.track.title)
        picture = profile_picture(self.engine.content, profile, render)
        return Message(text=picture.text, picture=picture)

    def summary(self) -> str:
        """The shareable summary of the answers so far."""
        profile = self.engine.profile(self._snapshot())
        render = self.renderer(track=profile.track.title)
        return compose_summary(self.engine.content, profile, self.answers, render)

    def _step_actions(self, step: Step) -> tuple[Action, ...]:
        actions: list[Action] = []
        if step.more:
            actions.append(Action.MORE)
        if self.history and step.kind is not StepKind.END:
            actions.append(Action.BACK)
        if step.kind is StepKind.QUESTION and step.skippable:
            actions.append(Action.SKIP)
        if step.kind is StepKind.QUESTION and step.id != self.engine.content.first_step.id:
            actions.append(Action.PAUSE)
        return tuple(actions)

    def action_button(self, action: Action, seq: int) -> Button:
        """A move's button on the keyboard of generation ``seq``."""
        label = self.engine.content.actions[action].label
        return Button(ButtonKind.ACTION, action.value, label, seq)

    def _snapshot(self) -> Snapshot:
        return Snapshot(
            state=self.state,
            answers=self.answers,
            history=self.history,
            seq=self.next_seq if self.keyboard_shown else self.start.seq,
            paused=self.paused,
            safety_open=self.safety_open,
            safety_since_answer=self.safety_since_answer,
            checkin_then=self.checkin_then,
            content_version=self.engine.content.version,
        )

    def finish(self) -> Turn:
        """Seals the turn: the new snapshot and everything to say."""
        if self.outcome is Outcome.STALE:
            return Turn(snapshot=self.start, messages=(), outcome=Outcome.STALE, notice=self.notice)
        return Turn(
            snapshot=self._snapshot(),
            messages=tuple(self.messages),
            outcome=self.outcome or Outcome.STAYED,
            answer=self.answer,
            effects=tuple(self.effects),
            notice=self.notice,
            chosen=self.chosen,
            safety=self.safety,
        )
