"""Reading Bot API parameters the ways clients send them: query, form, JSON or multipart.

python-telegram-bot sends form fields with complex values JSON-encoded, and files as
multipart parts; other clients send a JSON body. Whatever the transport, a method handler
gets one typed view of its parameters, and a missing or malformed one is a 400 worded
like Telegram's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import BodyPartReader, web

from standin.errors import bad_request

#: Parameters whose values are JSON objects or arrays even when sent as form fields.
JSON_FIELDS = frozenset(
    {
        "reply_markup",
        "entities",
        "caption_entities",
        "commands",
        "scope",
        "allowed_updates",
        "reply_parameters",
        "link_preview_options",
        "media",
    }
)


@dataclass
class Upload:
    """A file part of a multipart request."""

    name: str
    filename: str
    size: int


@dataclass
class Params:
    """One call's parameters."""

    values: dict[str, Any]
    uploads: dict[str, Upload] = field(default_factory=dict)

    def has(self, name: str) -> bool:
        """Whether the parameter was given (and is not null)."""
        return self.values.get(name) is not None

    def raw(self, name: str, default: Any = None) -> Any:
        """The parameter as received, JSON-decoded when it is a JSON field."""
        return self.values.get(name, default)

    def string(self, name: str, default: str | None = None) -> str:
        """A required (or defaulted) string parameter."""
        value = self.values.get(name, default)
        if value is None:
            raise bad_request(
                f"{name} is empty" if name.endswith("text") else f"{name} is required"
            )
        return str(value)

    def optional_string(self, name: str) -> str | None:
        """A string parameter, or None."""
        value = self.values.get(name)
        return None if value is None else str(value)

    def integer(self, name: str, default: int | None = None) -> int:
        """A required (or defaulted) integer parameter."""
        value = self.values.get(name, default)
        if value is None:
            raise bad_request(f"{name} is required")
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad_request(f"invalid {name} specified") from None

    def optional_integer(self, name: str) -> int | None:
        """An integer parameter, or None."""
        return None if self.values.get(name) is None else self.integer(name)

    def boolean(self, name: str, default: bool = False) -> bool:
        """A boolean parameter (true/false, 1/0)."""
        value = self.values.get(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        return str(value).lower() in {"true", "1"}

    def chat_id(self, name: str = "chat_id") -> int:
        """A chat id; usernames (@channel) are not supported by the stand-in."""
        value = self.values.get(name)
        if value is None or value == "":
            raise bad_request("chat_id is empty")
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad_request("chat not found") from None

    def json_safe(self) -> dict[str, Any]:
        """The parameters for the call log (uploads shown by name and size)."""
        logged = dict(self.values)
        for name, upload in self.uploads.items():
            logged[name] = f"<upload {upload.filename} {upload.size} bytes>"
        return logged


async def read_params(request: web.Request) -> Params:
    """Collects parameters from the query string and the body, whatever its encoding."""
    values: dict[str, Any] = dict(request.query)
    uploads: dict[str, Upload] = {}
    content_type = request.content_type
    if request.can_read_body:
        if content_type == "application/json":
            try:
                body = await request.json()
            except json.JSONDecodeError:
                raise bad_request("can't parse JSON object") from None
            if not isinstance(body, dict):
                raise bad_request("can't parse JSON object")
            values.update(body)
        elif content_type.startswith("multipart/"):
            reader = await request.multipart()
            async for part in reader:
                if not isinstance(part, BodyPartReader) or part.name is None:
                    continue
                if part.filename is not None:
                    size = len(await part.read())
                    uploads[part.name] = Upload(part.name, part.filename, size)
                else:
                    values[part.name] = await part.text()
        else:
            form = await request.post()
            values.update({key: value for key, value in form.items() if isinstance(value, str)})
    for name in JSON_FIELDS & values.keys():
        if isinstance(values[name], str):
            try:
                values[name] = json.loads(values[name])
            except json.JSONDecodeError:
                raise bad_request(f"can't parse {name} JSON object") from None
    for name, value in list(values.items()):
        if isinstance(value, str) and value.startswith("attach://"):
            attached = uploads.get(value.removeprefix("attach://"))
            if attached is not None:
                uploads[name] = attached
    return Params(values, uploads)
