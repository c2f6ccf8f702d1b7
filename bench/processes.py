"""Starting the processes a benchmark measures, and reading their CPU and memory."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Measured:
    """A child process, with CPU time and peak memory read from the OS."""

    process: asyncio.subprocess.Process
    name: str

    @property
    def ps(self) -> psutil.Process:
        """The psutil view of the process."""
        return psutil.Process(self.process.pid)

    def cpu_seconds(self) -> float:
        """User plus system CPU time so far."""
        times = self.ps.cpu_times()
        return float(times.user + times.system)

    def peak_rss_mb(self) -> float:
        """The most resident memory the process has had (VmHWM), in MB."""
        with open(f"/proc/{self.process.pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        return self.ps.memory_info().rss / 1024 / 1024

    async def stop(self) -> None:
        """Terminates the process and waits for it."""
        if self.process.returncode is None:
            self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), 10)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()


async def start_python(
    name: str, args: Sequence[str], env: dict[str, str] | None = None, cwd: Path = ROOT
) -> Measured:
    """Starts ``python <args>`` from the project root (or ``cwd``: another checkout of it,
    whose packages then come first), output to a log file under /tmp."""
    log = Path(tempfile.gettempdir()) / f"closer-bench-{name}.log"
    handle = log.open("wb")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *args,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        stdout=handle,
        stderr=asyncio.subprocess.STDOUT,
    )
    handle.close()
    return Measured(process, name)


async def start_standin(name: str = "standin") -> tuple[Measured, str]:
    """Starts the stand-in on a free port; returns it and its URL."""
    ready = Path(tempfile.mkdtemp()) / "url"
    measured = await start_python(
        name, ["-m", "standin", "--port", "0", "--ready-file", str(ready), "--log-level", "WARNING"]
    )
    deadline = time.monotonic() + 20
    while not ready.exists() or not ready.read_text():
        if measured.process.returncode is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the stand-in did not start; see /tmp/closer-bench-{name}.log")
        await asyncio.sleep(0.05)
    url = ready.read_text().strip()
    shutil.rmtree(ready.parent, ignore_errors=True)
    return measured, url
