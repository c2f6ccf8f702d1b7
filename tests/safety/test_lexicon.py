"""Lexicon files are checked when they load: a broken one names the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from dialogs.content_model import ContentError
from dialogs.lexicon import load_lexicon
from dialogs.safety import LEXICON_DIR, DangerDetector

ENGLISH = LEXICON_DIR / "en.yaml"


def _broken(tmp_path: Path, change: str, to: str) -> Path:
    text = ENGLISH.read_text(encoding="utf-8")
    assert change in text
    path = tmp_path / "en.yaml"
    path.write_text(text.replace(change, to, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("change", "to", "expected"),
    [
        (
            '    - "KILL +SELF"\n',
            '    - "KILL +SELVES"\n',
            ["kinds > self_harm", "unknown class SELVES"],
        ),
        ("  NOT: [not, never, no]", "  NOT: [not, never, 7]", ["classes > NOT > 2", "string"]),
        ("  SUICIDE: [", "  SUICIDE: [su*, ", ["classes > SUICIDE", "at least three letters"]),
        ("stemmer: english", "stemmer: klingon", ["stemmer", "klingon"]),
    ],
)
def test_a_broken_lexicon_stops_with_the_file_and_the_key(
    tmp_path: Path, change: str, to: str, expected: list[str]
) -> None:
    path = _broken(tmp_path, change, to)
    with pytest.raises(ContentError) as caught:
        load_lexicon(path)
    message = str(caught.value)
    assert message.startswith(str(path))
    for part in expected:
        assert part in message, message


def test_a_kind_without_rules_is_refused(tmp_path: Path) -> None:
    data = yaml.safe_load(ENGLISH.read_text(encoding="utf-8"))
    data["kinds"].pop("sexual_violence")
    path = tmp_path / "en.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ContentError, match="kinds > sexual_violence: no rules"):
        load_lexicon(path)


def test_phone_typing_is_read_like_careful_typing() -> None:
    detector = DangerDetector([load_lexicon(ENGLISH)])
    careful = "I want to kill myself."
    for typed in ("i wanna kill myself", "I WANT TO KILL MYSELF!!!", "i want 2 kil myslef", "kms"):
        assert detector.assess(typed) == detector.assess(careful), typed


def test_explain_names_the_rule_and_the_words() -> None:
    detector = DangerDetector([load_lexicon(ENGLISH)])
    findings = detector.explain("he hit me up last night, then he hit me")
    assert findings
    assert all(finding.words == "hit me" for finding in findings if finding.rule == "VIOLENT +ME")


def test_no_yes_on_and_off_stay_words() -> None:
    """YAML 1.1 would read them as booleans; in a lexicon they are words."""
    lexicon = load_lexicon(ENGLISH)
    assert "no" in lexicon.negations or "no" in lexicon.by_word
    assert "off" in lexicon.by_word
