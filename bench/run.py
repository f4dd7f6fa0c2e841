"""`make bench`: the blog against a 15 KB hello page and a write-nothing CSRF POST, one run.

Builds the datasets, starts every app under gunicorn (2 sync workers) each round, loads each
target with wrk (16 connections) in turn, rotating the order every round, and prints one table
of medians with every figure also as a ratio to its baseline measured in the same round.
"""

from __future__ import annotations

import argparse
import compileall
import hashlib
import json
import os
import platform
import re
import statistics
import sys
import time
import urllib.request
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy import create_engine, func, select, text

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import dataset  # noqa: E402
import load  # noqa: E402
from servers import ROOT, Server  # noqa: E402

from blog.models import Post, Reply  # noqa: E402

OUT = HERE / "out"
# Every server starts this long after the one before it answered: a start measured while the
# previous server's other worker was still booting came out about 25 ms slower.
SETTLE_SECONDS = 0.5
BASELINES = ("hello", "form_post")
SECRET = "bench-only-secret"
PAGES = [
    ("front", "front page", "/"),
    ("article", "article page, 50 replies + form", "/posts/{featured}"),
    ("tag", "tag page", "/tags/{tag}"),
    ("search", "search", "/search?q={word}"),
    ("feed", "feed", "/feed.xml"),
]


@dataclass
class Sample:
    """One target measured in one round."""

    key: str
    round: int
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int
    accepted: int | None = None
    rows_added: int | None = None


def _options() -> argparse.Namespace:
    quick = os.environ.get("BENCH_QUICK", "") not in ("", "0")
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", default=quick)
    parser.add_argument("--rounds", type=int)
    parser.add_argument("--seconds", type=float)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default=os.environ.get("BENCH_DB"))
    parser.add_argument("--large-posts", type=int)
    parser.add_argument("--large-replies", type=int)
    parser.add_argument("--rebuild", action="store_true", help="rebuild the cached large dataset")
    parser.add_argument("--results", type=Path, default=HERE / "RESULTS.md")
    options = parser.parse_args()
    options.db = options.db or "sqlite"
    options.rounds = options.rounds or (1 if options.quick else 5)
    options.seconds = options.seconds or (3 if options.quick else 5)
    options.pair_seconds = max(2, round(options.seconds * 0.6))
    options.large_posts = options.large_posts or (10_000 if options.quick else 100_000)
    options.large_replies = options.large_replies or (100_000 if options.quick else 1_000_000)
    return options


# --- datasets --------------------------------------------------------------------------------


def _schema_version() -> str:
    digest = hashlib.sha256((HERE / "dataset.py").read_bytes())
    for migration in sorted((ROOT / "blog" / "migrations" / "versions").glob("*.py")):
        digest.update(migration.read_bytes())
    return digest.hexdigest()[:12]


