"""Typed model of a dialogue content file, and the checks that run when one is loaded.

Content is data: every sentence the user reads, every question, option, weight, track and
piece of guidance lives in a YAML file under ``dialogs/content/``. This module turns that
file into frozen, typed objects and refuses a broken file at start-up with an error that
names the file, the step and what is wrong, so a typo never surfaces at 3 a.m. in a chat.
"""

from __future__ import annotations

import string
from collections.abc import Iterator, Mapping
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator

from dialogs.danger_kinds import DangerKind
from dialogs.normalise import normalise

#: Telegram refuses message texts longer than this many characters.
TELEGRAM_TEXT_LIMIT = 4096
#: Telegram refuses inline-button labels that are empty or very long; 64 keeps them phone-sized.
BUTTON_LABEL_LIMIT = 64
#: Placeholders a text may use; the engine fills them in when it renders the text.
PLACEHOLDERS = frozenset({"name", "step", "total", "title", "track"})
#: Placeholders of the check-in's "then and now" lines, besides the usual ones.
CHECKIN_PLACEHOLDERS = PLACEHOLDERS | {"question", "then", "now"}
#: Placeholders of a line of the profile picture's caption.
PICTURE_PLACEHOLDERS = frozenset({"factor", "filled", "cells"})
#: Placeholders of the admins' texts (broadcasts and statistics).
ADMIN_PLACEHOLDERS = frozenset(
    [
        "id",
        "audience",
        "size",
        "sent",
        "failed",
        "blocked",
        "left",
        "rate",
        "eta",
        "duration",
        "when",
        "status",
        "factor",
        "track",
        "count",
        "share",
        "step",
        "users",
        "new",
        "active",
        "subscribed",
        "completion",
        "broadcasts",
        "delivered",
        "safety",
        "safety_recent",
        "language",
    ]
)
#: Identifiers of steps, options, factors and tracks travel in callback data: keep them short.
IDENTIFIER_PATTERN = r"^[a-z][a-z0-9_]{0,31}$"

Identifier = Annotated[str, Field(pattern=IDENTIFIER_PATTERN)]
Text = Annotated[str, Field(min_length=1)]


class ContentError(ValueError):
    """A content file is broken; the message names the file, the step and the problem."""


class StepKind(StrEnum):
    """What a step does when the user arrives at it."""

    QUESTION = "question"  # asks something and waits for an option
    GUIDANCE = "guidance"  # composes "moving forward" from the user's profile
    END = "end"  # the conversation is over; offers review, restart, subscription


class OptionAction(StrEnum):
    """Special meaning an option can carry instead of simply moving on."""

    PAUSE = "pause"
    REVIEW = "review"
    RESTART = "restart"
    SUBSCRIBE = "subscribe"
    UNSUBSCRIBE = "unsubscribe"
    CHECK_IN = "check_in"  # asks for the one check-in a week later


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Section(_Frozen):
    """A stage of the conversation, counted in "step n of m"."""

    id: Identifier
    title: Text


#: An answer named in content: ``step.option``.
AnswerRef = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,31}\.[a-z][a-z0-9_]{0,31}$")]


class Suggestion(_Frozen):
    """Something to try for a factor, and whose answers it fits.

    ``when``: shown only after one of these answers (and then before the general ones);
    ``unless``: never after one of these (no evening check-ins for someone who feels
    watched); ``accommodating``: advice to make room for the partner, which gives way on a
    track where the person's own needs come first.
    """

    text: Text
    when: tuple[AnswerRef, ...] = ()
    unless: tuple[AnswerRef, ...] = ()
    accommodating: bool = False


class Factor(_Frozen):
    """One of the article's five reasons a partner may pull away."""

    id: Identifier
    title: Text
    suggestions: tuple[Suggestion, ...] = Field(min_length=1)


class Option(_Frozen):
    """A quick-reply answer to a step's question."""

    id: Identifier
    label: Annotated[str, Field(min_length=1, max_length=BUTTON_LABEL_LIMIT)]
    aliases: tuple[Text, ...] = ()
    reply: str | None = None
    weights: dict[Identifier, int] = Field(default_factory=dict)
    concern: int = 0
    next: Identifier | None = None
    action: OptionAction | None = None
    #: How "moving forward" refers back to this answer when it is among the most telling.
    reflection: str | None = None
    #: Words and phrases that point to this answer when typed ("@yes": a whole family).
    cues: tuple[Text, ...] = ()
    #: For lengths of time: typed "8 months" or "a year and a half" picks the option whose
    #: [low, high) range of months holds it.
    months: tuple[float, float] | None = None


