"""The picture of a profile in every language: Cyrillic and "ñ" drawn, not boxes."""

from __future__ import annotations

import pytest

from bot import profile_picture
from dialogs import default_library
from dialogs.turn import ProfilePicture
from tests.engine.driver import Conversation
from tests.stories import PEOPLE

#: A character no font draws: what a missing glyph looks like in the font used.
NO_GLYPH = "\U0010fffd"


def _picture(language: str) -> ProfilePicture:
    engine = default_library().engine(language)
    chat = Conversation(engine)
    chat.start()
    chat.tap(engine.content.first_step.options[0].label)
    answers = PEOPLE["she carries it all alone"]
    while engine.content.step(chat.state).kind.value == "question":
        option = engine.step(chat.state).option(answers[chat.state])
        assert option is not None
        chat.tap(option.label)
    pictures = [m.picture for m in chat.last.messages if m.picture is not None]
    assert pictures
    return pictures[0]


def _lines(picture: ProfilePicture) -> list[str]:
    return [picture.heading.rstrip(":"), *(title for title, _ in picture.factors), picture.track]


def _drawn(font: object, char: str) -> bytes:
    """The pixels of one character in this font."""
    from PIL import Image, ImageDraw

    image = Image.new("L", (80, 80))
    ImageDraw.Draw(image).text((10, 10), char, fill=255, font=font)  # type: ignore[arg-type]
    return image.tobytes()


@pytest.fixture(scope="module")
def truetype() -> None:
    font = profile_picture.font(38)
    if "DejaVu" not in str(getattr(font, "path", "")):
        pytest.skip("no DejaVu Sans on this machine: install fonts-dejavu-core")


@pytest.mark.usefixtures("truetype")
@pytest.mark.parametrize("language", default_library().languages)
def test_every_letter_of_the_labels_has_a_glyph(language: str) -> None:
    picture = _picture(language)
    font = profile_picture.font(38)
    missing = _drawn(font, NO_GLYPH)
    letters = {char for line in _lines(picture) for char in line if not char.isspace()}
    drawn_as_box = sorted(c for c in letters if _drawn(font, c) == missing)
    assert drawn_as_box == []
    if language == "ru":
        assert any("\u0400" <= char <= "\u04ff" for char in letters), "Cyrillic is there"


@pytest.mark.usefixtures("truetype")
@pytest.mark.parametrize("language", default_library().languages)
def test_the_picture_is_drawn_and_every_line_fits_the_card(language: str) -> None:
    picture = _picture(language)
    jpeg = profile_picture.draw(picture)
    assert jpeg.startswith(b"\xff\xd8")
    width = profile_picture.WIDTH - 2 * profile_picture.MARGIN
    for line in _lines(picture):
        assert profile_picture.fitted(line, 38).getlength(line) <= width, line


def test_without_dejavu_the_picture_is_still_drawn(monkeypatch: pytest.MonkeyPatch) -> None:
    """A machine without the font falls back to Pillow's own, and says so."""
    monkeypatch.setattr(profile_picture, "FONTS", ("NoSuchFont.ttf",))
    profile_picture.font.cache_clear()
    try:
        assert profile_picture.draw(_picture("en")).startswith(b"\xff\xd8")
    finally:
        profile_picture.font.cache_clear()