def _postgres_base() -> str:
    return os.environ.get("BENCH_DATABASE_URL") or os.environ.get(
        "TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )


def _postgres_uri(schema: str) -> str:
    base = _postgres_base()
    engine = create_engine(base)
    with engine.begin() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    separator = "&" if "?" in base else "?"
    return f"{base}{separator}options=-csearch_path%3D{schema}"


def _drop_postgres_schemas() -> None:
    """Leave the shared database as we found it."""
    engine = create_engine(_postgres_base())
    with engine.begin() as connection:
        for name in ("small", "large"):
            connection.execute(text(f'DROP SCHEMA IF EXISTS "bench_{name}" CASCADE'))
    engine.dispose()


def build_datasets(options) -> dict[str, dataset.Dataset]:
    """The small dataset fresh every run; the large one cached on SQLite while nothing changed."""
    OUT.mkdir(exist_ok=True)
    built = {}
    if options.db == "postgres":
        for name, posts, replies in (
            ("small", 100, 1_000),
            ("large", options.large_posts, options.large_replies),
        ):
            print(f"building the {name} dataset on PostgreSQL ({posts:,} posts)…", flush=True)
            uri = _postgres_uri(f"bench_{name}")
            built[name] = dataset.build(uri, OUT / "instance", posts, replies)
        return built

    small = OUT / "small.sqlite"
    for leftover in OUT.glob("small.sqlite*"):
        leftover.unlink()
    print("building the small dataset…", flush=True)
    built["small"] = dataset.build(f"sqlite:///{small}", OUT / "instance", 100, 1_000)

    stem = f"large-{options.large_posts}-{options.large_replies}-{_schema_version()}"
    large, meta = OUT / f"{stem}.sqlite", OUT / f"{stem}.json"
    if options.rebuild or not (large.exists() and meta.exists()):
        for old in OUT.glob("large-*"):
            old.unlink()
        print(
            f"building the large dataset ({options.large_posts:,} posts, "
            f"{options.large_replies:,} replies)…",
            flush=True,
        )
        made = dataset.build(
            f"sqlite:///{large}", OUT / "instance", options.large_posts, options.large_replies
        )
        meta.write_text(json.dumps(asdict(made)))
        built["large"] = made
    else:
        built["large"] = dataset.Dataset(**json.loads(meta.read_text()))
        print(f"reusing the large dataset {large.name} (built in {built['large'].build_seconds} s)")
    return built


# --- forms -----------------------------------------------------------------------------------


def _form_session(url: str) -> tuple[str, str]:
    """GET a page with a form: its session cookie header and its CSRF token."""
    with urllib.request.urlopen(url, timeout=10) as response:
        html = response.read().decode()
        cookies = SimpleCookie()
        for header in response.headers.get_all("Set-Cookie") or []:
            cookies.load(header)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html
    )
    cookie = "; ".join(f"{k}={v.value}" for k, v in cookies.items())
    return cookie, token.group(1)


def _headers(cookie: str) -> dict[str, str]:
    return {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}


def csrf_plan(base: str) -> load.PostPlan:
    cookie, token = _form_session(base + "/form")
    return load.PostPlan([urlencode({"csrf_token": token, "name": "bench"})], _headers(cookie))


def reply_plan(base: str, slug: str, round_no: int, count: int) -> load.PostPlan:
    """`count` distinct replies, each with its own signed form stamp (as rendered forms have)."""
    from flask import Flask

    from blog.replies import form_token

    cookie, token = _form_session(f"{base}/posts/{slug}")
    signer = Flask("bench-stamps")
    signer.config["SECRET_KEY"] = SECRET
    rendered_at = time.time() - 30  # the reader took 30 s to type
    bodies = []
    with signer.app_context():
        for n in range(count):
            bodies.append(
                urlencode(
                    {
                        "csrf_token": token,
                        "form_token": form_token.issue(now=rendered_at),
                        "parent_id": "",
                        "body": f"Bench reply {round_no}-{n}: when is the next meeting?",
                        "name": f"Bench reader {n}",
                        "email": f"bench.{round_no}.{n}@example.com",
                        "website": "",
                        "homepage": "",
                    }
                )
            )
    return load.PostPlan(bodies, _headers(cookie))


def count_replies(uri: str, slug: str) -> int:
    engine = create_engine(uri)
    with engine.connect() as connection:
        post_id = connection.scalar(select(Post.id).where(Post.slug == slug))
        count = connection.scalar(select(func.count(Reply.id)).where(Reply.post_id == post_id))
    engine.dispose()
    return count


# --- one round -------------------------------------------------------------------------------


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def _warm(url: str, times: int = 20) -> None:
    for _ in range(times):
        _status(url)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # the 303 itself is the answer


