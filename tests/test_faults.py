"""Database faults: a read-only file system, a full disk, a lock held past the busy timeout.

Each fault must give the reader a 503 page saying the site is briefly unavailable, with the
reply they typed back in a form they can send again; /healthz must say 503 while it lasts; and
afterwards nothing half-written remains and the re-rendered form goes through.
The app runs in tests/fault_harness.py, inside its own mount namespace on a small tmpfs.
"""

import os
import queue
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.http_client import Browserish, form_controls

pytestmark = pytest.mark.sqlite_only(
    reason="breaks the disk, file system and write lock under the SQLite file the app serves from"
)

HARNESS = Path(__file__).with_name("fault_harness.py")
ROOT = Path(__file__).resolve().parents[1]

TYPED = {
    "body": 'Pipes on <Elm> & "Oak" burst twice;\nplease fix them before winter.',
    "name": "Dana O'Neil",
    "email": "dana.oneil@example.com",
    "website": "https://example.com/dana?a=1&b=2",
}


def _namespace_command() -> list[str]:
    unshare = shutil.which("unshare")
    if unshare:
        probe = [unshare, "--mount", "--propagation", "private"]
        if os.getuid() != 0:
            probe.insert(1, "--map-root-user")
        if subprocess.run([*probe, "true"], capture_output=True).returncode == 0:
            return probe
    reason = "these fault tests need a private mount namespace (unshare --mount) for a tmpfs"
    if os.environ.get("CI"):
        pytest.fail(reason + ", and CI must run them")
    pytest.skip(reason)
    return []


class Harness:
    """The app in a child process, steered by one-word commands."""

    def __init__(self, folder: Path) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.process = subprocess.Popen(
            [*_namespace_command(), sys.executable, str(HARNESS), str(folder)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            cwd=ROOT,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        ready = self._line(60).split()
        assert ready[0] == "ready", ready
        self.url = f"http://127.0.0.1:{ready[1]}"
        self.slug = ready[2]

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.strip())
        self.lines.put("<exited>")

    def _line(self, timeout: float) -> str:
        line = self.lines.get(timeout=timeout)
        assert line != "<exited>", "the fault harness exited"
        return line

    def command(self, word: str) -> str:
        assert self.process.stdin is not None
        self.process.stdin.write(word + "\n")
        self.process.stdin.flush()
        return self._line(60)

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                self.command("quit")
                self.process.wait(10)
            except (AssertionError, OSError, queue.Empty, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait(10)
        for pipe in (self.process.stdin, self.process.stdout):
            if pipe is not None:
                pipe.close()


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[Harness]:
    folder = tmp_path / "disk"
    folder.mkdir()
    server = Harness(folder)
    try:
        yield server
    finally:
        server.stop()


FAULTS = {
    "read-only file system": ("ro", "rw"),
    "disk full": ("fill", "unfill"),
    "locked past the busy timeout": ("lock", "unlock"),
}


@pytest.mark.slow
@pytest.mark.parametrize("fault", list(FAULTS))
def test_fault_gives_503_with_the_typed_reply_and_loses_nothing(harness: Harness, fault: str):
    start, stop = FAULTS[fault]
    reader = Browserish(harness.url)
    article = reader.get(f"/posts/{harness.slug}")
    assert article.status == 200
    sent = {**form_controls(article.text), **TYPED}
    assert harness.command("count") == "replies=0 integrity=ok"

    assert harness.command(start).startswith("ok")
    try:
        answer = reader.post(f"/posts/{harness.slug}/replies", sent)
        health = reader.get("/healthz")
    finally:
        assert harness.command(stop) == "ok"

    assert answer.status == 503, answer.text[:500]
    assert "briefly unavailable" in answer.text
    assert answer.headers.get("Retry-After", "").isdigit()
    assert "Traceback" not in answer.text and "sqlite" not in answer.text.lower()
    kept = form_controls(answer.text)
    for key, value in TYPED.items():
        assert kept[key].replace("\r\n", "\n") == value, key
    assert "Pipes on &lt;Elm&gt; &amp;" in answer.text  # escaped, not raw
    assert "<Elm>" not in answer.text
    assert health.status == 503

    assert reader.get("/healthz").status == 200
    assert harness.command("count") == "replies=0 integrity=ok"  # nothing half-written

    again = reader.post(f"/posts/{harness.slug}/replies", kept)  # the 503 page's own form
    assert again.status == 303, again.text[:500]
    assert harness.command("count") == "replies=1 integrity=ok"
    shown = reader.get(again.headers["Location"].split("#")[0].removeprefix(harness.url))
    assert "Pipes on &lt;Elm&gt;" in shown.text
