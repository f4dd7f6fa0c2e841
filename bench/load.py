"""Load generators: wrk when installed, a threaded Python client otherwise.

Both answer with the same numbers: requests/s, p50 and p99 latency, how many answers were
not 2xx/3xx, and (for POSTs) how many were accepted with a 303.
"""

from __future__ import annotations

import http.client
import re
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

CONNECTIONS = 16
THREADS = 2


@dataclass
class Result:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int
    accepted: int | None = None

    @property
    def accepted_per_s(self) -> float:
        if not self.requests or self.accepted is None:
            return 0.0
        return self.rps * self.accepted / self.requests


def have_wrk() -> bool:
    return shutil.which("wrk") is not None


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(value: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s)", value.strip())
    if not match:
        return float("nan")
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse_wrk(output: str) -> Result:
    """Read wrk's --latency report (and our Lua script's ACCEPTED line, when present)."""
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    p50 = re.search(r"^\s+50%\s+(\S+)", output, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", output, re.M)
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    sock = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    accepted = re.search(r"^ACCEPTED (\d+)", output, re.M)
    errors = int(bad.group(1)) if bad else 0
    if sock:
        # Sync workers close each connection after answering; wrk may count those as read
        # errors although every answer arrived, so only connect/write/timeout count here.
        errors += int(sock.group(1)) + int(sock.group(3)) + int(sock.group(4))
    return Result(
        rps=rps,
        p50_ms=_ms(p50.group(1)) if p50 else float("nan"),
        p99_ms=_ms(p99.group(1)) if p99 else float("nan"),
        requests=requests,
        errors=errors,
        accepted=int(accepted.group(1)) if accepted else None,
    )


def run_wrk(url: str, seconds: float, script: Path | None = None) -> Result:
    """wrk with 2 threads and 16 connections for `seconds`."""
    command = ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds:g}s", "--latency"]
    if script is not None:
        command += ["-s", str(script)]
    done = subprocess.run(
        command + [url], capture_output=True, text=True, timeout=seconds + 60, check=True
    )
    return parse_wrk(done.stdout)


@dataclass
class PostPlan:
    """What a POST load sends: a body per request number and the headers."""

    bodies: list[str]
    headers: dict[str, str]


def run_python(url: str, seconds: float, plan: PostPlan | None = None) -> Result:
    """The fallback: 16 threads on keep-alive connections, GET or the planned POSTs."""
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    latencies: list[float] = []
    statuses: list[int] = []
    lock = threading.Lock()
    counter = iter(range(10**9))
    stop_at = time.perf_counter() + seconds

    def worker() -> None:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            try:
                if plan is None:
                    connection.request("GET", path)
                else:
                    with lock:
                        n = next(counter)
                    if n >= len(plan.bodies):
                        return
                    connection.request("POST", path, body=plan.bodies[n], headers=plan.headers)
                response = connection.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                connection.close()
                connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
                status = 0
            with lock:
                latencies.append((time.perf_counter() - started) * 1000)
                statuses.append(status)
        connection.close()

    began = time.perf_counter()
    workers = [threading.Thread(target=worker) for _ in range(CONNECTIONS)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    elapsed = time.perf_counter() - began
    latencies.sort()

    def pick(q: float) -> float:
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))] if latencies else 0.0

    return Result(
        rps=len(statuses) / elapsed,
        p50_ms=pick(0.50),
        p99_ms=pick(0.99),
        requests=len(statuses),
        errors=sum(1 for s in statuses if not 200 <= s < 400),
        accepted=sum(1 for s in statuses if s == 303) if plan is not None else None,
    )


def lua_string(value: str) -> str:
    """A Lua string literal (the values we embed are URL-encoded ASCII)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_post_script(path: Path, target: str, plan: PostPlan) -> Path:
    """A wrk script sending plan.bodies in order (each body once) and counting 303s."""
    headers = ", ".join(f"[{lua_string(k)}] = {lua_string(v)}" for k, v in plan.headers.items())
    lines = [
        "local bodies = {",
        *(f"  {lua_string(body)}," for body in plan.bodies),
        "}",
        f"local target = {lua_string(target)}",
        f"local headers = {{{headers}}}",
        "local threads = {}",
        "local made = 0",
        "function setup(thread)",
        "  thread:set('tid', made)",
        "  made = made + 1",
        "  table.insert(threads, thread)",
        "end",
        "sent, accepted = 0, 0",
        f"local nthreads = {THREADS}",
        "function request()",
        "  local n = sent * nthreads + tid + 1",
        "  sent = sent + 1",
        "  local body = bodies[n] or bodies[#bodies]",
        "  return wrk.format('POST', target, headers, body)",
        "end",
        "function response(status, hdrs, body)",
        "  if status == 303 then accepted = accepted + 1 end",
        "end",
        "function done(summary, latency, requests)",
        "  local total = 0",
        "  for _, thread in ipairs(threads) do total = total + thread:get('accepted') end",
        "  io.write('ACCEPTED ' .. total .. '\\n')",
        "end",
    ]
    path.write_text("\n".join(lines) + "\n", encoding="ascii")
    return path
