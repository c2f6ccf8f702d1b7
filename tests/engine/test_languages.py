"""Every language: loaded and checked against English, walked to the end, all in its words.

A translation must be the same dialogue (parity: a missing option or placeholder stops
start-up, naming the file and the key), must fit the same phone screens as English, and
must not leave English behind in what a person reads.
"""

from __future__ import annotations

import random
import shutil
from collections.abc import Callable
from itertools import combinations
from pathlib import Path
from typing import Any

import pytest
import yaml

from dialogs import CONTENT_DIR, default_engine, default_library
from dialogs.content_model import ContentError, StepKind, read_words_yaml
from dialogs.danger_kinds import DangerKind
from dialogs.engine import DialogueEngine
from dialogs.library import SOURCE_LANGUAGE, Library, language_for, load_library
from dialogs.parity import parity_problems, texts
from dialogs.safety_reply import compose_safety_reply
from dialogs.snapshot import Snapshot
from tests.engine.driver import Conversation
from tests.leftovers import assert_no_english
from tests.stories import PEOPLE

LANGUAGES = sorted(path.stem for path in CONTENT_DIR.glob("*.yaml"))
TRANSLATED = [language for language in LANGUAGES if language != SOURCE_LANGUAGE]
#: The same limits English is held to (tests/engine/test_guidance.py, test_safety.py).
PHONE_SCREEN = 900
REPLY_LIMIT = 160
CAPTION_LIMIT = 1024
TELEGRAM_TEXT_LIMIT = 4096

Raw = dict[str, Any]


@pytest.fixture(scope="module")
def library() -> Library:
    return default_library()


def test_every_language_file_is_loaded_english_first(library: Library) -> None:
    assert library.languages[0] == "en"
    assert set(library.languages) == set(LANGUAGES)
    assert {"ru", "es"} <= set(library.languages)
    assert default_engine() is library.engine("en")
    assert default_engine("ru") is library.engine("ru")
    names = library.names()
    assert names == {"en": "English", "es": "Español", "ru": "Русский"}


@pytest.mark.parametrize(
    ("code", "language"),
    [
        ("ru", "ru"),
        ("ru-RU", "ru"),
        ("RU", "ru"),
        ("es", "es"),
        ("es-419", "es"),
        ("es_MX", "es"),
        ("en", "en"),
        ("en-GB", "en"),
        ("pt-br", "en"),
        ("uk", "en"),
        ("", "en"),
        (None, "en"),
    ],
)
def test_a_telegram_language_code_picks_the_language(
    library: Library, code: str | None, language: str
) -> None:
    assert library.language_for(code) == language
    assert library.engine_for(code).content.language == language
    assert language_for(code, {"en": 1, "ru": 1, "es": 1}) == language


def test_the_languages_share_one_snapshot_shape(library: Library) -> None:
    """A person who switches language carries on at the same step with the same answers."""
    english = library.engine("en").content
    for language in library.languages:
        content = library.engine(language).content
        assert content.version == english.version
        assert [s.id for s in content.steps] == [s.id for s in english.steps]


# ---------------------------------------------------------------------- parity


def _copy_content(tmp_path: Path) -> Path:
    folder = tmp_path / "content"
    folder.mkdir()
    for path in CONTENT_DIR.glob("*.yaml"):
        shutil.copy(path, folder / path.name)
    return folder


def _rewrite(path: Path, change: Callable[[Raw], None]) -> None:
    raw = read_words_yaml(path)
    change(raw)
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _step(raw: Raw, step_id: str) -> Raw:
    return next(step for step in raw["steps"] if step["id"] == step_id)


def _option(raw: Raw, step_id: str, option_id: str) -> Raw:
    return next(o for o in _step(raw, step_id)["options"] if o["id"] == option_id)


def _drop_option(raw: Raw) -> None:
    step = _step(raw, "pattern")
    step["options"] = [o for o in step["options"] if o["id"] != "others"]