class Step(_Frozen):
    """A state of the dialogue machine and everything the user reads there."""

    id: Identifier
    section: Identifier
    kind: StepKind = StepKind.QUESTION
    messages: tuple[Text, ...] = ()
    more: tuple[Text, ...] = ()
    prompt: Text
    options: tuple[Option, ...] = Field(min_length=1)
    next: Identifier | None = None
    skippable: bool = True

    def option(self, option_id: str) -> Option | None:
        """Returns the option with this id, or None when the step has no such option."""
        return next((option for option in self.options if option.id == option_id), None)


class Track(_Frozen):
    """Where the viability answers place the user; the first whose ceiling fits wins."""

    id: Identifier
    title: Text
    max_concern: int | None = None
    message: Text
    #: On this track the person's own needs lead: these come first, accommodating advice
    #: gives way, and principles are the ones that name this track.
    own_needs: tuple[Text, ...] = ()


class Principle(_Frozen):
    """One of the closing principles shown in "moving forward" (on ``tracks`` only, if set)."""

    title: Text
    text: Text
    tracks: tuple[Identifier, ...] = ()


class Guidance(_Frozen):
    """The pieces "moving forward" is composed from."""

    opening: Text
    profile_heading: Text
    top_factors_heading: Text
    try_heading: Text
    own_needs_heading: Text
    #: Opens the lines that refer back to the person's answers ("From what you've told me:").
    told_heading: Text
    no_factor_stands_out: Text
    principles_heading: Text
    principles: tuple[Principle, ...] = Field(min_length=1)
    summary_heading: Text
    summary_factors: Text
    summary_no_factor: Text
    summary_track: Text
    summary_try: Text
    #: A line of the profile picture's caption; {factor}, {filled} and {cells} are filled in.
    picture_line: Text
    factor_threshold: float = Field(default=0.4, gt=0, le=1)
    top_factor_count: int = Field(default=2, ge=1, le=5)
    #: Suggestions per factor that fits (fewer where the person's own needs come first).
    suggestion_count: int = Field(default=3, ge=1, le=6)
    #: Answers "moving forward" refers back to, the most telling first.
    reflection_count: int = Field(default=3, ge=0, le=6)
    context_notes: dict[Identifier, dict[Identifier, Text]] = Field(default_factory=dict)


class Action(StrEnum):
    """Moves a user can make at any step, whatever the question is."""

    MORE = "more"
    BACK = "back"
    SKIP = "skip"
    PAUSE = "pause"
    CONTINUE = "continue"
    RESTART = "restart"
    REVIEW = "review"
    HELP = "help"
    PROGRESS = "progress"
    PRIVACY = "privacy"
    REVISIT = "revisit"  # the check-in's "Let's look again": the section again, then and now
    SOS = "sos"  # safety resources at once, asked for (/sos, or "I need help now" in help)
    SAFE = "safe"  # "I'm safe, let's carry on", answering the safety question
    NOT_NOW = "not_now"  # "Not now", answering the safety question
    LANGUAGE = "language"  # help's "Language" button: the bot offers every language


class ActionLabel(_Frozen):
    """How an action's button reads, and words that count as asking for it."""

    label: Annotated[str, Field(min_length=1, max_length=BUTTON_LABEL_LIMIT)]
    aliases: tuple[Text, ...] = ()


class Safety(_Frozen):
    """The reply to danger: an acknowledgement, the resources that fit, and a question.

    What counts as danger is not here but in the language's lexicon
    (``dialogs/content/danger/``); this is what the person reads once it is found.
    """

    #: The first kind found, in this order, is the one acknowledged; ``asked`` answers /sos.
    acknowledge: dict[DangerKind | Literal["asked"], Text]
    lead: Text
    resources: dict[Identifier, Text] = Field(min_length=1)
    #: The resource blocks each kind needs, between ``emergency`` and ``directory``.
    needs: dict[DangerKind, tuple[Identifier, ...]]
    question: Text
    glad: Text
    later: Text
    unsafe: Text
    listening: Text
    safe_words: tuple[Text, ...] = Field(min_length=1)
    unsafe_words: tuple[Text, ...] = Field(min_length=1)
    later_words: tuple[Text, ...] = ()

    @field_validator("acknowledge")
    @classmethod
    def _every_kind_acknowledged(
        cls, value: dict[DangerKind | Literal["asked"], str]
    ) -> dict[DangerKind | Literal["asked"], str]:
        missing = [kind for kind in (*DangerKind, "asked") if kind not in value]
        if missing:
            raise ValueError(f"missing acknowledgements for: {', '.join(missing)}")
        return value


