"""Telegram's HTML parse mode: markup in, plain text plus entities out (or Telegram's 400).

What a person sees is the text with its entities, so the stand-in parses HTML the way
Telegram does: a small set of tags, the four named entities plus numeric ones, offsets in
UTF-16 code units. Unsupported or unclosed tags are refused with Telegram's wording, so a
bot that forgets to escape a user's ``<b>&`` finds out in a test, not in production.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import unescape
from typing import Any

from standin.errors import ApiError, bad_request

_SIMPLE_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
}
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^<>]*)?)\s*(/?)>")
_ATTRIBUTE = re.compile(r"""([a-zA-Z-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""")
_ENTITY = re.compile(r"&(#[0-9]{1,7};|#x[0-9a-fA-F]{1,6};|lt;|gt;|amp;|quot;)")


def utf16_length(text: str) -> int:
    """Length in UTF-16 code units, the unit Telegram measures entity offsets in."""
    return len(text.encode("utf-16-le")) // 2


@dataclass
class _Open:
    tag: str
    entity: dict[str, Any]
    byte_offset: int


def parse_html(markup: str) -> tuple[str, list[dict[str, Any]]]:
    """Returns (text, entities) for Telegram HTML; raises ApiError 400 like Telegram."""
    text: list[str] = []
    length = 0  # UTF-16 length of the text so far
    entities: list[dict[str, Any]] = []
    stack: list[_Open] = []
    position = 0
    while position < len(markup):
        less = markup.find("<", position)
        chunk = markup[position : less if less != -1 else len(markup)]
        if chunk:
            plain = _decode_entities(chunk)
            text.append(plain)
            length += utf16_length(plain)
        if less == -1:
            break
        match = _TAG.match(markup, less)
        byte_offset = len(markup[:less].encode("utf-8"))
        if match is None:
            raise _parse_error(f"Unsupported start tag at byte offset {byte_offset}")
        closing, name, attributes, _self_closing = match.groups()
        name = name.lower()
        if closing:
            if not stack:
                raise _parse_error(f"Unexpected end tag at byte offset {byte_offset}")
            opened = stack.pop()
            if opened.tag != name:
                raise _parse_error(
                    f'Unmatched end tag at byte offset {byte_offset}, expected "</{opened.tag}>", '
                    f'found "</{name}>"'
                )
            opened.entity["length"] = length - opened.entity["offset"]
            if opened.entity["length"] > 0:
                entities.append(opened.entity)
        else:
            entity = _entity_for(name, _attributes(attributes), length, byte_offset, stack)
            stack.append(_Open(name, entity, byte_offset))
        position = match.end()
    if stack:
        raise _parse_error(f'Can\'t find end tag corresponding to start tag "{stack[-1].tag}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(text), entities


def _entity_for(
    name: str, attributes: dict[str, str], offset: int, byte_offset: int, stack: list[_Open]
) -> dict[str, Any]:
    if name in _SIMPLE_TAGS:
        entity_type = _SIMPLE_TAGS[name]
        if name == "blockquote" and "expandable" in attributes:
            entity_type = "expandable_blockquote"
        entity: dict[str, Any] = {"type": entity_type, "offset": offset, "length": 0}
        if name == "code" and stack and stack[-1].tag == "pre" and "class" in attributes:
            stack[-1].entity["language"] = attributes["class"].removeprefix("language-")
        return entity
    if name == "span" and attributes.get("class") == "tg-spoiler":
        return {"type": "spoiler", "offset": offset, "length": 0}
    if name == "a":
        url = attributes.get("href", "")
        if not url:
            raise _parse_error(f"Empty URL in a tag at byte offset {byte_offset}")
        return {"type": "text_link", "offset": offset, "length": 0, "url": url}
    if name == "tg-emoji":
        return {
            "type": "custom_emoji",
            "offset": offset,
            "length": 0,
            "custom_emoji_id": attributes.get("emoji-id", ""),
        }
    raise _parse_error(f'Unsupported start tag "{name}" at byte offset {byte_offset}')


def _attributes(source: str) -> dict[str, str]:
    found = {}
    for match in _ATTRIBUTE.finditer(source):
        found[match.group(1).lower()] = unescape(
            next(g for g in match.groups()[1:] if g is not None)
        )
    for word in source.split():
        if "=" not in word:
            found.setdefault(word.lower(), "")
    return found


def _decode_entities(chunk: str) -> str:
    if "&" not in chunk:
        return chunk
    return _ENTITY.sub(lambda m: unescape(m.group(0)), chunk)


def _parse_error(detail: str) -> ApiError:
    return bad_request(f"can't parse entities: {detail}")