def _extra_key(raw: Raw) -> None:
    raw["ui"]["goodbye"] = "..."


def _broken_placeholder(raw: Raw) -> None:
    raw["ui"]["progress"] = raw["ui"]["progress"].replace("{total}", "{totl}")


def _lost_placeholder(raw: Raw) -> None:
    raw["ui"]["resume_prompt"] = raw["ui"]["resume_prompt"].replace("{name}", "")


def _unbalanced_brace(raw: Raw) -> None:
    raw["ui"]["reminder"] = raw["ui"]["reminder"].replace("{name}", "{name")


def _other_weight(raw: Raw) -> None:
    _option(raw, "stage", "early")["weights"] = {"independence": 3}


def _other_flow(raw: Raw) -> None:
    _option(raw, "forward", "thanks")["next"] = "welcome"


def _missing_message(raw: Raw) -> None:
    _step(raw, "vulnerability_talk")["messages"].pop()


def _missing_reply(raw: Raw) -> None:
    del _option(raw, "duration", "months")["reply"]


def _reordered_steps(raw: Raw) -> None:
    steps = raw["steps"]
    steps[1], steps[2] = steps[2], steps[1]


def _missing_block(raw: Raw) -> None:
    del raw["checkin"]["names"]["viability_alone"]


def _other_version(raw: Raw) -> None:
    raw["version"] = "1999-01-01.1"


@pytest.mark.parametrize("language", TRANSLATED)
@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (_drop_option, "steps.pattern.options.others: missing"),
        (_extra_key, "ui.goodbye: extra (not in English)"),
        (_broken_placeholder, "ui.progress: placeholder"),
        (_lost_placeholder, "ui.resume_prompt: placeholder missing: {name}"),
        (_unbalanced_brace, "ui.reminder: broken placeholder"),
        (_other_weight, "steps.stage.options.early.weights.independence: 3 here, 1 in English"),
        (_other_flow, "steps.forward.options.thanks.next: 'welcome' here, 'done' in English"),
        (_missing_message, "steps.vulnerability_talk.messages.4: missing"),
        (_missing_reply, "steps.duration.options.months.reply: missing"),
        (_reordered_steps, "steps: order of ids"),
        (_missing_block, "checkin.names.viability_alone: missing"),
        (_other_version, "version: '1999-01-01.1' here"),
    ],
)
def test_a_broken_translation_stops_loading_naming_file_and_key(
    tmp_path: Path, language: str, change: Callable[[Raw], None], expected: str
) -> None:
    folder = _copy_content(tmp_path)
    broken = folder / f"{language}.yaml"
    _rewrite(broken, change)
    with pytest.raises(ContentError) as failure:
        load_library(folder)
    lines = str(failure.value).splitlines()
    assert any(line.startswith(f"{broken}: {expected}") for line in lines), lines


def test_a_whole_missing_option_is_one_line_not_one_per_text() -> None:
    english = read_words_yaml(CONTENT_DIR / "en.yaml")
    translated = read_words_yaml(CONTENT_DIR / "ru.yaml")
    _drop_option(translated)
    problems = parity_problems(english, translated)
    assert [p for p in problems if "options.others" in p] == [
        "steps.pattern.options.others: missing"
    ]


def test_a_file_named_for_another_language_is_refused(tmp_path: Path) -> None:
    folder = _copy_content(tmp_path)
    (folder / "de.yaml").write_text((folder / "ru.yaml").read_text(encoding="utf-8"))
    with pytest.raises(ContentError, match=r"de\.yaml: language: 'ru', but the file is de\.yaml"):
        load_library(folder)


def test_words_and_local_resources_are_each_language_s_own() -> None:
    english = read_words_yaml(CONTENT_DIR / "en.yaml")
    translated = read_words_yaml(CONTENT_DIR / "ru.yaml")
    _option(translated, "stage", "early")["cues"] = ["совсем другие слова"]
    translated["greetings"] = ["салют"]
    translated["safety"]["resources"]["extra_line"] = "• Местная линия: ..."
    assert parity_problems(english, translated) == []


