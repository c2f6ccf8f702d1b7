"""Generated raw Telegram updates for the fault drill, each with what a correct bot does.

The bot's own tests feed it the updates its dialogue expects. Telegram, old clients, modified
clients and the bot's own buttons (tapped days later) send much more than that: stickers and
polls where text is expected, commands addressed to another bot, messages in groups the bot
was added to, callback data nobody ever put on a button, update types newer than the code,
and, from forged or buggy senders, JSON that does not match the Bot API at all. The fault
drill pushes thousands of these into the local Bot API stand-in and checks that the bot stays
up, logs no unhandled exception and still answers the people who deserve an answer.

This module only generates. Every update is a plain JSON object without ``update_id`` (the
stand-in numbers updates itself), is deterministic for a given ``random.Random`` state, and
comes with its category and the private chat, if any, that must receive a bot message.
Shapes follow https://core.telegram.org/bots/api#update; the well-formed categories parse with
python-telegram-bot, the ``malformed`` and ``empty_update`` ones deliberately do not match.
Strings never hold lone surrogates (they cannot be encoded as UTF-8) and numbers are always
finite, so every update survives ``json.dumps(..., allow_nan=False)``.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

Json = dict[str, Any]

#: The bot as Telegram describes it inside updates (chat member updates, its own messages).
BOT_USER: Json = {"id": 100000011, "is_bot": True, "first_name": "Closer", "username": "closer_bot"}

#: Telegram's limit for one text message, in characters.
TEXT_LIMIT = 4096
#: The longest text the generator makes.
LONGEST_TEXT = 10_000

_EPOCH = 1_767_225_600  # 2026-01-01 00:00 UTC; dates fall in the thirty days after it
_MONTH = 30 * 24 * 3600


@dataclass(frozen=True)
class FuzzedUpdate:
    """One generated update (without update_id) and what a correct bot does with it."""

    update: dict[str, Any]  # JSON-serialisable, no "update_id" key
    kind: str  # the category, one of CATEGORIES
    answer_chat: int | None  # private chat id that must get at least one bot message back


# A category's builder: the update and the chat that must be answered (None: no answer due).
_Built = tuple[Json, int | None]
_Builder = Callable[[random.Random, Sequence[int]], _Built]


# --- plain values ----------------------------------------------------------------------------

_FIRST_NAMES = (
    "Anna",
    "Ben",
    "Chioma",
    "Émilie",
    "Zoë",
    "محمد",
    "יעל",
    "美咲",
    "🦊",
    "X Æ A-12",
    "<b>&amp;</b>",
    "\u202eevil",
    "a" * 64,
)
_LANGUAGES = ("en", "ru", "uk", "de", "ar", "he", "zh-hans", "pt-br", "xx")
_WORDS = (
    "hi",
    "hello",
    "yes",
    "no",
    "maybe",
    "I",
    "don't",
    "know",
    "he",
    "she",
    "stopped",
    "texting",
    "me",
    "why",
    "?",
    "...",
    "ok",
    "help",
    "back",
    "skip",
    "start",
    "again",
    "thanks",
    "<script>",
    "&amp;",
    "*bold*",
    "_x_",
    "😭",
)
_UNICODE_PIECES = (
    "\U0001f469\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466",  # family: ZWJ sequence
    "\U0001f3f3\ufe0f\u200d\U0001f308",  # rainbow flag: ZWJ with a variation selector
    "\U0001f468\U0001f3fd\u200d\U0001f4bb",  # technologist with a skin tone
    "\U0001f1fa\U0001f1e6",  # a flag: two regional indicators
    "\u2764\ufe0f",
    "\U0001fae0",
    "مرحبا، كيف حالك؟",  # Arabic, right to left
    "שלום עולם",  # Hebrew, right to left
    "\u200f\u202e\u2066",  # direction marks and overrides
    "你好\uff0c世界",  # with a full-width comma
    "こんにちは",
    "안녕하세요",
    "e\u0301",  # combining acute accent
    "Z\u0336\u0324\u0351\u0347\u0353",  # stacked combining marks
    "\u200b\u200c\u200d\u2060\ufeff",  # zero-width characters
    "\U0001d573\U0001d58a\U0001d591\U0001d591\U0001d594",  # mathematical letters
    "\ufdfa",  # the widest single character
    " ",
)
_WHITESPACE_ISH = (" ", "\t", "\n", "\r\n", "\u00a0", "\u2003", "\u3000", "\u200b", "\u2028")
_NUMBERS = (
    "1",
    "12",
    "-3",
    "0",
    "007",
    "3.14",
    "1e9",
    "99999999999999999999",
    "+1",
    "½",
    "\u0663",  # Arabic-Indic three
    "²",
    "\uff11\uff12",  # full-width twelve
)


def _date(rng: random.Random) -> int:
    """A message date: whole Unix seconds."""
    return _EPOCH + rng.randrange(_MONTH)


def _message_id(rng: random.Random) -> int:
    return rng.randint(1, 1_000_000)


def _utf16_length(text: str) -> int:
    """Telegram measures entity offsets and lengths in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def _file_ids(rng: random.Random) -> Json:
    token = f"{rng.getrandbits(96):024x}"
    return {"file_id": f"AgAC{token}", "file_unique_id": f"AQAD{token[:12]}"}


