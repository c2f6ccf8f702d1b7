"""Danger in any language, whatever the person chose, and typed the way people type it.

The corpus (test_corpus.py) measures how well each language is read; these tests pin the
mechanisms it relies on: every message goes through every lexicon, text is folded the same
way for the lexicon and the message (case, accents, "ё", but never "й"), Russian typed in
Latin letters is transliterated, and Spanish pronouns are split off their verbs.
"""

# Cyrillic letters that look like Latin ones are the point of this file, not a typo.
# ruff: noqa: RUF001, RUF003

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dialogs import CONTENT_DIR
from dialogs.content_model import load_content
from dialogs.engine import DialogueEngine
from dialogs.lexicon import fold, load_lexicon
from dialogs.normalise import normalise
from dialogs.safety import LEXICON_DIR, DangerDetector, default_detector
from dialogs.turn import Outcome
from tests.engine.driver import Conversation

#: One clear message of each kind per language, in that language's phone typing.
DANGER = {
    "en": ["i want to kill myself", "he hits me when hes drunk"],
    "ru": ["я хочу умереть", "муж меня бьет", "hochu umeret"],
    "es": ["me quiero morir", "mi novio me pega", "quiero matarme"],
}
CONTENT_LANGUAGES = sorted(path.stem for path in CONTENT_DIR.glob("*.yaml"))


@pytest.mark.parametrize("person", CONTENT_LANGUAGES)
@pytest.mark.parametrize(
    "text",
    [text for texts in DANGER.values() for text in texts],
)
def test_danger_in_any_language_gets_help_whatever_the_person_chose(person: str, text: str) -> None:
    """Someone whose conversation is in English who writes in Russian gets help (and
    every other pairing, for each language the content ships in)."""
    engine = DialogueEngine(load_content(CONTENT_DIR / f"{person}.yaml"))
    chat = Conversation(engine)
    chat.start()
    turn = chat.say(text)
    assert turn.outcome is Outcome.SAFETY, (person, text)


def test_every_message_is_read_in_every_language() -> None:
    detector = default_detector()
    assert {"en", "ru", "es"} <= set(detector.languages)
    for language, texts in DANGER.items():
        for text in texts:
            findings = detector.explain(text)
            assert findings, text
            assert language in {finding.language for finding in findings}, text


def test_a_fourth_language_is_one_file(tmp_path: Path) -> None:
    for path in LEXICON_DIR.glob("*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    text = (LEXICON_DIR / "es.yaml").read_text(encoding="utf-8")
    (tmp_path / "pt.yaml").write_text(
        text.replace("language: es", "language: pt", 1), encoding="utf-8"
    )
    assert "pt" in DangerDetector.from_directory(tmp_path).languages


@pytest.mark.parametrize(
    ("careful", "typed"),
    [
        # ё is read as е, whichever the person typed
        ("он меня бьёт", "он меня бьет"),
        ("всё, я хочу умереть", "все я хочу умереть"),
        # capitals, repeated letters, "ь" left out
        ("Я хочу умереть.", "Я ХОЧУ УМЕРЕТЬ!!!"),
        ("он меня убьёт", "он меня убет"),
        # Russian in Latin letters
        ("я хочу умереть", "ya hochu umeret"),
        ("он меня бьёт", "on menya b'et"),
        ("я не хочу жить", "ya ne hochu zhit"),
        ("хочу покончить с собой", "hochu pokonchit s soboy"),
        # Spanish without accents, "ñ" or capitals
        ("Me violó", "me violo"),
        ("Me hago daño", "me hago dano"),
        ("¡Mátate!", "matate"),
        ("Me quiero morir", "ME QUIERO MORIR"),
        # Spanish pronouns on the verb, and in front of it
        ("me quiero matar", "quiero matarme"),
        ("me estoy cortando", "estoy cortándome"),
    ],
)
def test_typed_forms_are_read_like_careful_ones(careful: str, typed: str) -> None:
    detector = default_detector()
    assert detector.assess(careful), careful
    assert detector.assess(typed) == detector.assess(careful), typed


def test_folding_keeps_the_short_i_and_drops_accents() -> None:
    assert fold("МОЙ Йогурт") == "мой йогурт"
    assert fold("и\u0306") == "й", "a decomposed й is put back together, not stripped"
    assert fold("Ёлка, ещё") == "елка, еще"
    assert fold("Sí, mañana, canción") == "si, manana, cancion"
    assert normalise("мой") != normalise("мои")
    assert normalise("Ещё раз!") == "еще раз"


def test_clitics_are_split_off_verbs_only() -> None:
    spelling = load_lexicon(LEXICON_DIR / "es.yaml").spelling
    assert spelling.words("matarme") == ["matar", "me"]
    assert spelling.words("pegándome") == ["pegando", "me"]
    assert spelling.words("dárselo a él") == ["darselo", "a", "el"], "too short a verb"
    for word in ("muerte", "suerte", "fuerte", "parte", "duerme"):
        assert spelling.words(word) == [word]


def test_latin_letters_are_transliterated_only_in_russian_looking_messages() -> None:
    spelling = load_lexicon(LEXICON_DIR / "ru.yaml").spelling
    assert spelling.words("ya ne hochu zhit") == ["я", "не", "хочу", "жит"]
    assert spelling.words("my friend works at a suicide hotline") == [
        "my", "friend", "works", "at", "a", "suicide", "hotline",
    ]  # fmt: skip


@pytest.mark.parametrize(
    "text",
    [
        "эта неизвестность меня убивает",
        "я умираю от скуки",
        "мама меня убьет если узнает",
        "он никогда меня не бил",
        "у меня нет суицидальных мыслей просто тоска",
        "me muero de ganas de verlo",
        "me mata la espera",
        "mi mama me va a matar si se entera",
        "nunca me ha pegado",
        "estoy haciendo un trabajo sobre prevencion del suicidio",
        "my friend works at a suicide hotline",
        "im not suicidal just sad",
    ],
)
def test_look_alikes_do_not_alarm_in_any_language(text: str) -> None:
    assert not default_detector().assess(text), default_detector().explain(text)
