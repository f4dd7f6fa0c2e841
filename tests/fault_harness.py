"""Serve the blog from a small tmpfs so a test can break the disk under it (tests/test_faults.py).

Started by the test as `unshare --mount --propagation private python fault_harness.py DIR`: in
its own mount namespace it mounts a tmpfs on DIR, builds the app with CSRF on and serves it on a
free port. It then obeys one-word commands on standard input, answering each with one line:

  ro / rw        remount the file system holding the database read-only / writable again (the
                 app's pooled connections are closed first, as in a freshly started worker: Linux
                 refuses to remount read-only under files open for writing)
  fill / unfill  fill the tmpfs until the kernel says ENOSPC / remove the filler
  lock / unlock  hold SQLite's write lock from another connection / release it
  count          print `replies=N integrity=ok` read straight from the file
"""

import sqlite3
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path


def main() -> None:
    root = Path(sys.argv[1])
    mount = ["mount", "-t", "tmpfs", "-o", "size=4m,mode=0755", "tmpfs", str(root)]
    subprocess.run(mount, check=True)
    instance = root / "instance"
    instance.mkdir()

    from werkzeug.serving import make_server

    from blog import clock, create_app
    from blog.articles import create_post
    from blog.database import upgrade_schema
    from blog.extensions import db

    database = instance / "blog.sqlite"
    app = create_app(
        {
            "SECRET_KEY": "fault-harness-secret",
            "INSTANCE_PATH": str(instance),
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
            "REPLY_MIN_SECONDS": 0,
            "REPLY_FLOOD_SECONDS": 0,
            "REPLY_MODERATION": "none",
            "HEALTHZ_MIN_FREE_BYTES": 64 * 1024,
        }
    )
    upgrade_schema(app)
    with app.app_context():
        post = create_post(
            title="Water main repairs",
            body="Crews dig on Elm Street this week.",
            published_at=clock.now() - timedelta(minutes=5),
        )
        db.session.commit()
        slug = post.slug

    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"ready {server.server_port} {slug}", flush=True)

    filler = root / "filler"
    holder: list[sqlite3.Connection] = []
    for line in sys.stdin:
        command = line.strip()
        if command in ("ro", "rw"):
            with app.app_context():
                db.engine.dispose()
            answer = _remount(root, command)
        elif command == "fill":
            answer = f"ok {_fill(filler)}"
        elif command == "unfill":
            filler.unlink(missing_ok=True)
            answer = "ok"
        elif command == "lock":
            conn = sqlite3.connect(database, isolation_level=None, timeout=1)
            conn.execute("BEGIN IMMEDIATE")
            holder.append(conn)
            answer = "ok"
        elif command == "unlock":
            while holder:
                conn = holder.pop()
                conn.execute("ROLLBACK")
                conn.close()
            answer = "ok"
        elif command == "count":
            answer = _count(database)
        elif command == "quit":
            break
        else:
            answer = f"unknown {command}"
        print(answer, flush=True)
    server.shutdown()


def _count(database: Path) -> str:
    try:
        conn = sqlite3.connect(database)
        try:
            replies = conn.execute("SELECT count(*) FROM reply").fetchone()[0]
            integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error as error:
        return f"error {error}"
    return f"replies={replies} integrity={integrity}"


def _remount(root: Path, mode: str) -> str:
    done = subprocess.run(
        ["mount", "-o", f"remount,{mode}", str(root)], capture_output=True, text=True
    )
    return "ok" if done.returncode == 0 else f"failed {done.stderr.strip()}"


def _fill(filler: Path) -> int:
    """Write until the file system refuses; return the bytes written."""
    written = 0
    chunk = b"\0" * 65536
    with open(filler, "wb", buffering=0) as handle:
        while True:
            try:
                written += handle.write(chunk)
            except OSError:
                break
        while True:  # the last partial block
            try:
                written += handle.write(b"\0" * 512)
            except OSError:
                break
    return written


if __name__ == "__main__":
    main()
