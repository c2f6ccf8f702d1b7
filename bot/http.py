"""python-telegram-bot's HTTP requests over aiohttp instead of httpx.

PTB sends every Bot API call through a ``BaseRequest``, and documents that class as the
place to plug in another HTTP library. Its default, httpx over httpcore and anyio, spends
more CPU per call than everything else the bot does for a user event put together (a
profile under load: BENCHMARKS.md), and its connection pool gets slower the more
connections it holds. aiohttp, already here for the stand-in, does the same work for a
fraction of the cost. Behaviour is PTB's own: ``BaseRequest.post`` still parses answers
and raises ``BadRequest``, ``Forbidden``, ``RetryAfter``...; this class only moves bytes,
mapping timeouts to ``TimedOut`` and other transport failures to ``NetworkError``.
"""

from __future__ import annotations

from typing import Any

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

_DEFAULT = type(BaseRequest.DEFAULT_NONE)  # "use the timeout given at construction"


class AiohttpRequest(BaseRequest):
    """A ``BaseRequest`` backed by one ``aiohttp.ClientSession``."""

    __slots__ = ("_connections", "_session", "_timeouts")

    def __init__(
        self,
        connection_pool_size: int = 16,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
    ) -> None:
        self._connections = connection_pool_size
        self._timeouts = {
            "read": read_timeout,
            "write": write_timeout,
            "connect": connect_timeout,
            "pool": pool_timeout,
        }
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        """The default read timeout (PTB adds the long-poll time to it for getUpdates)."""
        return self._timeouts["read"]

    async def initialize(self) -> None:
        """Opens the connection pool."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._connections, keepalive_timeout=30)
            )

    async def shutdown(self) -> None:
        """Closes the connection pool."""
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Sends one request; returns the status and the body for PTB to interpret."""
        if self._session is None:
            raise RuntimeError("AiohttpRequest is not initialized")
        read = self._pick(read_timeout, "read")
        timeout = aiohttp.ClientTimeout(
            total=None,
            connect=self._pick(pool_timeout, "pool"),
            sock_connect=self._pick(connect_timeout, "connect"),
            sock_read=read,
        )
        try:
            async with self._session.request(
                method, url, data=_body(request_data), timeout=timeout
            ) as response:
                return response.status, await response.read()
        except (TimeoutError, aiohttp.ServerTimeoutError) as error:
            raise TimedOut from error
        except aiohttp.ClientError as error:
            raise NetworkError(f"aiohttp.{type(error).__name__}: {error}") from error

    def _pick(self, given: Any, name: str) -> float | None:
        if isinstance(given, _DEFAULT):
            return self._timeouts[name]
        return float(given) if given is not None else None


def _body(request_data: RequestData | None) -> aiohttp.FormData | dict[str, str] | None:
    """Form fields as PTB encodes them, and files as multipart parts when there are any."""
    if request_data is None:
        return None
    fields = request_data.json_parameters
    files = request_data.multipart_data
    if not files:
        return fields
    form = aiohttp.FormData()
    for name, value in fields.items():
        form.add_field(name, value)
    for name, (filename, content, mimetype) in files.items():
        form.add_field(name, content, filename=filename, content_type=mimetype)
    return form
