"""Instructions per reply POST and per start-up, counted by Valgrind: a cost that repeats.

Requests per second on a shared machine move by a tenth from one round to the next, which
hides a change worth a few percent. The number of instructions a request runs does not move
(it repeats to about 0.1%), so this counts them, for the blog's reply POST beside the hello
app's write-nothing form POST, and for loading each app and answering its first request.
Everything runs in one process, the WSGI app called directly: no server, no network, and the
kernel's share (system calls) is not counted. The reply is also counted with two processes
sending replies in turn, as two workers do under a stream of them (each commit empties the
other's SQLite page cache). `make bench` remains the measure of the targets;
this is for telling which change helps. Needs `valgrind` (Debian's package).

    python bench/instructions.py [--replies 300]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

# One child process: the app, a session and CSRF token from the article page, `made` request
# bodies (each reply with its own form stamp, name and email), then the first `posted` of them
# sent. The two runs compared make the same bodies, so making them is not counted as replying.
# With `turns`, the first 50 are sent, then the process forks and the two send the rest in
# turn, as two workers under a stream of replies do: each one's commit empties the other's
# SQLite page cache, and its next request reads those pages again.
_REPLIES = r"""
import io, os, re, secrets, sys, time
from urllib.parse import urlencode
kind, posted, made, slug = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
turns = sys.argv[5:] == ["turns"]
if kind == "blog":
    from app import app
    path, page = f"/posts/{slug}/replies", f"/posts/{slug}"
else:
    from baseline_app import app
    path, page = "/form", "/form"

def call(method, target, body=b"", cookie=""):
    environ = {
        "REQUEST_METHOD": method, "PATH_INFO": target, "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1:8000", "REMOTE_ADDR": "127.0.0.1", "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body)),
        "CONTENT_TYPE": "application/x-www-form-urlencoded", "wsgi.errors": sys.stderr,
    }
    if cookie:
        environ["HTTP_COOKIE"] = cookie
    seen = {}
    def start_response(status, headers, exc_info=None):
        seen["status"], seen["headers"] = status, headers
    answer = app(environ, start_response)
    data = b"".join(answer)
    getattr(answer, "close", lambda: None)()
    return seen["status"], seen["headers"], data

status, headers, html = call("GET", page)
cookie = "; ".join(v.split(";")[0] for k, v in headers if k == "Set-Cookie")
token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', html).group(1).decode()
if kind == "blog":
    from flask import Flask
    from blog.replies import form_token
    run = secrets.token_hex(4)  # every run's replies differ from the last run's
    signer = Flask("stamps")
    signer.config["SECRET_KEY"] = app.config["SECRET_KEY"]
    with signer.app_context():
        bodies = [
            urlencode({
                "csrf_token": token, "form_token": form_token.issue(now=time.time() - 30),
                "parent_id": "", "homepage": "", "website": "",
                "body": f"Counted reply {run}-{n}: when is the next meeting?",
                "name": f"Counted reader {run} {n}", "email": f"counted.{run}.{n}@example.com",
            }).encode()
            for n in range(made)
        ]
else:
    bodies = [urlencode({"csrf_token": token, "name": "bench"}).encode()] * made
def send(some):
    for body in some:
        status, _, _ = call("POST", path, body, cookie)
        assert status.startswith("303"), status

if not turns:
    send(bodies[:posted])
else:
    send(bodies[:50])
    rest = bodies[50:posted]
    first_to_second, second_to_first = os.pipe(), os.pipe()
    second = os.fork() == 0
    if second and kind == "blog":
        from blog.extensions import db
        with app.app_context():
            db.engine.dispose(close=False)  # the parent's pooled connections stay the parent's
    if second:
        inbox, outbox = first_to_second[0], second_to_first[1]
    else:
        inbox, outbox = second_to_first[0], first_to_second[1]
    for n, body in enumerate(rest[1::2] if second else rest[0::2]):
        if second or n:
            os.read(inbox, 1)  # the other one's turn is over
        send([body])
        os.write(outbox, b".")
    if second:
        os._exit(0)
    os.wait()
"""

# Load the app and answer the first request, as a new worker does.
_START = r"""
import sys
if sys.argv[1] == "blog":
    from app import app
    first = "/healthz"
else:
    from baseline_app import app
    first = "/"
assert app.test_client().get(first).status_code == 200
"""


def _instructions(code: str, args: list[str], cwd: Path, env: dict[str, str]) -> int:
    """Instructions the child runs from start to exit, as Valgrind's cachegrind counts them."""
    done = subprocess.run(
        [
            "valgrind",
            "--tool=cachegrind",
            "--cache-sim=no",
            "--cachegrind-out-file=/dev/null",
            sys.executable,
            "-c",
            code,
            *args,
        ],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
    )
    # One total per process (a forked one prints its own).
    found = re.findall(r"I\s+refs:\s+([\d,]+)", done.stderr)
    if done.returncode != 0 or not found:
        raise RuntimeError(f"the counted child failed:\n{done.stderr[-2000:]}")
    return sum(int(count.replace(",", "")) for count in found)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--replies", type=int, default=300, help="replies counted per app")
    options = parser.parse_args()
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (apt-get install valgrind): nothing counted")
        return 1

    import dataset  # the bench's own dataset builder (imports the blog)
    from run import compile_sources

    compile_sources()  # start-ups read bytecode, as `make bench` and an install have it

    with tempfile.TemporaryDirectory(prefix="instructions") as folder:
        database = Path(folder) / "blog.sqlite"
        print("building the small dataset…", flush=True)
        built = dataset.build(f"sqlite:///{database}", Path(folder) / "instance", 100, 1_000)
        env = {
            **os.environ,
            "BLOG_SECRET_KEY": "bench-only-secret",
            "BLOG_SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
            "BLOG_REPLY_FLOOD_SECONDS": "0",  # every counted reply comes from one address
            "BENCH_SECRET": "bench-only-secret",
        }
        apps = {"blog": ROOT, "hello": HERE}
        per_request = {}
        runs = [("blog", []), ("hello", []), ("blog", ["turns"])]
        for kind, mode in runs:
            # Two runs that make the same bodies and differ only in how many they send: the
            # difference is the requests' own cost, without start-up and the 50 warming ones.
            made = str(50 + options.replies)
            few = _instructions(
                _REPLIES, [kind, "50", made, built.open_thread_slug, *mode], apps[kind], env
            )
            many = _instructions(
                _REPLIES, [kind, made, made, built.open_thread_slug, *mode], apps[kind], env
            )
            per_request[(kind, *mode)] = (many - few) / options.replies
        starts = {kind: _instructions(_START, [kind], cwd, env) for kind, cwd in apps.items()}

    blog, hello = per_request[("blog",)], per_request[("hello",)]
    turns = per_request[("blog", "turns")]
    print(f"reply POST, blog:               {blog / 1e6:7.3f} M instructions")
    print(f"  two workers taking turns:     {turns / 1e6:7.3f} M instructions")
    print(f"form POST, hello (writes none): {hello / 1e6:7.3f} M instructions")
    print(f"  ratio form/reply:             {hello / blog:7.3f} ({hello / turns:.3f} taking turns)")
    print(f"start-up to first answer, blog: {starts['blog'] / 1e6:7.0f} M instructions")
    print(f"start-up to first answer, hello:{starts['hello'] / 1e6:7.0f} M instructions")
    print(f"  ratio blog/hello:             {starts['blog'] / starts['hello']:7.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
