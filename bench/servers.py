"""Start and stop gunicorn (2 sync workers) the same way for the blog and the baselines."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORKERS = 2


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


@dataclass
class Server:
    """One gunicorn master with its workers, started by us and stopped by us."""

    name: str
    app: str
    chdir: Path
    env: dict[str, str] = field(default_factory=dict)
    port: int = 0
    process: subprocess.Popen | None = None
    startup_s: float = 0.0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, probe_path: str = "/", log: Path | None = None) -> float:
        """Start gunicorn and return the seconds until the first 200 answer."""
        self.port = free_port()
        gunicorn = str(Path(sys.executable).with_name("gunicorn"))
        command = [
            gunicorn,
            "--workers",
            str(WORKERS),
            "--worker-class",
            "sync",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--chdir",
            str(self.chdir),
            "--log-level",
            "warning",
            self.app,
        ]
        output = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115
        began = time.perf_counter()
        self.process = subprocess.Popen(
            command,
            env={**os.environ, **self.env},
            stdout=output,
            stderr=output,
            start_new_session=True,
        )
        deadline = began + 60
        while time.perf_counter() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name}: gunicorn exited early (see {log})")
            if _answers(self.base + probe_path):
                self.startup_s = time.perf_counter() - began
                return self.startup_s
            time.sleep(0.005)
        self.stop()
        raise RuntimeError(f"{self.name}: no answer within 60 s")

    def worker_pids(self) -> list[int]:
        """The worker processes: children of our gunicorn master."""
        if self.process is None:
            return []
        master = self.process.pid
        children = Path(f"/proc/{master}/task/{master}/children")
        if children.exists():
            return [int(pid) for pid in children.read_text().split()]
        return []

    def worker_rss_mb(self) -> float:
        """Mean resident memory of the workers, in MB."""
        sizes = []
        for pid in self.worker_pids():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith("VmRSS:"):
                    sizes.append(int(line.split()[1]) / 1024)
        return sum(sizes) / len(sizes) if sizes else float("nan")

    def stop(self) -> None:
        """Stop the master we started (it stops its workers) and wait for it."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
