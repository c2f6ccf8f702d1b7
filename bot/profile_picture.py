"""Drawing the picture of a profile: the five factors as bars, and the track, as a JPEG.

It must read on a phone held upright, in a light or a dark chat theme: so the picture
carries its own light card (dark text on it stays legible on either theme's background),
big type, bars filled cell by cell like the text ones, and nothing that needs colour to be
understood (the count of cells says it). Pillow is imported here, on first use, so a bot
that never shows a result does not pay for it at start-up.

JPEG rather than PNG: Telegram turns every photo into a JPEG anyway, and encoding a PNG
took three times as long as drawing the picture (BENCHMARKS.md counts the bot's CPU per
event, this included). Quality 90 without chroma subsampling keeps the lettering crisp.

The labels come in the person's language, Cyrillic and "ñ" included, which Pillow's own
default font cannot draw: the lettering is a TrueType font with those glyphs, DejaVu Sans
(Debian's ``fonts-dejavu-core``), found by name wherever the system keeps its fonts. Where
there is none, the picture is still drawn, in Pillow's default font, and a warning says
once which package to install (Latin text reads; Cyrillic would show as boxes).
"""

from __future__ import annotations

import io
import logging
from functools import cache
from typing import TYPE_CHECKING

from dialogs.turn import ProfilePicture

if TYPE_CHECKING:
    from PIL.ImageFont import FreeTypeFont, ImageFont

log = logging.getLogger(__name__)

#: TrueType fonts with Latin, Cyrillic and the accents of Spanish, the first found is used:
#: by name (Pillow looks in the system's font folders), then where distributions put it.
FONTS = (
    "DejaVuSans.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf",
)

WIDTH = 1080
MARGIN = 64
ROW = 112
CARD = (250, 247, 242)
INK = (38, 38, 46)
MUTED = (110, 110, 120)
FILLED = (76, 110, 170)
EMPTY = (222, 218, 210)


def draw(picture: ProfilePicture) -> bytes:
    """The JPEG bytes of the picture."""
    from PIL import Image, ImageDraw

    height = MARGIN * 2 + 90 + ROW * len(picture.factors) + 70
    image = Image.new("RGB", (WIDTH, height), CARD)
    pen = ImageDraw.Draw(image)
    small = font(34)
    heading_text = picture.heading.rstrip(":")
    pen.text((MARGIN, MARGIN), heading_text, fill=INK, font=fitted(heading_text, 46))
    top = MARGIN + 90
    gap = 14
    cell_width = (WIDTH - 2 * MARGIN - 110 - gap * (picture.cells - 1)) // picture.cells
    for index, (title, filled) in enumerate(picture.factors):
        y = top + index * ROW
        pen.text((MARGIN, y), title, fill=INK, font=fitted(title, 38))
        for cell in range(picture.cells):
            x = MARGIN + cell * (cell_width + gap)
            colour = FILLED if cell < filled else EMPTY
            pen.rounded_rectangle((x, y + 50, x + cell_width, y + 80), radius=10, fill=colour)
        pen.text(
            (MARGIN + picture.cells * (cell_width + gap) + 12, y + 44),
            f"{filled}/{picture.cells}",
            fill=MUTED,
            font=small,
        )
    track_at = (MARGIN, top + len(picture.factors) * ROW + 20)
    pen.text(track_at, picture.track, fill=INK, font=fitted(picture.track, 38))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90, subsampling=0)
    return buffer.getvalue()


@cache
def font(size: int) -> FreeTypeFont | ImageFont:
    """The lettering at this size: DejaVu Sans, or Pillow's default font (with a warning
    once) when the system has no DejaVu."""
    from PIL import ImageFont

    for name in FONTS:
        try:
            return ImageFont.truetype(name, size=size)
        except OSError:
            continue
    if not font.cache_info().currsize:
        log.warning(
            "no DejaVu Sans font found (install fonts-dejavu-core): the profile picture "
            "falls back to Pillow's default font, which cannot draw Cyrillic"
        )
    return ImageFont.load_default(size=size)


#: The smallest lettering a line may shrink to so that it fits the card's width.
SMALLEST = 26


def fitted(text: str, size: int) -> FreeTypeFont | ImageFont:
    """The font at ``size``, or smaller until the line fits between the margins: some
    languages say the same thing in longer words."""
    width = WIDTH - 2 * MARGIN
    while size > SMALLEST and font(size).getlength(text) > width:
        size -= 2
    return font(size)
