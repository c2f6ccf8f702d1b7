"""The webhook drill: three processes behind nginx, one SIGKILLed while people talk.

Three ``python -m bot`` processes run in webhook mode on one PostgreSQL database, each on
its own port, all with the same ``WEBHOOK_URL`` (nginx's) and secret. nginx, started here
on loopback with the README's configuration (an upstream of the three, ``max_fails=1
fail_timeout=2s``, ``proxy_next_upstream error timeout http_502 http_503``), spreads the
stand-in's POSTs over them; the stand-in delivers updates as Telegram does (one chat's one
at a time, again after anything but a 2xx). A process is SIGKILLed mid-way and a
replacement started on its port, as a supervisor would; the people must not notice.

What nginx did is read from its access log: requests it had to pass on to another process
(the dead one refused the connection), and the ones it could not (the process died with
the request in hand: nginx answers 502, and the stand-in delivers the update again).
"""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import socket
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chaos.drills import IN_FLIGHT_BOUND, LEFT_OVER, _finish
from chaos.fleet import LEADS, REPLY_WITHIN, fleet_of
from chaos.people import crowd

#: The webhook's path, as the README's nginx configuration has it.
WEBHOOK_PATH = "/telegram/updates"
SECRET = "drill-secret-token"
#: The access log line: status to the stand-in, the upstreams tried, and their statuses.
ACCESS_FORMAT = "'$status|$upstream_addr|$upstream_status|$request_time'"
#: Where nginx may be when it is not on PATH (Debian puts it in /usr/sbin).
NGINX_PLACES = ("/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/local/nginx/sbin/nginx")


def nginx_binary() -> str | None:
    """nginx, if this machine has it."""
    found = shutil.which("nginx")
    if found:
        return found
    return next((place for place in NGINX_PLACES if os.access(place, os.X_OK)), None)


def free_port() -> int:
    """A port nobody listens on now (the kernel's choice)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def nginx_conf(folder: Path, port: int, upstreams: list[int]) -> str:
    """The README's configuration, on loopback without TLS, with its files in ``folder``."""
    servers = "".join(
        f"        server 127.0.0.1:{p} max_fails=1 fail_timeout=2s;\n" for p in upstreams
    )
    return f"""daemon off;
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    log_format drill {ACCESS_FORMAT};
    access_log {folder}/access.log drill;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    upstream closer {{
{servers}    }}
    server {{
        listen 127.0.0.1:{port};
        location {WEBHOOK_PATH} {{
            proxy_pass http://closer;
            proxy_next_upstream error timeout http_502 http_503;
            proxy_read_timeout 60s;
        }}
        location = /healthz {{ proxy_pass http://closer; }}
    }}
}}
"""


@dataclass
class Nginx:
    """nginx in the foreground, its configuration and logs in a folder of its own."""

    process: asyncio.subprocess.Process
    folder: Path
    port: int

    def access(self) -> list[list[str]]:
        """The access log, one list of fields a request."""
        path = self.folder / "access.log"
        if not path.exists():
            return []
        return [line.split("|") for line in path.read_text().splitlines() if line]

    def error_log(self) -> str:
        """nginx's error log."""
        path = self.folder / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""


@asynccontextmanager
async def nginx(upstreams: list[int]) -> AsyncIterator[Nginx]:
    """nginx on a free loopback port in front of ``upstreams``; stopped afterwards."""
    binary = nginx_binary()
    if binary is None:
        raise RuntimeError("nginx is not installed")
    folder, port = _prepare(upstreams)
    process = await asyncio.create_subprocess_exec(
        binary,
        "-c",
        str(folder / "nginx.conf"),
        "-p",
        str(folder),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 10
        while True:  # up once it accepts connections
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.close()
                break
            except OSError:
                if process.returncode is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"nginx did not start: {_read(folder / 'error.log')}"
                    ) from None
                await asyncio.sleep(0.05)
        yield Nginx(process, folder, port)
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 10)
            except TimeoutError:
                process.kill()
                await process.wait()
        shutil.rmtree(folder, ignore_errors=True)


