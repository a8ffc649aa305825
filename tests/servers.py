"""Real ASGI server processes on loopback, for the tests and the benchmarks in bench/. Not a test module.

Started the way docker-compose.yml starts them (Daphne as is, Uvicorn without per-message deflate),
each on a free port, and ready once /healthz answers.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class AsgiServer:
    """One Daphne or Uvicorn process serving `app` ("module:attribute").

    `log`: a file path for the process's output, subprocess.DEVNULL, or None to share this process's.
    """

    def __init__(
        self,
        kind: str,
        env: dict,
        *,
        app: str,
        port: int | None = None,
        log=subprocess.DEVNULL,
        start_within: float = 60.0,
    ):
        if kind not in ("daphne", "uvicorn"):
            raise ValueError(f"unknown server {kind!r}")
        self.kind, self.env, self.app, self.port = kind, env, app, port or free_port()
        self.log, self.start_within = log, start_within
        self.process: subprocess.Popen | None = None

    def command(self) -> list[str]:
        if self.kind == "daphne":
            return [sys.executable, "-m", "daphne", "-v", "0", "-b", "127.0.0.1", "-p", str(self.port), self.app]
        return [
            sys.executable,
            "-m",
            "uvicorn",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--log-level",
            "warning",
            "--no-access-log",
            "--ws-per-message-deflate",
            "false",
            self.app,
        ]

    def start(self) -> AsgiServer:
        to_file = isinstance(self.log, (str, Path))
        where = f"; see {self.log}" if to_file else ""
        output = open(self.log, "ab") if to_file else self.log
        try:
            self.process = subprocess.Popen(self.command(), cwd=ROOT, env=self.env, stdout=output, stderr=output)
        finally:
            if to_file:
                output.close()
        deadline = time.monotonic() + self.start_within
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.kind} exited with {self.process.returncode}{where}")
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=1)
                return self
            except OSError:
                time.sleep(0.2)
        self.kill()
        raise RuntimeError(f"{self.kind} did not start within {self.start_within:.0f} s{where}")

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def ws(self, path: str) -> str:
        return f"ws://127.0.0.1:{self.port}{path}"

    def __enter__(self) -> AsgiServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
