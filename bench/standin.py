"""How many Bot API calls per second the stand-in serves, against a bare aiohttp server.

The stand-in runs in its own process; a load generator in another process keeps 64
``sendMessage`` calls in flight for a few seconds. The baseline, in the same run, is an
aiohttp server that answers every POST with a fixed JSON body: the most this machine and
aiohttp allow. The ratio is what the stand-in's work (parsing, limits, the log, the chat
state) costs on top.
"""

from __future__ import annotations

import argparse
import asyncio
import time

import aiohttp

from bench.processes import Measured, start_python, start_standin
from bench.report import merge, table

TOKEN = "100000002:" + "S" * 35
PEOPLE = 1000
IN_FLIGHT = 64

BARE_SERVER = """
import sys
from aiohttp import web
async def answer(request):
    await request.read()
    return web.json_response({"ok": True, "result": {"message_id": 1}})
app = web.Application()
app.router.add_route("*", "/{tail:.*}", answer)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), access_log=None, print=None)
"""


async def load(url: str, seconds: float) -> tuple[int, float]:
    """Keeps IN_FLIGHT sendMessage calls going; returns (calls completed, elapsed)."""
    done = 0
    stop_at = time.perf_counter() + seconds
    connector = aiohttp.TCPConnector(limit=IN_FLIGHT)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker(number: int) -> None:
            nonlocal done
            chat = 1_000_000 + number
            while time.perf_counter() < stop_at:
                payload = {"chat_id": chat, "text": "A short message, like the bot sends."}
                async with session.post(f"{url}/bot{TOKEN}/sendMessage", data=payload) as reply:
                    await reply.read()
                    assert reply.status == 200, await reply.text()
                done += 1
                chat = 1_000_000 + (chat - 1_000_000 + IN_FLIGHT) % PEOPLE

        started = time.perf_counter()
        await asyncio.gather(*(worker(n) for n in range(IN_FLIGHT)))
        return done, time.perf_counter() - started


async def measure_server(server: Measured, url: str, seconds: float) -> dict[str, float]:
    """Calls per second, and the server's CPU per 1,000 calls."""
    await load(url, 0.5)  # warm up
    cpu_before = server.cpu_seconds()
    calls, elapsed = await load(url, seconds)
    cpu = server.cpu_seconds() - cpu_before
    return {
        "calls": calls,
        "calls_per_second": round(calls / elapsed),
        "server_cpu_share": round(cpu / elapsed, 2),
        "server_cpu_ms_per_call": round(cpu / calls * 1000, 3),
    }


async def run(seconds: float) -> dict[str, object]:
    """Measures the stand-in, then the bare server."""
    standin, url = await start_standin("standin-bench")
    try:
        async with aiohttp.ClientSession() as session:
            await session.post(f"{url}/_standin/bots", json={"token": TOKEN})
            await session.post(
                f"{url}/_standin/people/bulk", json={"first_id": 1_000_000, "count": PEOPLE}
            )
        ours = await measure_server(standin, url, seconds)
    finally:
        await standin.stop()
    bare = await start_python("bare-aiohttp", ["-c", BARE_SERVER, "18999"])
    try:
        await _until_listening("http://127.0.0.1:18999")
        baseline = await measure_server(bare, "http://127.0.0.1:18999", seconds)
    finally:
        await bare.stop()
    return {
        "standin": ours,
        "bare_aiohttp": baseline,
        "ratio_standin_over_bare": round(
            ours["calls_per_second"] / baseline["calls_per_second"], 2
        ),
    }


async def _until_listening(url: str) -> None:
    deadline = time.monotonic() + 20
    async with aiohttp.ClientSession() as session:
        while True:
            try:
                async with session.get(url):
                    return
            except aiohttp.ClientConnectionError:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.05)


def main(argv: list[str] | None = None) -> int:
    """Runs the stand-in benchmark and records it under ``standin`` in the summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args(argv)
    results = asyncio.run(run(args.seconds))
    merge("standin", results)
    print("Stand-in Bot API throughput (sendMessage, 64 in flight, separate processes):")
    rows = []
    for name in ("standin", "bare_aiohttp"):
        figures = results[name]
        assert isinstance(figures, dict)
        rows += [(f"{name}.{key}", str(value)) for key, value in figures.items()]
    rows.append(("ratio_standin_over_bare", str(results["ratio_standin_over_bare"])))
    print(table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