def _prepare(upstreams: list[int]) -> tuple[Path, int]:
    """nginx's folder, with its configuration, and the port it is to listen on."""
    folder = Path(tempfile.mkdtemp(prefix="closer-chaos-nginx-"))
    folder.chmod(0o755)  # nginx's workers run as nobody under root
    port = free_port()
    (folder / "nginx.conf").write_text(nginx_conf(folder, port, upstreams))
    return folder, port


def nginx_figures(requests: list[list[str]]) -> dict[str, int]:
    """What nginx did with the webhook's POSTs, from its access log."""
    webhook = [r for r in requests if len(r) == 4]
    return {
        "requests": len(webhook),
        # more than one upstream tried: the first refused (dead) or answered 502/503
        "passed_to_another_process": sum("," in r[1] for r in webhook),
        "answered_502_to_telegram": sum(r[0] == "502" for r in webhook),
        "answered_other_non_200": sum(r[0] not in ("200", "502") for r in webhook),
    }


async def webhook(
    postgres_url: str, people: int, kill_count: int, processes: int, seed: int
) -> dict[str, Any]:
    """``processes`` webhook processes behind nginx; one SIGKILLed ``kill_count`` times
    (the leader first, then the others in turn) while ``people`` talk, a replacement
    started on the same port each time."""
    rng = random.Random(seed)
    first = 28_000_000
    ports = [free_port() for _ in range(processes)]
    async with nginx(ports) as proxy, fleet_of("webhook", postgres_url) as fleet:
        url = f"http://127.0.0.1:{proxy.port}{WEBHOOK_PATH}"

        def settings(port: int) -> dict[str, str]:
            return {
                "BOT_MODE": "webhook",
                "WEBHOOK_URL": url,
                "WEBHOOK_PORT": str(port),
                "WEBHOOK_LISTEN": "127.0.0.1",
                "WEBHOOK_SECRET_TOKEN": SECRET,
            }

        port_of: dict[str, int] = {}
        for port in ports:
            port_of[(await fleet.start(settings(port))).name] = port
        deadline = time.monotonic() + 30
        while not any("webhook registered" in _read(p) for p in fleet.logs.values()):
            if time.monotonic() > deadline:
                raise RuntimeError("no process registered the webhook within 30 s")
            await asyncio.sleep(0.05)
        walking = asyncio.create_task(
            crowd(fleet.drill.client, first, people, seed, pace=0.25, patience=REPLY_WITHIN)
        )
        killed_roles = []
        for index in range(kill_count):
            await asyncio.sleep(rng.uniform(0.8, 1.5))
            leader = fleet.leader()
            others = [p for p in fleet.processes if p is not leader]
            victim = leader if index % 2 == 0 or not others else rng.choice(others)
            if victim is None:
                raise RuntimeError("no process leads")
            killed_roles.append("leader" if victim is leader else "standby")
            await fleet.kill(victim)
            await asyncio.sleep(1.0)  # a supervisor's restart delay
            replacement = await fleet.start(settings(port_of[victim.name]))
            port_of[replacement.name] = port_of[victim.name]
        walks = await walking
        errors = fleet.errors()
        webhook_info = await fleet.drill.stats()
        leaders = sum(LEADS in _read(p) for p in fleet.logs.values())  # before the stops
        await fleet.stop_all()
        figures = await _finish(fleet.drill, walks, first, people)
        taken = sum(int(n) for n in LEFT_OVER.findall(fleet.drill.bot_log()))
        proxied = nginx_figures(proxy.access())
        nginx_errors = proxy.error_log().count("[error]") + proxy.error_log().count("[crit]")
    return {
        "processes": processes,
        "kills": kill_count,
        "killed": killed_roles,
        "in_flight_bound": IN_FLIGHT_BOUND,
        "reply_patience_seconds": REPLY_WITHIN,
        "error_lines": len(errors),
        "first_error_lines": errors[:3],
        "processes_that_led": leaders,
        "updates_taken_over": taken,
        "webhook_deliveries": int(webhook_info.get("webhook_delivered", 0)),
        "nginx": proxied,
        "nginx_error_lines": nginx_errors,
        **figures,
    }


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except FileNotFoundError:
        return ""