class CheckIn(_Frozen):
    """The one check-in a week after the end: its message, and "then and now" after it.

    Accepting it goes through ``section`` again (the viability questions), then shows
    what changed; ``names`` are the short names of that section's questions there."""

    section: Identifier
    offer: Text
    scheduled: Text
    begin: Text
    declined: Text
    heading: Text
    changed: Text  # {question}: {then} -> {now}
    same: Text  # {question}: {now}
    track: Text  # {then} -> {now}, the tracks
    names: dict[Identifier, Text]


_ENGLISH_NUMBERS = {
    "a": 1.0, "an": 1.0, "one": 1.0, "two": 2.0, "couple": 2.0, "three": 3.0, "few": 3.0,
    "several": 4.0, "four": 4.0, "five": 5.0, "six": 6.0, "seven": 7.0, "eight": 8.0,
    "nine": 9.0, "ten": 10.0, "eleven": 11.0, "twelve": 12.0, "half": 0.5,
}  # fmt: skip
_ENGLISH_UNITS = {
    "day": 1 / 30, "days": 1 / 30, "week": 0.25, "weeks": 0.25,
    "month": 1.0, "months": 1.0, "year": 12.0, "years": 12.0,
}  # fmt: skip


class TimeWords(_Frozen):
    """How this language says a length of time ("a year and a half", "8 meses", "полгода").

    Typed words are folded first (lower case, no accents: "año" is "ano"), so write them
    folded. The defaults are English."""

    #: Number words and their values ("a": 1, "couple": 2, "half": 0.5).
    numbers: dict[str, float] = Field(default_factory=lambda: dict(_ENGLISH_NUMBERS))
    #: Every form of a unit, and how many months it is.
    units: dict[str, float] = Field(default_factory=lambda: dict(_ENGLISH_UNITS))
    #: Words that may stand between the number and the unit ("a couple of months").
    links: tuple[str, ...] = ("of",)
    #: Adds half a unit, before the unit or after it ("and a half").
    half: tuple[str, ...] = ("and a half",)


class Understanding(_Frozen):
    """How typed answers are read in this language, beyond each option's own cues."""

    stemmer: str = "english"
    spellings: dict[str, str] = Field(default_factory=dict)
    families: dict[Identifier, tuple[Text, ...]] = Field(default_factory=dict)
    #: Words before an option's number ("option 2"), folded.
    choice_words: tuple[str, ...] = ("option", "number", "answer", "choice")
    time: TimeWords = Field(default_factory=TimeWords)


class Ui(_Frozen):
    """Every other sentence the engine says; each field is used by the code."""

    reprompt: Text
    stale: Text
    no_more: Text
    cannot_back: Text
    cannot_skip: Text
    skipped: Text
    paused: Text
    resumed: Text
    resume_prompt: Text
    resume_finished: Text
    restarted: Text
    progress: Text
    progress_finished: Text
    help: Text
    privacy: Text
    subscribed: Text
    unsubscribed: Text
    summary_not_ready: Text
    default_name: Text
    cannot_read: Text
    reminder: Text
    unknown_command: Text
    private_only: Text
    try_again: Text
    export_caption: Text
    nothing_stored: Text
    forget_confirm: Text
    forget_yes: Annotated[str, Field(min_length=1, max_length=BUTTON_LABEL_LIMIT)]
    forget_no: Annotated[str, Field(min_length=1, max_length=BUTTON_LABEL_LIMIT)]
    forgotten: Text
    kept: Text
    anything_else: Text
    #: The language's own name ("Русский"), for a button that switches to it.
    language_name: Annotated[str, Field(min_length=1, max_length=BUTTON_LABEL_LIMIT)]
    #: Asks which language to talk in (its buttons: every language's ``language_name``).
    language_prompt: Text
    #: Said in the new language once someone switches to it.
    language_changed: Text


