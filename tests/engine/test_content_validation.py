"""A broken content file fails at load, naming the file, the step and what is wrong."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from dialogs.content_model import ContentError, load_content, parse_content
from tests.conftest import CONTENT_FILE

Raw = dict[str, Any]


def _step(raw: Raw, step_id: str) -> Raw:
    return next(step for step in raw["steps"] if step["id"] == step_id)


def _drop_key(raw: Raw) -> None:
    del _step(raw, "pattern")["prompt"]


def _unknown_next(raw: Raw) -> None:
    _step(raw, "duration")["next"] = "nowhere"


def _option_pointing_nowhere(raw: Raw) -> None:
    _step(raw, "stage")["options"][0]["next"] = "the_moon"


def _text_too_long(raw: Raw) -> None:
    _step(raw, "social_circle")["messages"][1] = "x" * 4097


def _unknown_factor(raw: Raw) -> None:
    _step(raw, "stage")["options"][0]["weights"] = {"astrology": 2}


def _unknown_placeholder(raw: Raw) -> None:
    raw["ui"]["paused"] = "Paused, {nickname}."


def _format_spec(raw: Raw) -> None:
    raw["ui"]["progress"] = "Step {step:03d} of {total}"


def _conversion(raw: Raw) -> None:
    raw["ui"]["resume_prompt"] = "Hi {name!x}"


def _broken_brace(raw: Raw) -> None:
    raw["ui"]["help"] = "Use {curly braces"


def _unreachable_step(raw: Raw) -> None:
    _step(raw, "stage")["next"] = "duration"
    for option in _step(raw, "welcome")["options"]:
        option.pop("next", None)
    _step(raw, "welcome")["next"] = "duration"


def _loop(raw: Raw) -> None:
    _step(raw, "duration")["next"] = "stage"


def _duplicate_step(raw: Raw) -> None:
    raw["steps"].insert(3, dict(_step(raw, "pattern")))


def _unknown_section(raw: Raw) -> None:
    _step(raw, "pattern")["section"] = "astrology"


def _typo_key(raw: Raw) -> None:
    _step(raw, "pattern")["promt"] = "typo"


def _missing_ui_text(raw: Raw) -> None:
    del raw["ui"]["reprompt"]


def _missing_action_label(raw: Raw) -> None:
    del raw["actions"]["skip"]


def _unknown_resource_block(raw: Raw) -> None:
    raw["safety"]["needs"]["self_harm"] = ["self_harm", "astrology"]


def _unacknowledged_kind(raw: Raw) -> None:
    del raw["safety"]["acknowledge"]["sexual_violence"]


def _label_too_long(raw: Raw) -> None:
    _step(raw, "stage")["options"][1]["label"] = "y" * 65


def _punctuation_only_alias(raw: Raw) -> None:
    _step(raw, "stage")["options"][1]["aliases"] = ["?!"]


def _no_end(raw: Raw) -> None:
    raw["steps"] = [s for s in raw["steps"] if s["id"] != "done"]
    _step(raw, "forward")["options"][0].pop("next")


BROKEN: list[tuple[Callable[[Raw], None], list[str]]] = [
    (_drop_key, ["step 'pattern'", "'prompt'", "required key is missing"]),
    (_unknown_next, ["step 'duration'", "unknown step 'nowhere'"]),
    (_option_pointing_nowhere, ["step 'stage'", "option 'early'", "unknown step 'the_moon'"]),
    (_text_too_long, ["step 'social_circle'", "message 2", "4097 characters", "4096"]),
    (_unknown_factor, ["step 'stage'", "option 'early'", "unknown factor 'astrology'"]),
    (_unknown_placeholder, ["ui > paused", "unknown placeholder '{nickname}'"]),
    (_broken_brace, ["ui > help", "broken placeholder"]),
    (_format_spec, ["ui > progress", "'{step}' takes no format or conversion"]),
    (_conversion, ["ui > resume_prompt", "'{name}' takes no format or conversion"]),
    (_unreachable_step, ["step 'stage'", "cannot be reached"]),
    (_loop, ["loop back on themselves", "duration -> stage"]),
    (_duplicate_step, ["step 'pattern' is defined twice"]),
    (_unknown_section, ["step 'pattern'", "unknown section 'astrology'"]),
    (_typo_key, ["step 'pattern'", "'promt'", "unknown key"]),
    (_missing_ui_text, ["ui", "'reprompt'", "required key is missing"]),
    (_missing_action_label, ["actions", "skip"]),
    (_unknown_resource_block, ["safety > needs > self_harm", "unknown resource block 'astrology'"]),
    (_unacknowledged_kind, ["safety", "acknowledge", "sexual_violence"]),
    (_label_too_long, ["step 'stage'", "option 'building'", "'label'", "64"]),
    (_punctuation_only_alias, ["step 'stage'", "option 'building'", "no letters or digits"]),
    (_no_end, ["no step of kind 'end'"]),
]


@pytest.mark.parametrize(("breakage", "expected"), BROKEN, ids=[b.__name__ for b, _ in BROKEN])
def test_each_kind_of_breakage_names_file_step_and_problem(
    raw_content: Raw, breakage: Callable[[Raw], None], expected: list[str], tmp_path: Path
) -> None:
    breakage(raw_content)
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(raw_content, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        load_content(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    for fragment in expected:
        assert fragment in message, f"{fragment!r} missing from: {message}"


def test_the_shipped_content_is_valid() -> None:
    content = load_content(CONTENT_FILE)
    assert [f.id for f in content.factors] == [
        "independence",
        "vulnerability",
        "pressure",
        "readiness",
        "social",
    ]


def test_invalid_yaml_and_missing_files_are_named(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("steps: [unclosed\n", encoding="utf-8")
    with pytest.raises(ContentError, match=r"broken\.yaml: not valid YAML"):
        load_content(broken)
    with pytest.raises(ContentError, match=r"absent\.yaml: cannot read the file"):
        load_content(tmp_path / "absent.yaml")
    with pytest.raises(ContentError, match="top level must be a mapping"):
        parse_content(["a", "list"], source="list.yaml")


def test_yaml_booleans_as_ids_are_caught(raw_content: Raw) -> None:
    _step(raw_content, "readiness_words")["options"][2]["id"] = False  # what `id: no` becomes
    with pytest.raises(ContentError, match=r"step 'readiness_words' > option #3 > 'id'"):
        parse_content(raw_content, source="en.yaml")