def test_every_language_has_every_english_text() -> None:
    english = texts(read_words_yaml(CONTENT_DIR / "en.yaml"))
    for language in TRANSLATED:
        translated = texts(read_words_yaml(CONTENT_DIR / f"{language}.yaml"))
        assert set(translated) == set(english), language


# ---------------------------------------------------------------------- walks

#: What a person types at each question, in their language (not the labels).
TYPED = {
    "ru": {
        "welcome": "да, давай",
        "stage": "где-то 8 месяцев",
        "pattern": "стал реже писать",
        "duration": "пару месяцев",
        "independence_space": "после друзей он добрее и спокойнее",
        "independence_words": "да, постоянно это говорит",
        "vulnerability_talk": "отшучивается",
        "vulnerability_past": "вроде нет",
        "pressure_future": "сразу напрягается",
        "pressure_outside": "немного",
        "readiness_load": "обычный стресс на работе",
        "readiness_words": "нет",
        "social_circle": "по-разному",
        "social_seen": "не знаю",
        "viability_talk": "иногда",
        "viability_load": "в основном я",
        "viability_future": "тяжело, но получается",
        "viability_alone": "иногда",
        "forward": "спасибо",
    },
    "es": {
        "welcome": "sí, dale",
        "stage": "unos 8 meses",
        "pattern": "casi no me escribe",
        "duration": "un par de meses",
        "independence_space": "vuelve más cariñoso y relajado",
        "independence_words": "sí, lo dice todo el tiempo",
        "vulnerability_talk": "lo toma a broma",
        "vulnerability_past": "que yo sepa no",
        "pressure_future": "se pone tenso",
        "pressure_outside": "un poco",
        "readiness_load": "el estrés normal del trabajo",
        "readiness_words": "no",
        "social_circle": "hay de todo",
        "social_seen": "ni idea",
        "viability_talk": "a veces",
        "viability_load": "más yo",
        "viability_future": "cuesta, pero se puede",
        "viability_alone": "a veces",
        "forward": "gracias",
    },
}


def _walk_with_buttons(engine: DialogueEngine, answers: dict[str, str]) -> Conversation:
    chat = Conversation(engine, name="Sam")
    chat.start()
    chat.tap(engine.content.first_step.options[0].label)
    while engine.content.step(chat.state).kind is StepKind.QUESTION:
        step = engine.content.step(chat.state)
        if step.more:
            chat.tap(engine.content.actions["more"].label)  # type: ignore[index]
        option = step.option(answers[step.id])
        assert option is not None, step.id
        chat.tap(option.label)
    assert chat.state == "forward"
    chat.tap(engine.content.step("forward").options[0].label)
    for option in engine.content.step("done").options:
        if option.action and option.action.value in {"review", "subscribe", "check_in"}:
            chat.tap(option.label)
    assert chat.state == "done"
    return chat


@pytest.mark.parametrize("language", TRANSLATED)
@pytest.mark.parametrize("who", list(PEOPLE))
def test_a_conversation_walks_to_the_end_with_buttons(
    library: Library, language: str, who: str
) -> None:
    engine = library.engine(language)
    chat = _walk_with_buttons(engine, PEOPLE[who])
    english = library.engine("en")
    profile = english.profile(Snapshot(state="forward", answers=PEOPLE[who], content_version="x"))
    assert engine.profile(chat.snapshot).track.id == profile.track.id  # type: ignore[arg-type]
    assert [s.factor.id for s in engine.profile(chat.snapshot).top] == [  # type: ignore[arg-type]
        s.factor.id for s in profile.top
    ]
    assert_no_english(language, _everything_read(chat))