class AdminTexts(_Frozen):
    """What the admins read: composing and following broadcasts, and statistics."""

    compose: Text
    not_broadcastable: Text
    preview: Text
    panel: Text
    empty_audience: Text
    audience_all: Text
    audience_finished: Text
    audience_in_progress: Text
    audience_factor: Text
    audience_track: Text
    audience_language: Text
    send: Annotated[str, Field(min_length=1, max_length=BUTTON_LABEL_LIMIT)]
    cancel: Annotated[str, Field(min_length=1, max_length=BUTTON_LABEL_LIMIT)]
    stop: Annotated[str, Field(min_length=1, max_length=BUTTON_LABEL_LIMIT)]
    cancelled: Text
    nothing_to_cancel: Text
    progress: Text
    finished: Text
    stopped: Text
    list_heading: Text
    list_line: Text
    list_empty: Text
    stats: Text
    funnel_heading: Text
    funnel_line: Text
    factors_heading: Text
    tracks_heading: Text
    languages_heading: Text
    share_line: Text
    nobody_yet: Text
    chart_caption: Text
    commands: dict[
        Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")],
        Annotated[str, Field(min_length=1, max_length=256)],
    ] = Field(min_length=1)


class Content(_Frozen):
    """A whole dialogue: its flow, its words, and how answers are weighed."""

    version: Annotated[str, Field(min_length=1, max_length=32)]
    language: Annotated[str, Field(pattern=r"^[a-z]{2}$")]
    sections: tuple[Section, ...] = Field(min_length=1)
    factors: tuple[Factor, ...] = Field(min_length=1)
    steps: tuple[Step, ...] = Field(min_length=2)
    tracks: tuple[Track, ...] = Field(min_length=1)
    guidance: Guidance
    actions: dict[Action, ActionLabel]
    safety: Safety
    #: Typed greetings ("hi", "I'm back"): the welcome for someone new, and "welcome back"
    #: with where they are for someone part-way, never a re-prompt.
    greetings: tuple[Text, ...] = ()
    understanding: Understanding = Field(default_factory=Understanding)
    checkin: CheckIn
    ui: Ui
    admin: AdminTexts
    commands: dict[
        Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")],
        Annotated[str, Field(min_length=1, max_length=256)],
    ] = Field(min_length=1)

    _steps_by_id: dict[str, Step] = PrivateAttr(default_factory=dict)
    _factors_by_id: dict[str, Factor] = PrivateAttr(default_factory=dict)

    @field_validator("actions")
    @classmethod
    def _every_action_labelled(cls, value: dict[Action, ActionLabel]) -> dict[Action, ActionLabel]:
        missing = [action.value for action in Action if action not in value]
        if missing:
            raise ValueError(f"missing labels for actions: {', '.join(missing)}")
        return value

    @property
    def first_step(self) -> Step:
        """The step a new or restarted conversation begins at."""
        return self.steps[0]

    def step(self, step_id: str) -> Step:
        """Returns the step with this id; raises KeyError for an unknown one."""
        return self._steps_by_id[step_id]

    def has_step(self, step_id: str) -> bool:
        """Tells whether the current content defines this step."""
        return step_id in self._steps_by_id

    def factor(self, factor_id: str) -> Factor:
        """Returns the factor with this id; raises KeyError for an unknown one."""
        return self._factors_by_id[factor_id]

    def next_step_id(self, step: Step, option: Option | None = None) -> str | None:
        """Where a step leads: the option's own target, the step's, or the step after it."""
        if option is not None and option.next is not None:
            return option.next
        if step.next is not None:
            return step.next
        index = self.steps.index(step)
        if index + 1 < len(self.steps) and step.kind is StepKind.QUESTION:
            return self.steps[index + 1].id
        return None

    def section_number(self, step: Step) -> int:
        """The 1-based position of the step's section, for "step n of m"."""
        return next(i for i, s in enumerate(self.sections, 1) if s.id == step.section)

    def section_title(self, step: Step) -> str:
        """The title of the section the step belongs to."""
        return self.sections[self.section_number(step) - 1].title

    def model_post_init(self, context: Any, /) -> None:
        """Indexes steps and factors by id once; content is frozen, so it never goes stale."""
        self._steps_by_id = {step.id: step for step in self.steps}
        self._factors_by_id = {factor.id: factor for factor in self.factors}