def _warm_posts(url: str, plan: load.PostPlan, times: int = 20) -> load.PostPlan:
    """Send the plan's first `times` bodies one by one, as GET targets get 20 warming requests
    first; give the plan that is left. A worker's first reply loads what only a POST uses."""
    opener = urllib.request.build_opener(_NoRedirect)
    for body in plan.bodies[:times]:
        request = urllib.request.Request(url, body.encode(), plan.headers, method="POST")
        try:
            opener.open(request, timeout=10).close()
        except urllib.error.HTTPError as error:
            if error.code != 303:
                raise
    return load.PostPlan(plan.bodies[times:], plan.headers)


def blog_env(options, uri: str) -> dict[str, str]:
    env = {
        "BLOG_SECRET_KEY": SECRET,
        "BLOG_SQLALCHEMY_DATABASE_URI": uri,
        # Every bench request comes from 127.0.0.1: the per-address flood rule would refuse
        # all but one reply every 15 s, so it is off here (the reply rules still all run).
        "BLOG_REPLY_FLOOD_SECONDS": "0",
    }
    if options.db == "postgres":
        redis = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
        env.update(
            {
                "BLOG_RATELIMIT_STORAGE_URI": redis,
                "BLOG_CACHE_TYPE": "RedisCache",
                "BLOG_CACHE_REDIS_URL": redis,
            }
        )
    return env


def measure(target: str, plan: load.PostPlan | None, seconds: float, name: str) -> load.Result:
    if load.have_wrk():
        script = None
        if plan is not None:
            path = "/" + target.split("/", 3)[3]
            script = load.write_post_script(OUT / f"{name}.lua", path, plan)
        return load.run_wrk(target, seconds, script)
    return load.run_python(target, seconds, plan)


def run_round(options, data, round_no: int, samples: list[Sample], extras: dict) -> None:
    log = OUT / "gunicorn.log"
    hello = Server("hello", "baseline_app:app", HERE, {"BENCH_SECRET": SECRET})
    apps = {
        name: Server(f"blog-{name}", "app:app", ROOT, blog_env(options, data[name].uri))
        for name in ("small", "large")
    }
    started = []
    try:
        # What the last round (or the dataset build) wrote is still being flushed to disk for
        # seconds after: a round that starts meanwhile measures the flush too (a fresh clone's
        # first rounds, right after building the large dataset, saw the hello app start in
        # 0.8-1.6 s instead of 0.2). Every round starts with nothing left to write.
        os.sync()
        time.sleep(SETTLE_SECONDS)
        extras.setdefault("startup_hello", []).append(hello.start("/", log))
        started.append(hello)
        for name, server in apps.items():
            time.sleep(SETTLE_SECONDS)  # as hello had: nothing else still booting
            seconds = server.start("/healthz", log)
            started.append(server)
            extras.setdefault(f"startup_{name}", []).append(seconds)

        targets: list[tuple[str, Server, str, str]] = [
            ("hello", hello, "/", "GET"),
            ("form_post", hello, "/form", "POST"),
        ]
        for name in ("small", "large"):
            ds = data[name]
            for key, _, path in PAGES:
                url = path.format(featured=ds.featured_slug, tag=ds.tag_slug, word=ds.search_word)
                targets.append((f"{key}_{name}", apps[name], url, "GET"))
        targets.append(
            (
                "reply_post",
                apps["small"],
                f"/posts/{data['small'].open_thread_slug}/replies",
                "POST",
            )
        )
        shift = (round_no * 3) % len(targets)
        targets = targets[shift:] + targets[:shift]

        for key, server, path, method in targets:
            url = server.base + path
            if key not in BASELINES:
                # The baseline again, right before this target: the machine is shared, so a
                # ratio is only as good as the two measurements are close in time.
                base = "hello" if method == "GET" else "form_post"
                if method == "GET" and _status(url) != 200:
                    extras.setdefault("missing", {})[key] = _status(url)
                    continue
                paired = (
                    measure(hello.base + "/", None, options.pair_seconds, base)
                    if method == "GET"
                    else measure(
                        hello.base + "/form", csrf_plan(hello.base), options.pair_seconds, base
                    )
                )
                samples.append(Sample(f"{base}@{key}", round_no, **_fields(paired)))
            if method == "GET":
                _warm(url)
                result = measure(url, None, options.seconds, key)
                samples.append(Sample(key, round_no, **_fields(result)))
            elif key == "form_post":
                result = measure(url, csrf_plan(server.base), options.seconds, key)
                samples.append(Sample(key, round_no, **_fields(result)))
            else:
                slug = data["small"].open_thread_slug
                plan = reply_plan(server.base, slug, round_no, int(2500 * options.seconds) + 20)
                plan = _warm_posts(url, plan)
                before = count_replies(data["small"].uri, slug)
                result = measure(url, plan, options.seconds, key)
                time.sleep(0.5)  # let answers in flight when the load stopped finish
                added = count_replies(data["small"].uri, slug) - before
                if result.requests >= len(plan.bodies):
                    extras["ran_out_of_bodies"] = True
                samples.append(Sample(key, round_no, **_fields(result), rows_added=added))
            print(f"  round {round_no + 1}: {key:<14} {result.rps:9.1f} req/s", flush=True)

        extras.setdefault("rss_hello", []).append(hello.worker_rss_mb())
        for name, server in apps.items():
            extras.setdefault(f"rss_{name}", []).append(server.worker_rss_mb())
    finally:
        for server in started:
            server.stop()


