"""Drawing the picture of a profile: the five factors as bars, and the track, as a JPEG.

It must read on a phone held upright, in a light or a dark chat theme: so the picture
carries its own light card (dark text on it stays legible on either theme's background),
big type, bars filled cell by cell like the text ones, and nothing that needs colour to be
understood (the count of cells says it). Pillow is imported here, on first use, so a bot
that never shows a result does not pay for it at start-up.

JPEG rather than PNG: Telegram turns every photo into a JPEG anyway, and encoding a PNG
took three times as long as drawing the picture (BENCHMARKS.md counts the bot's CPU per
event, this included). Quality 90 without chroma subsampling keeps the lettering crisp.
"""

from __future__ import annotations

import io

from dialogs.turn import ProfilePicture

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
    from PIL import Image, ImageDraw, ImageFont

    height = MARGIN * 2 + 90 + ROW * len(picture.factors) + 70
    image = Image.new("RGB", (WIDTH, height), CARD)
    pen = ImageDraw.Draw(image)
    heading = ImageFont.load_default(size=46)
    label = ImageFont.load_default(size=38)
    small = ImageFont.load_default(size=34)
    pen.text((MARGIN, MARGIN), picture.heading.rstrip(":"), fill=INK, font=heading)
    top = MARGIN + 90
    gap = 14
    cell_width = (WIDTH - 2 * MARGIN - 110 - gap * (picture.cells - 1)) // picture.cells
    for index, (title, filled) in enumerate(picture.factors):
        y = top + index * ROW
        pen.text((MARGIN, y), title, fill=INK, font=label)
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
    pen.text((MARGIN, top + len(picture.factors) * ROW + 20), picture.track, fill=INK, font=label)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90, subsampling=0)
    return buffer.getvalue()