#: libyaml's parser when PyYAML has it (every language's file is read at start-up, and it
#: parses several times faster); the same safe constructor and resolver either way.
_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _WordsLoader(_SafeLoader):  # type: ignore[misc, valid-type]
    """YAML where yes, no, on and off stay words. Content is full of them ("no", "yes
    please"), and YAML 1.1 would quietly turn them into booleans; where a field really is
    a boolean (``skippable: false``), pydantic reads the word as one."""


_WordsLoader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_words_yaml(text: str) -> Any:
    """Parses YAML with words kept as words (see ``_WordsLoader``)."""
    return yaml.load(text, Loader=_WordsLoader)  # a SafeLoader: no arbitrary objects


def read_words_yaml(path: Path) -> Any:
    """Reads a content or lexicon file; ContentError says when it cannot be read or parsed."""
    try:
        return load_words_yaml(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ContentError(f"{path}: cannot read the file ({error.strerror})") from error
    except yaml.YAMLError as error:
        raise ContentError(f"{path}: not valid YAML ({error})") from error


def load_content(path: Path) -> Content:
    """Reads, parses and validates a content file; raises ContentError naming what is wrong."""
    return parse_content(read_words_yaml(path), source=str(path))


def parse_content(raw: object, source: str) -> Content:
    """Validates already-parsed content data; ``source`` names it in error messages."""
    if not isinstance(raw, Mapping):
        raise ContentError(f"{source}: the top level must be a mapping of sections")
    try:
        content = Content.model_validate(raw)
    except ValidationError as error:
        raise ContentError(_describe_validation_error(source, raw, error)) from None
    problems = list(_semantic_problems(content))
    if problems:
        raise ContentError(f"{source}: " + "; ".join(problems))
    return content


def _describe_validation_error(source: str, raw: Mapping[str, Any], error: ValidationError) -> str:
    """Turns pydantic's locations into "step 'x' > option #2 > 'label'" for authors."""
    lines = []
    for detail in error.errors():
        where = _describe_location(raw, detail["loc"])
        problem = detail["msg"]
        if detail["type"] == "missing":
            problem = "required key is missing"
        elif detail["type"] == "extra_forbidden":
            problem = "unknown key (a typo?)"
        lines.append(f"{where}: {problem}")
    return f"{source}: " + "; ".join(lines)


def _describe_location(raw: Mapping[str, Any], location: tuple[int | str, ...]) -> str:
    parts: list[str] = []
    node: Any = raw
    for index, key in enumerate(location):
        if isinstance(node, list) and isinstance(key, int) and key < len(node):
            item = node[key]
            item_id = item.get("id") if isinstance(item, Mapping) else None
            container = str(location[index - 1]) if index else "item"
            singular = container[:-1] if container.endswith("s") else container
            parts[-1:] = [f"{singular} '{item_id}'" if item_id else f"{singular} #{key + 1}"]
            node = item
            continue
        parts.append(f"'{key}'" if parts else str(key))
        node = node.get(key) if isinstance(node, Mapping) else None
    return " > ".join(parts) or "top level"


def _semantic_problems(content: Content) -> Iterator[str]:
    """Checks what types alone cannot: references, reachability, limits and placeholders."""
    yield from _duplicate_ids(content)
    section_ids = {section.id for section in content.sections}
    factor_ids = {factor.id for factor in content.factors}
    step_ids = [step.id for step in content.steps]
    for step in content.steps:
        where = f"step '{step.id}'"
        if step.section not in section_ids:
            yield f"{where}: unknown section '{step.section}'"
        if step.next is not None and step.next not in step_ids:
            yield f"{where}: 'next' points to unknown step '{step.next}'"
        seen_options: set[str] = set()
        for option in step.options:
            if option.id in seen_options:
                yield f"{where}: option '{option.id}' appears twice"
            seen_options.add(option.id)
            for phrase in (option.label, *option.aliases):
                if not normalise(phrase):
                    yield f"{where}: option '{option.id}': {phrase!r} has no letters or digits"
            if option.next is not None and option.next not in step_ids:
                yield f"{where}: option '{option.id}' points to unknown step '{option.next}'"
            for factor_id in option.weights:
                if factor_id not in factor_ids:
                    yield f"{where}: option '{option.id}' weighs unknown factor '{factor_id}'"
            for cue in option.cues:
                if cue.startswith("@") and cue[1:] not in content.understanding.families:
                    yield f"{where}: option '{option.id}': unknown cue family '{cue}'"
        for label, text in _texts_of_step(step):
            yield from _text_problems(f"{where}, {label}", text)
    yield from _flow_problems(content)
    yield from _safety_problems(content.safety)
    yield from _guidance_problems(content, step_ids, factor_ids)
    for label, text in _texts_outside_steps(content):
        yield from _text_problems(label, text)
    for name, value in content.admin:
        if isinstance(value, str):
            yield from _text_problems(f"admin > {name}", value, ADMIN_PLACEHOLDERS)


#: Resource blocks every safety reply shows: the first and the last.
ALWAYS_SHOWN = ("emergency", "directory")


def _safety_problems(safety: Safety) -> Iterator[str]:
    for block in ALWAYS_SHOWN:
        if block not in safety.resources:
            yield f"safety > resources: '{block}' is missing (every reply shows it)"
    for kind in DangerKind:
        if kind not in safety.needs:
            yield f"safety > needs: '{kind.value}' is missing"
    for kind, blocks in safety.needs.items():
        for block in blocks:
            if block not in safety.resources:
                yield f"safety > needs > {kind.value}: unknown resource block '{block}'"


def _duplicate_ids(content: Content) -> Iterator[str]:
    for kind, items in (
        ("section", content.sections),
        ("factor", content.factors),
        ("step", content.steps),
        ("track", content.tracks),
    ):
        seen: set[str] = set()
        for item in items:
            if item.id in seen:
                yield f"{kind} '{item.id}' is defined twice"
            seen.add(item.id)


def _flow_problems(content: Content) -> Iterator[str]:
    """Every step reachable from the first; every path ends in an END step without loops."""
    steps = {step.id: step for step in content.steps}
    if content.steps[0].kind is not StepKind.QUESTION:
        yield f"step '{content.steps[0].id}': the first step must be a question"
    if not any(step.kind is StepKind.END for step in content.steps):
        yield "no step of kind 'end': the conversation could never finish"
    for step in content.steps:
        if step.kind is not StepKind.END and not _successors(content, step):
            yield f"step '{step.id}': leads nowhere (add 'next' or options that move on)"
    reachable: set[str] = set()
    frontier = [content.steps[0].id]
    while frontier:
        current = frontier.pop()
        if current in reachable or current not in steps:
            continue
        reachable.add(current)
        frontier.extend(_successors(content, steps[current]))
    for step in content.steps:
        if step.id not in reachable:
            yield f"step '{step.id}': cannot be reached from '{content.steps[0].id}'"
    cycle = _find_cycle(content)
    if cycle:
        yield "steps loop back on themselves: " + " -> ".join(cycle)


def _successors(content: Content, step: Step) -> list[str]:
    targets = [content.next_step_id(step, option) for option in step.options if not option.action]
    if step.kind is StepKind.QUESTION and step.skippable:
        targets.append(content.next_step_id(step))
    return sorted({target for target in targets if target is not None})


def _find_cycle(content: Content) -> list[str]:
    steps = {step.id: step for step in content.steps}
    finished: set[str] = set()

    def visit(step_id: str, path: list[str]) -> list[str]:
        if step_id in path:
            return [*path[path.index(step_id) :], step_id]
        if step_id in finished or step_id not in steps:
            return []
        for target in _successors(content, steps[step_id]):
            cycle = visit(target, [*path, step_id])
            if cycle:
                return cycle
        finished.add(step_id)
        return []

    return visit(content.steps[0].id, [])


def _guidance_problems(
    content: Content, step_ids: list[str], factor_ids: set[str]
) -> Iterator[str]:
    if not any(step.kind is StepKind.GUIDANCE for step in content.steps):
        yield "no step of kind 'guidance': nobody would get their moving-forward advice"
    if content.tracks[-1].max_concern is not None:
        yield f"track '{content.tracks[-1].id}': the last track must have no max_concern"
    ceilings = [track.max_concern for track in content.tracks[:-1]]
    known = [ceiling for ceiling in ceilings if ceiling is not None]
    if len(known) != len(ceilings) or known != sorted(set(known)):
        yield "tracks: max_concern must rise from one track to the next"
    for step_id, notes in content.guidance.context_notes.items():
        if step_id not in step_ids:
            yield f"guidance > context_notes: unknown step '{step_id}'"
            continue
        options = {option.id for option in content.step(step_id).options}
        for option_id in notes:
            if option_id not in options:
                yield f"guidance > context_notes > '{step_id}': unknown option '{option_id}'"
    answers = {f"{step.id}.{option.id}" for step in content.steps for option in step.options}
    for factor in content.factors:
        for number, suggestion in enumerate(factor.suggestions, 1):
            for ref in (*suggestion.when, *suggestion.unless):
                if ref not in answers:
                    yield f"factor '{factor.id}' suggestion {number}: unknown answer '{ref}'"
    track_ids = {track.id for track in content.tracks}
    for principle in content.guidance.principles:
        for track_id in principle.tracks:
            if track_id not in track_ids:
                yield f"guidance > principle '{principle.title}': unknown track '{track_id}'"
    yield from _text_problems(
        "guidance > picture_line", content.guidance.picture_line, PICTURE_PLACEHOLDERS
    )
    checkin = content.checkin
    for name, value in checkin:
        if isinstance(value, str) and name != "section":
            yield from _text_problems(f"checkin > {name}", value, CHECKIN_PLACEHOLDERS)
    in_section = [s.id for s in content.steps if s.section == checkin.section]
    if not in_section:
        yield f"checkin > section: no step is in section '{checkin.section}'"
    for step_id in in_section:
        if step_id not in checkin.names:
            yield f"checkin > names: '{step_id}' has no short name"
    weighed = {factor for step in content.steps for o in step.options for factor in o.weights}
    for factor_id in sorted(factor_ids - weighed):
        yield f"factor '{factor_id}': no option gives it any weight, so it could never stand out"


def _texts_of_step(step: Step) -> Iterator[tuple[str, str]]:
    for number, text in enumerate(step.messages, 1):
        yield f"message {number}", text
    for number, text in enumerate(step.more, 1):
        yield f"more {number}", text
    yield "prompt", step.prompt
    for option in step.options:
        yield f"option '{option.id}' label", option.label
        if option.reply:
            yield f"option '{option.id}' reply", option.reply
        if option.reflection:
            yield f"option '{option.id}' reflection", option.reflection


def _texts_outside_steps(content: Content) -> Iterator[tuple[str, str]]:
    for factor in content.factors:
        yield f"factor '{factor.id}' title", factor.title
        for number, suggestion in enumerate(factor.suggestions, 1):
            yield f"factor '{factor.id}' suggestion {number}", suggestion.text
    for track in content.tracks:
        yield f"track '{track.id}' message", track.message
        for number, text in enumerate(track.own_needs, 1):
            yield f"track '{track.id}' own need {number}", text
    for name, value in content.guidance:
        if isinstance(value, str) and name != "picture_line":  # its own placeholders
            yield f"guidance > {name}", value
    for principle in content.guidance.principles:
        yield f"guidance > principle '{principle.title}'", principle.text
    for name, value in content.ui:
        yield f"ui > {name}", value
    safety = content.safety
    for kind, text in safety.acknowledge.items():
        yield f"safety > acknowledge > {kind}", text
    for block, text in safety.resources.items():
        yield f"safety > resources > {block}", text
    for name in ("lead", "question", "glad", "later", "unsafe", "listening"):
        yield f"safety > {name}", getattr(safety, name)
    for action, label in content.actions.items():
        yield f"actions > {action.value} label", label.label


def _text_problems(where: str, text: str, allowed: frozenset[str] = PLACEHOLDERS) -> Iterator[str]:
    if len(text) > TELEGRAM_TEXT_LIMIT:
        yield f"{where}: text is {len(text)} characters, over Telegram's {TELEGRAM_TEXT_LIMIT}"
    try:
        parsed = [part for part in string.Formatter().parse(text) if part[1] is not None]
    except ValueError as error:
        yield f"{where}: broken placeholder ({error}); write '{{{{' for a literal brace"
        return
    for _, field, spec, conversion in parsed:
        if field not in allowed:
            names = ", ".join(sorted(allowed))
            yield f"{where}: unknown placeholder '{{{field}}}' (allowed: {names})"
        elif spec or conversion:
            # Values are plain text: "{step:03d}" or "{name!x}" would fail when rendered.
            yield f"{where}: placeholder '{{{field}}}' takes no format or conversion"
