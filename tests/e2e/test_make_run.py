"""What `make run` starts without a token: the stand-in, the real bot, and the terminal chat."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.e2e.conftest import ROOT


def test_the_local_run_chats_with_the_real_bot(tmp_path: Path) -> None:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "standin.localrun",
            "--name",
            "Noor",
            "--",
            sys.executable,
            "-m",
            "bot",
        ],
        input="/start\n1\n2\n/progress\n/quit\n",
        cwd=tmp_path,  # its own data/ folder: a fresh SQLite database
        env={**environment, "PYTHONPATH": str(ROOT), "REMINDER_DELAY": "0"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    output = result.stdout
    assert "Hi Noor, I'm Closer." in output
    assert "[1] Let's begin" in output
    assert "✓ Let's begin" in output, "the answered question changed in place"
    assert "✓ 6 months to 2 years" in output
    assert "You're on step 2 of 9" in output
    assert (tmp_path / "data" / "closer.db").exists()
    assert (tmp_path / "data" / "local-bot.log").exists()