@pytest.mark.parametrize("language", TRANSLATED)
def test_a_conversation_walks_to_the_end_typed(library: Library, language: str) -> None:
    engine = library.engine(language)
    chat = Conversation(engine, name="Sam")
    chat.say(TYPED[language]["welcome"])  # a first message meets the welcome
    for _ in range(40):
        step = engine.content.step(chat.state)
        if step.kind is StepKind.END:
            break
        before = chat.state
        turn = chat.say(TYPED[language][step.id])
        assert turn.outcome.value != "reprompt", (step.id, TYPED[language][step.id])
        assert chat.state != before, step.id
    assert chat.state == "done"
    assert_no_english(language, _everything_read(chat))


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_move_speaks_the_language(library: Library, language: str) -> None:
    """Help, privacy, progress, pause, back, skip, stale buttons, safety, the reminder and
    the check-in: none of it falls back to English."""
    engine = library.engine(language)
    chat = Conversation(engine, name="Sam")
    chat.start()
    chat.tap(engine.content.first_step.options[0].label)
    for action in engine.content.actions:
        chat.act(action)
    chat.say("🙂")
    chat.say("/// ???")
    chat.say("I want to die")
    chat.say("?")
    assert chat.snapshot is not None
    read = _everything_read(chat)
    reminder = engine.reminder(chat.snapshot.model_copy(update={"safety_since_answer": False}))
    assert reminder is not None
    read.append(reminder.text)
    read.append(engine.checkin(chat.snapshot, "Sam").text)
    assert_no_english(language, read)


def _everything_read(chat: Conversation) -> list[str]:
    found: list[str] = []
    for turn in chat.turns:
        if turn.notice:
            found.append(turn.notice)
        for message in turn.messages:
            found.extend([message.text, message.title or ""])
            found.extend(button.label for button in message.buttons)
            if message.picture is not None:
                found.extend([message.picture.heading, message.picture.track])
                found.extend(title for title, _ in message.picture.factors)
    return [text for text in found if text]


# ---------------------------------------------------------------------- phone screens


@pytest.mark.parametrize("language", TRANSLATED)
@pytest.mark.parametrize("seed", range(12))
def test_no_message_is_over_a_phone_screen(library: Library, language: str, seed: int) -> None:
    """Random people, every step, every move: each message fits a phone screen."""
    engine = library.engine(language)
    rng = random.Random(seed)
    answers = {
        step.id: rng.choice(step.options).id
        for step in engine.content.steps
        if step.kind is StepKind.QUESTION
    }
    chat = Conversation(engine, name="Maximilian-Alexander")
    chat = _walk_with_buttons(engine, answers)
    texts_read = [m.text for turn in chat.turns for m in turn.messages]
    assert max(len(text) for text in texts_read) <= PHONE_SCREEN
    pictures = [m.picture for turn in chat.turns for m in turn.messages if m.picture]
    assert pictures
    assert all(len(p.text) <= CAPTION_LIMIT for p in pictures)


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_fixed_text_fits_and_every_reply_is_short(library: Library, language: str) -> None:
    content = library.engine(language).content
    fixed = [
        *(value for _, value in content.ui),
        *(option.reply or "" for step in content.steps for option in step.options),
        *(text for step in content.steps for text in (*step.messages, *step.more)),
        content.checkin.offer,
    ]
    assert max(len(text) for text in fixed) <= PHONE_SCREEN
    assert all(len(text) <= TELEGRAM_TEXT_LIMIT for text in fixed)
    for step in content.steps:
        if step.kind is StepKind.QUESTION and step.id != content.first_step.id:
            for option in step.options:
                assert option.reply, f"{language}: {step.id}.{option.id} has no reply"
                assert len(option.reply) <= REPLY_LIMIT, f"{language}: {step.id}.{option.id}"


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_safety_reply_fits_one_phone_screen(library: Library, language: str) -> None:
    safety = library.engine(language).content.safety
    kinds = list(DangerKind)
    for size in range(len(kinds) + 1):
        for found in combinations(kinds, size):
            reply = compose_safety_reply(safety, frozenset(found))
            assert len(reply) <= PHONE_SCREEN, (language, found, len(reply))