def _fields(result: load.Result) -> dict:
    return {
        "rps": result.rps,
        "p50_ms": result.p50_ms,
        "p99_ms": result.p99_ms,
        "requests": result.requests,
        "errors": result.errors,
        "accepted": result.accepted,
    }


# --- the table -------------------------------------------------------------------------------


def _median(values: list[float]) -> float:
    values = [v for v in values if v == v]  # drop NaN
    return statistics.median(values) if values else float("nan")


def _by_round(samples: list[Sample], key: str) -> dict[int, Sample]:
    return {s.round: s for s in samples if s.key == key}


def _paired(samples: list[Sample], key: str, base: str) -> dict[int, Sample]:
    """The baseline measured right before `key` in each round (the round's own otherwise)."""
    own = _by_round(samples, base)
    own.update(_by_round(samples, f"{base}@{key}"))
    return own


def _normalised(samples: list[Sample], key: str, base: str, field: str = "rps") -> dict[int, float]:
    """Per round: key's figure divided by its paired baseline's."""
    top, bottom = _by_round(samples, key), _paired(samples, key, base)
    return {
        r: getattr(top[r], field) / getattr(bottom[r], field)
        for r in top
        if r in bottom and getattr(bottom[r], field)
    }


def _ratio(samples: list[Sample], key: str, base: str, field: str = "rps") -> float:
    """Median over rounds of key / baseline, the baseline measured just before it."""
    return _median(list(_normalised(samples, key, base, field).values()))


def _relative(samples: list[Sample], key: str, other: str, base: str = "hello") -> float:
    """Median over rounds of key / other, each first divided by its own paired baseline."""
    top, bottom = _normalised(samples, key, base), _normalised(samples, other, base)
    return _median([top[r] / bottom[r] for r in top if r in bottom and bottom[r]])


def _accepted_rps(sample: Sample) -> float:
    return sample.rps * (sample.accepted or 0) / sample.requests if sample.requests else 0.0


def _shown(value: float, target: float) -> str:
    """A ratio to two decimals, or three where two would round it onto its target (0.496
    shown as 0.50 beside "MISSED" reads as a mistake)."""
    text = f"{value:.2f}"
    return f"{value:.3f}" if text == f"{target:.2f}" and value != target else text


def _verdict(value: float, target: float, higher_is_better: bool = True) -> str:
    if value != value:
        return "not measured"
    ok = value >= target if higher_is_better else value <= target
    return "met" if ok else "MISSED"