def _random_text(rng: random.Random, length: int) -> str:
    """Arbitrary characters, control characters and NUL included, never a lone surrogate."""
    blocks = ((0x00, 0xFF), (0x100, 0x2FF), (0x590, 0x6FF), (0x4E00, 0x4FFF), (0x1F300, 0x1FAFF))
    chars = []
    for _ in range(length):
        low, high = rng.choice(blocks)
        chars.append(chr(rng.randint(low, high)))
    return "".join(chars)


def _random_json(rng: random.Random, depth: int = 0) -> Any:
    """Any JSON value, nested a few levels at most; numbers are always finite."""
    choices = 8 if depth < 3 else 6
    pick = rng.randrange(choices)
    if pick == 0:
        return None
    if pick == 1:
        return rng.random() < 0.5
    if pick == 2:
        return rng.choice((0, -1, 1, 2**31, 2**53 + 1, 2**63, -(2**63), 2**64))
    if pick == 3:
        return rng.uniform(-1e9, 1e9)
    if pick == 4:
        return _random_text(rng, rng.randint(0, 20))
    if pick == 5:
        return rng.choice(_WORDS)
    if pick == 6:
        return [_random_json(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return _random_object(rng, depth + 1)


def _random_object(rng: random.Random, depth: int = 0) -> Json:
    keys = ("id", "type", "text", "chat", "from", "date", "data", "x", "", "😀")
    return {rng.choice(keys): _random_json(rng, depth) for _ in range(rng.randint(0, 5))}


# --- texts -----------------------------------------------------------------------------------


def _ordinary_text(rng: random.Random) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(rng.randint(1, 12)))


def _unicode_text(rng: random.Random) -> str:
    return "".join(rng.choice(_UNICODE_PIECES) for _ in range(rng.randint(1, 40)))


def _whitespace_text(rng: random.Random) -> str:
    """Only blanks and invisible characters, but never empty."""
    return "".join(rng.choice(_WHITESPACE_ISH) for _ in range(rng.randint(1, 6)))


def _number_text(rng: random.Random) -> str:
    return rng.choice(_NUMBERS)


def _long_text(rng: random.Random) -> str:
    """Texts at Telegram's limit and beyond it (up to LONGEST_TEXT characters)."""
    length = rng.choice(
        (TEXT_LIMIT - 1, TEXT_LIMIT, TEXT_LIMIT + 1, rng.randint(TEXT_LIMIT, LONGEST_TEXT))
    )
    piece = _unicode_text if rng.random() < 0.5 else _ordinary_text
    parts: list[str] = []
    total = 0
    while total < length:
        part = piece(rng) + " "
        parts.append(part)
        total += len(part)
    return "".join(parts)[:length]


_TEXT_STYLES: tuple[Callable[[random.Random], str], ...] = (
    _ordinary_text,
    _unicode_text,
    _whitespace_text,
    _number_text,
    _long_text,
)


def _any_text(rng: random.Random) -> str:
    return rng.choice(_TEXT_STYLES)(rng)


def _short_text(rng: random.Random) -> str:
    """Text that fits a caption or an ordinary message."""
    return rng.choice(_TEXT_STYLES[:-1])(rng)


def _text_content(rng: random.Random, text: str) -> Json:
    """``text``, sometimes with a formatting entity over all of it."""
    content: Json = {"text": text}
    if rng.random() < 0.25:
        style = rng.choice(("bold", "italic", "spoiler", "code"))
        content["entities"] = [{"type": style, "offset": 0, "length": _utf16_length(text)}]
    return content


def _command_content(text: str) -> Json:
    """A command message: the text and its ``bot_command`` entity at offset 0."""
    command = text.split(" ", 1)[0]
    return {
        "text": text,
        "entities": [{"type": "bot_command", "offset": 0, "length": _utf16_length(command)}],
    }


# --- users, chats, messages ------------------------------------------------------------------


def _user(rng: random.Random, user_id: int) -> Json:
    user: Json = {"id": user_id, "is_bot": False, "first_name": rng.choice(_FIRST_NAMES)}
    if rng.random() < 0.7:
        user["language_code"] = rng.choice(_LANGUAGES)
    if rng.random() < 0.3:
        user["username"] = f"user{user_id}"
    return user


def _private_chat(user: Json) -> Json:
    chat: Json = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
    if "username" in user:
        chat["username"] = user["username"]
    return chat


def _group_chat(rng: random.Random) -> Json:
    if rng.random() < 0.5:
        return {"id": -rng.randint(1, 999_999_999), "type": "group", "title": "Friends"}
    chat_id = -(10**12) - rng.randrange(10**10)  # -100xxxxxxxxxx
    return {"id": chat_id, "type": "supergroup", "title": rng.choice(("Support", "空", "ضجيج"))}


def _channel_chat(rng: random.Random) -> Json:
    return {"id": -(10**12) - rng.randrange(10**10), "type": "channel", "title": "News"}


def _message(rng: random.Random, chat: Json, sender: Json | None, content: Json) -> Json:
    message: Json = {"message_id": _message_id(rng), "date": _date(rng), "chat": chat}
    if sender is not None:
        message["from"] = sender
    message.update(content)
    return message


def _person_message(rng: random.Random, people: Sequence[int], content: Json) -> Json:
    """A message a person sends the bot in their private chat."""
    user = _user(rng, rng.choice(people))
    return _message(rng, _private_chat(user), user, content)


def _bot_message(rng: random.Random, user: Json) -> Json:
    """A message the bot might have sent a person, as callback queries carry it."""
    content: Json = {"text": _short_text(rng)}
    if rng.random() < 0.5:
        button = {"text": "Yes", "callback_data": f"{rng.randint(1, 99)}:o:yes"}
        content["reply_markup"] = {"inline_keyboard": [[button]]}
    return _message(rng, _private_chat(user), dict(BOT_USER), content)


# --- well-formed categories ------------------------------------------------------------------


def _private_text(rng: random.Random, people: Sequence[int]) -> _Built:
    message = _person_message(rng, people, _text_content(rng, _any_text(rng)))
    return {"message": message}, message["chat"]["id"]


_PRIVATE_COMMANDS = (
    "/start",
    "/start payload",
    "/help",
    "/back",
    "/skip",
    "/pause",
    "/resume",
    "/restart",
    "/progress",
    "/privacy",
    "/stop",
    "/unknowncmd",
    "/start@SomeOtherBot",
)
#: Commands a correct bot need not answer: another bot's, and unsubscribing.
_UNANSWERED_COMMANDS = frozenset({"/stop", "/start@SomeOtherBot"})
_START_PAYLOADS = ("payload", "ref_42", "-_-", "x" * 64, "utm_source=ads")


def _private_command(rng: random.Random, people: Sequence[int]) -> _Built:
    text = rng.choice(_PRIVATE_COMMANDS)
    if text == "/start payload":
        text = f"/start {rng.choice(_START_PAYLOADS)}"
    message = _person_message(rng, people, _command_content(text))
    command = text.split(" ", 1)[0]
    answer = None if command in _UNANSWERED_COMMANDS else message["chat"]["id"]
    return {"message": message}, answer


def _sticker(rng: random.Random) -> Json:
    sticker = {
        **_file_ids(rng),
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": rng.random() < 0.3,
        "is_video": False,
        "emoji": rng.choice(("😀", "❤️", "👍")),
    }
    return {"sticker": sticker}


def _photo(rng: random.Random) -> Json:
    sizes = [
        {**_file_ids(rng), "width": width, "height": width * 3 // 4, "file_size": width * 90}
        for width in (90, 320, 1280)
    ]
    return {"photo": sizes}


def _voice(rng: random.Random) -> Json:
    seconds = rng.randint(1, 600)
    voice = {**_file_ids(rng), "duration": seconds, "mime_type": "audio/ogg"}
    return {"voice": voice | {"file_size": seconds * 2000}}


def _location(rng: random.Random) -> Json:
    return {"location": {"latitude": rng.uniform(-90, 90), "longitude": rng.uniform(-180, 180)}}


def _contact(rng: random.Random) -> Json:
    contact: Json = {"phone_number": f"+{rng.randint(10**9, 10**12)}", "first_name": "Mum"}
    if rng.random() < 0.5:
        contact["user_id"] = rng.randint(1, 10**10)
    return {"contact": contact}


def _dice(rng: random.Random) -> Json:
    emoji, faces = rng.choice((("🎲", 6), ("🎯", 6), ("🏀", 5), ("⚽", 5), ("🎳", 6), ("🎰", 64)))
    return {"dice": {"emoji": emoji, "value": rng.randint(1, faces)}}


def _poll(rng: random.Random) -> Json:
    poll = {
        "id": str(rng.getrandbits(63)),
        "question": "Should I text him?",
        "options": [
            {"text": text, "voter_count": 0, "persistent_id": str(number)}
            for number, text in enumerate(("yes", "no", "🤷"))
        ],
        "total_voter_count": 0,
        "is_closed": False,
        "is_anonymous": rng.random() < 0.5,
        "type": rng.choice(("regular", "quiz")),
        "allows_multiple_answers": False,
        "allows_revoting": True,  # required since Bot API 9.6
        "members_only": False,  # required since Bot API 10.0
    }
    return {"poll": poll}


def _document(rng: random.Random) -> Json:
    name = rng.choice(("chat.txt", "screenshot.png", "отчёт.pdf", "a" * 255))
    document = {**_file_ids(rng), "file_name": name, "mime_type": "application/octet-stream"}
    return {"document": document | {"file_size": rng.randint(1, 50_000_000)}}


_MEDIA: tuple[Callable[[random.Random], Json], ...] = (
    _sticker,
    _photo,
    _voice,
    _location,
    _contact,
    _dice,
    _poll,
    _document,
)
#: Media a caption can go with.
_CAPTIONED = frozenset({"photo", "voice", "document"})


def _private_media(rng: random.Random, people: Sequence[int]) -> _Built:
    content = rng.choice(_MEDIA)(rng)
    if content.keys() & _CAPTIONED and rng.random() < 0.4:
        content["caption"] = _short_text(rng)
    message = _person_message(rng, people, content)
    return {"message": message}, message["chat"]["id"]


def _edited_text(rng: random.Random, people: Sequence[int]) -> _Built:
    message = _person_message(rng, people, _text_content(rng, _short_text(rng)))
    message["edit_date"] = message["date"] + rng.randint(1, 3600)
    return {"edited_message": message}, None


_GROUP_COMMANDS = (
    "/start",
    "/help",
    "/start@closer_bot",
    "/stop@closer_bot",
    "/start@SomeOtherBot",
)


def _group_content(rng: random.Random) -> Json:
    pick = rng.randrange(4)
    if pick == 0:
        return _command_content(rng.choice(_GROUP_COMMANDS))
    if pick == 1:
        return {"new_chat_members": [dict(BOT_USER)]}
    if pick == 2:
        return {"left_chat_member": dict(BOT_USER)}
    return _text_content(rng, _any_text(rng))


def _group_chatter(rng: random.Random, people: Sequence[int]) -> _Built:
    sender = _user(rng, rng.choice(people))
    message = _message(rng, _group_chat(rng), sender, _group_content(rng))
    return {"message": message}, None


def _channel_post(rng: random.Random, people: Sequence[int]) -> _Built:
    chat = _channel_chat(rng)
    text = rng.choice(("/start", _short_text(rng)))
    content = _command_content(text) if text == "/start" else _text_content(rng, text)
    post = _message(rng, chat, None, content | {"sender_chat": dict(chat)})
    if rng.random() < 0.5:
        return {"channel_post": post}, None
    post["edit_date"] = post["date"] + rng.randint(1, 3600)
    return {"edited_channel_post": post}, None


def _callback_base(rng: random.Random, user: Json) -> Json:
    """What every callback query has: its id, the person and the chat instance."""
    return {
        "id": str(rng.getrandbits(63)),
        "from": user,
        "chat_instance": str(rng.randint(-(2**63), 2**63 - 1)),
    }


_FORGED_DATA = (
    "",
    "999999:o:nothing",
    "0:f:yes",
    "0:f:no",
    "1:a:back",
    "1:o:yes\n",  # a trailing newline
    "\u0663:o:yes",  # an Arabic-Indic digit
    "1234567890:o:yes",
    "-1:o:yes",
    "1:x:yes",
    "1:o:",
    "1:o:" + "a" * 60,
    "b:1:s",
    "b:1:x",
    "b:99:a:f.foo",
    "b::",
    ":::",
    "null",
    "0",
    "-1",
    "1e309",
    "NaN",
    "😀😀😀",
    "שלום:o:yes",
)


def _forged_data(rng: random.Random) -> str:
    pick = rng.randrange(4)
    if pick == 0:
        return _random_text(rng, rng.randint(1, 64))  # bytes-ish
    if pick == 1:
        return _random_text(rng, rng.randint(65, 300))  # over Telegram's 64 bytes
    if pick == 2:
        return str(rng.randint(-(2**70), 2**70))
    return rng.choice(_FORGED_DATA)


def _callback_forged(rng: random.Random, people: Sequence[int]) -> _Built:
    user = _user(rng, rng.choice(people))
    query = _callback_base(rng, user)
    query["message"] = _bot_message(rng, user)
    query["data"] = _forged_data(rng)
    return {"callback_query": query}, None


def _callback_odd(rng: random.Random, people: Sequence[int]) -> _Built:
    user = _user(rng, rng.choice(people))
    query = _callback_base(rng, user)
    pick = rng.randrange(3)
    if pick == 0:  # a button on an inline message: no message at all
        query["inline_message_id"] = f"AQAAA{rng.getrandbits(80):020x}"
        query["data"] = f"{rng.randint(1, 99)}:o:yes"
    elif pick == 1:  # a message too old for the bot to see
        chat = _private_chat(user)
        query["message"] = {"chat": chat, "message_id": _message_id(rng), "date": 0}
        query["data"] = f"{rng.randint(1, 99)}:a:back"
    else:  # a game button
        query["message"] = _bot_message(rng, user)
        query["game_short_name"] = "closer_game"
    return {"callback_query": query}, None


def _bot_member(status: str) -> Json:
    member: Json = {"user": dict(BOT_USER), "status": status}
    if status == "kicked":
        member["until_date"] = 0
    return member


def _my_chat_member(rng: random.Random, people: Sequence[int]) -> _Built:
    user = _user(rng, rng.choice(people))
    old, new = rng.choice((("member", "kicked"), ("kicked", "member")))
    change = {
        "chat": _private_chat(user),
        "from": user,
        "date": _date(rng),
        "old_chat_member": _bot_member(old),
        "new_chat_member": _bot_member(new),
    }
    return {"my_chat_member": change}, None


#: Keys no Bot API version (and no python-telegram-bot version) knows.
_FUTURE_KEYS = ("some_future_thing", "story_update", "x_experimental", "quantum_message")


def _unknown_type(rng: random.Random, people: Sequence[int]) -> _Built:
    """An update type the bot never asked for: a future one, or a real one it does not use."""
    user = _user(rng, rng.choice(people))
    pick = rng.randrange(4)
    if pick == 0:
        reaction = {
            "chat": _private_chat(user),
            "message_id": _message_id(rng),
            "user": user,
            "date": _date(rng),
            "old_reaction": [],
            "new_reaction": [{"type": "emoji", "emoji": "👍"}],
        }
        return {"message_reaction": reaction}, None
    if pick == 1:
        message = _message(rng, _private_chat(user), user, {"text": _short_text(rng)})
        message["business_connection_id"] = f"bc{rng.getrandbits(40):x}"
        return {"business_message": message}, None
    if pick == 2:
        purchase = {"from": user, "paid_media_payload": _random_text(rng, 10)}
        return {"purchased_paid_media": purchase}, None
    return {rng.choice(_FUTURE_KEYS): _random_object(rng)}, None


# --- badly-formed categories -----------------------------------------------------------------

_HUGE_INTS = (2**63, -(2**63), 2**64, -(2**64) - 1)
_MessageMutation = Callable[[random.Random, Json], None]


def _text_not_string(rng: random.Random, message: Json) -> None:
    message["text"] = rng.choice((12345, 1.5, True, [["nested"]], {"text": "x"}))


def _chat_not_object(rng: random.Random, message: Json) -> None:
    message["chat"] = rng.choice(("private", 42, [message.get("chat")], None))


def _chat_missing(rng: random.Random, message: Json) -> None:
    del message["chat"]


def _chat_wrong_fields(rng: random.Random, message: Json) -> None:
    message["chat"] = {"id": rng.choice(("abc", None, 1.5, *_HUGE_INTS)), "type": 5}


def _from_missing(rng: random.Random, message: Json) -> None:
    message.pop("from", None)


def _from_wrong(rng: random.Random, message: Json) -> None:
    message["from"] = rng.choice(("me", {"id": "me", "is_bot": "no"}, {}, [1]))


def _message_id_wrong(rng: random.Random, message: Json) -> None:
    message["message_id"] = rng.choice(("17", None, -1, 0.5, *_HUGE_INTS))


def _date_wrong(rng: random.Random, message: Json) -> None:
    message["date"] = rng.choice((None, "yesterday", -1, *_HUGE_INTS))


def _entities_out_of_range(rng: random.Random, message: Json) -> None:
    entity = {"type": "bot_command", "offset": rng.choice((-5, 10**9)), "length": 10**6}
    message["entities"] = rng.choice(([entity], [[entity]], "bold", [None]))


def _junk_fields(rng: random.Random, message: Json) -> None:
    message[rng.choice(("reply_to_message", "photo", "sticker", "via_bot"))] = _random_json(rng)


_MESSAGE_MUTATIONS: tuple[_MessageMutation, ...] = (
    _text_not_string,
    _chat_not_object,
    _chat_missing,
    _chat_wrong_fields,
    _from_missing,
    _from_wrong,
    _message_id_wrong,
    _date_wrong,
    _entities_out_of_range,
    _junk_fields,
)


def _mutated_message(rng: random.Random, people: Sequence[int]) -> Json:
    message = _person_message(rng, people, _text_content(rng, _short_text(rng)))
    for mutate in rng.sample(_MESSAGE_MUTATIONS, rng.randint(1, 3)):
        mutate(rng, message)
    return message


def _mutated_callback(rng: random.Random, people: Sequence[int]) -> Json:
    user = _user(rng, rng.choice(people))
    query = _callback_base(rng, user)
    query["message"] = _mutated_message(rng, people)
    query["data"] = "1:o:yes"
    field = rng.choice(("id", "from", "chat_instance", "data", "message"))
    if rng.random() < 0.3:
        del query[field]
    else:
        query[field] = rng.choice((None, 7, -(2**63), "x", ["1:o:yes"], {"data": "1:o:yes"}))
    return query


def _malformed(rng: random.Random, people: Sequence[int]) -> _Built:
    key = rng.choice(("message", "edited_message", "callback_query"))
    pick = rng.randrange(5)
    if pick == 0:  # not an object at all
        return {key: rng.choice(("hello", [1, 2, 3], [{"text": "hi"}], 0, None, True))}, None
    if key == "callback_query":
        return {key: _mutated_callback(rng, people)}, None
    return {key: _mutated_message(rng, people)}, None


_SCALAR_KEYS = ("ok", "result", "foo", "_", "updateId", "😀")


def _empty_update(rng: random.Random, people: Sequence[int]) -> _Built:
    update: Json = {}
    for _ in range(rng.randint(0, 3)):
        update[rng.choice(_SCALAR_KEYS)] = rng.choice((None, True, 0, -1, 2**64, 0.5, "", "x"))
    return update, None


# --- the generator ---------------------------------------------------------------------------

_BUILDERS: dict[str, _Builder] = {
    "private_text": _private_text,
    "private_command": _private_command,
    "private_media": _private_media,
    "edited_text": _edited_text,
    "group_chatter": _group_chatter,
    "channel_post": _channel_post,
    "callback_forged": _callback_forged,
    "callback_odd": _callback_odd,
    "my_chat_member": _my_chat_member,
    "unknown_type": _unknown_type,
    "malformed": _malformed,
    "empty_update": _empty_update,
}

#: Every kind generate() can produce.
CATEGORIES: tuple[str, ...] = tuple(_BUILDERS)


def generate(rng: random.Random, count: int, people: Sequence[int]) -> list[FuzzedUpdate]:
    """`count` updates, deterministic for a given rng state; senders/chats drawn from `people`.

    Categories come in shuffled rounds of one each, so they are equally frequent and any
    ``count >= len(CATEGORIES)`` holds every category.
    """
    if count < 0:
        raise ValueError(f"count must not be negative, got {count}")
    persons = tuple(people)
    if not persons or any(person <= 0 for person in persons):
        raise ValueError("people must be a non-empty sequence of positive user ids")
    updates: list[FuzzedUpdate] = []
    round_: list[str] = []
    for _ in range(count):
        if not round_:
            round_ = list(CATEGORIES)
            rng.shuffle(round_)
        kind = round_.pop()
        update, answer_chat = _BUILDERS[kind](rng, persons)
        updates.append(FuzzedUpdate(update=update, kind=kind, answer_chat=answer_chat))
    return updates