def table(options, data, samples: list[Sample], extras: dict) -> str:
    """The one table: medians over rounds, ratios taken within each round."""
    rows = [
        "| what | req/s | p50 ms | p99 ms | ratio | target | |",
        "| --- | ---: | ---: | ---: | --- | --- | --- |",
    ]

    def stats(key: str) -> tuple[float, float, float]:
        """Medians; a baseline's include its paired runs."""
        chosen = [s for s in samples if s.key == key or s.key.startswith(key + "@")]
        return (
            _median([s.rps for s in chosen]),
            _median([s.p50_ms for s in chosen]),
            _median([s.p99_ms for s in chosen]),
        )

    def line(what, key, ratio_text, target="", verdict=""):
        if not any(s.key == key for s in samples):
            status = extras.get("missing", {}).get(key, "?")
            rows.append(f"| {what} | – | – | – | not served (HTTP {status}) | {target} | |")
            return
        rps, p50, p99 = stats(key)
        rows.append(
            f"| {what} | {rps:,.0f} | {p50:.1f} | {p99:.1f} | {ratio_text} | {target} | {verdict} |"
        )

    line("hello page, 15 KB (baseline)", "hello", "1")
    form = [s for s in samples if s.key.split("@")[0] == "form_post"]
    form_acc = _median([_accepted_rps(s) for s in form])
    rows.append(
        f"| CSRF form POST, writes nothing (baseline for writes) | {form_acc:,.0f} accepted/s | "
        f"{_median([s.p50_ms for s in form]):.1f} | "
        f"{_median([s.p99_ms for s in form]):.1f} | 1 | | |"
    )
    for name in ("small", "large"):
        ds = data[name]
        label = f"{ds.posts:,} posts, {ds.replies:,} replies"
        for key, what, _ in PAGES:
            full = f"{key}_{name}"
            ratio = _ratio(samples, full, "hello")
            text_ratio = f"{ratio:.2f}× hello"
            target = verdict = ""
            if key == "article" and name == "small":
                target, verdict = "≥ 0.5× hello", _verdict(ratio, 0.5)
            if name == "large" and key in ("front", "article", "tag"):
                keeps = _relative(samples, full, f"{key}_small")
                text_ratio += f"; {keeps:.2f}× its small rate"
                target, verdict = "≥ 0.9× small", _verdict(keeps, 0.9)
            if key == "search":
                slower = _relative(samples, f"article_{name}", full)
                text_ratio += f"; time {slower:.2f}× the article's"
                if name == "large":
                    target, verdict = "≤ 2× article time", _verdict(slower, 2.0, False)
            line(f"{what} ({label})", full, text_ratio, target, verdict)

    replies = [s for s in samples if s.key == "reply_post"]
    if replies:
        forms = _paired(samples, "reply_post", "form_post")
        ratios = [
            _accepted_rps(s) / _accepted_rps(forms[s.round])
            for s in replies
            if s.round in forms and _accepted_rps(forms[s.round])
        ]
        ratio = _median(ratios)
        lost = sum(max(0, (s.accepted or 0) - (s.rows_added or 0)) for s in replies)
        accepted = sum(s.accepted or 0 for s in replies)
        rows_added = sum(s.rows_added or 0 for s in replies)
        rows.append(
            f"| reply POSTs accepted (303) | {_median([_accepted_rps(s) for s in replies]):,.0f}"
            f" accepted/s | {_median([s.p50_ms for s in replies]):.1f} | "
            f"{_median([s.p99_ms for s in replies]):.1f} | {_shown(ratio, 0.5)}× form POST; "
            f"{accepted:,} accepted, {rows_added:,} rows, {lost} lost | ≥ 0.5×, 0 lost | "
            f"{'met' if ratio >= 0.5 and lost == 0 else 'MISSED'} |"
        )

    hello_rss = _median(extras.get("rss_hello", []))
    for name in ("small", "large"):
        rss = _median(extras.get(f"rss_{name}", []))
        ratio = rss / hello_rss if hello_rss else float("nan")
        rows.append(
            f"| memory per worker after load, {name} dataset | {rss:.0f} MB | | | "
            f"{_shown(ratio, 2.0)}× hello ({hello_rss:.0f} MB) | ≤ 2× | "
            f"{_verdict(ratio, 2.0, False)} |"
        )
    hello_start = _median(extras.get("startup_hello", []))
    start = _median(extras.get("startup_small", []))
    ratio = start / hello_start if hello_start else float("nan")
    rows.append(
        f"| start-up to first answer | {start:.2f} s | | | {_shown(ratio, 2.5)}× hello "
        f"({hello_start:.2f} s) | ≤ 2.5× | {_verdict(ratio, 2.5, False)} |"
    )
    errors = sum(s.errors for s in samples)
    large = data["large"]
    notes = [
        f"- rounds: {options.rounds}, {options.seconds:g} s per target per round, order rotated "
        f"each round, each target right after {options.pair_seconds:g} s of its baseline (the "
        "ratio's denominator) and after 20 warming requests of its own (replies: 20 replies, not "
        f"counted); load: {'wrk' if load.have_wrk() else 'Python fallback client'}, "
        f"{load.THREADS} threads, {load.CONNECTIONS} connections; gunicorn 2 sync workers.",
        f"- database: {options.db}; large dataset {large.posts:,} posts and {large.replies:,} "
        f"replies built in {large.build_seconds} s.",
        f"- answers that were not 2xx/3xx, or socket errors: {errors}.",
        "- both apps' sources are compiled to bytecode before the first start, as an install "
        "does (the libraries already are); each round starts once everything written before "
        f"it is on disk (sync), and each server {SETTLE_SECONDS:g} s after the one before it "
        "answered.",
    ]
    if extras.get("ran_out_of_bodies"):
        notes.append("- the reply load ran out of prepared bodies: raise the count in run.py.")
    return "\n".join(rows + [""] + notes)


def machine_note() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load_avg = os.getloadavg()
    return (
        f"{os.cpu_count()} cores ({cpu}), {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}; load average at the start "
        f"{load_avg[0]:.2f} (other engineers' tests share this machine: absolute numbers are "
        "noisy, the ratios are measured within each round)."
    )


def compile_sources() -> None:
    """Write both apps' bytecode before any server starts, as installing a package does.

    An editable install (and PYTHONDONTWRITEBYTECODE, set on some machines) leaves the
    project's own modules without it, and every worker compiles them again at start-up, which
    the hello app, a single file, hardly pays; the libraries of both came with theirs.
    """
    compileall.compile_dir(ROOT / "blog", quiet=1)
    for source in (ROOT / "app.py", HERE / "baseline_app.py"):
        compileall.compile_file(source, quiet=1)


def main() -> int:
    options = _options()
    began = time.perf_counter()
    note = machine_note()
    compile_sources()
    data = build_datasets(options)
    samples: list[Sample] = []
    extras: dict = {}
    for round_no in range(options.rounds):
        print(f"round {round_no + 1} of {options.rounds}", flush=True)
        run_round(options, data, round_no, samples, extras)
    result = table(options, data, samples, extras)
    if options.db == "postgres":
        _drop_postgres_schemas()
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    minutes = (time.perf_counter() - began) / 60
    report = (
        f"# Benchmark results\n\n{stamp}, `make bench{' BENCH_QUICK=1' if options.quick else ''}`"
        f" ({minutes:.1f} min). Machine: {note}\n\n{result}\n"
    )
    print()
    print(report)
    (OUT / "samples.json").write_text(
        json.dumps({"samples": [asdict(s) for s in samples], "extras": extras}, indent=1)
    )
    options.results.write_text(report, encoding="utf-8")
    print(f"written to {options.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
