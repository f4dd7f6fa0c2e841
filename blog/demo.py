"""Demo content for `flask seed-demo`: invented local stories, written for this project."""

from datetime import timedelta

from . import clock
from .articles import ContradictionInput, create_post
from .extensions import db
from .models import Reply
from .rendering import render_reply_text

FOOTBRIDGE_BODY = """\
The town council voted five to two on Tuesday night to build a pedestrian footbridge across the \
Alder River, ending a debate that has filled the public gallery at every budget meeting since the \
old ferry stopped running.

The bridge will link the market square with the new housing on the east bank. Engineers from the \
county estimate that it will carry about 3,000 crossings a day once the east bank is fully \
occupied, most of them people walking to the station.

Councillors who voted against it said they did not doubt the need for a crossing, only the price. \
"We are being asked to approve a figure that has moved twice in a year," one of them told the \
chamber.

Construction is due to start next spring. The council says the river path will stay open for \
most of the works, with short closures announced a week ahead."""

LIBRARY_BODY = """\
The central library will open until 9 p.m. on weekdays from next month, after a trial of later \
hours drew more visitors in its evening slot than on Saturday mornings.

Staff say students and shift workers made up most of the evening visitors. The longer hours are \
paid for by moving two part-time posts from the mobile library, which will visit the outlying \
villages every other week instead of weekly."""

MARKET_BODY = """\
Traders at the Saturday farmers' market have voted to stay in the square through the winter for \
the first time, after a covered walkway was finished along the north side.

The market association says twelve of its twenty regular stalls have signed up for the colder \
months. Hot food stalls will move closest to the walkway, and the square's fountain will be \
switched off from November to protect the pipes."""


def add_demo_content() -> int:
    """Add three published posts and a short approved reply thread; return the post count."""
    now = clock.now()
    footbridge = create_post(
        title="Council approves Alder River footbridge after three-year debate",
        dek="A five-to-two vote ends the argument over a crossing; the argument over its cost "
        "goes on.",
        dateline="RIVERSIDE",
        byline="Mara Okafor",
        body=FOOTBRIDGE_BODY,
        published_at=now - timedelta(hours=3),
        tags=["Council", "Transport"],
        key_points=[
            "The council voted 5–2 to build a footbridge between the market square and the "
            "east bank.",
            "County engineers expect about 3,000 crossings a day.",
            "Work is due to start next spring; the river path stays mostly open.",
        ],
        sources=[
            ("Council meeting minutes", "https://example.com/council/minutes"),
            ("County engineering report", "https://example.com/county/footbridge-report"),
        ],
        contradictions=[
            ContradictionInput(
                "The council puts the cost at 4.2 million; the engineering report's upper "
                "estimate is 5.1 million.",
                [1, 2],
            )
        ],
    )
    create_post(
        title="Central library to stay open until 9 p.m. on weekdays",
        dek="Evening visitors outnumbered Saturday mornings during a three-month trial.",
        dateline="RIVERSIDE",
        byline="Tom Reyes",
        body=LIBRARY_BODY,
        published_at=now - timedelta(days=1),
        tags=["Libraries"],
        key_points=["Weekday hours run to 9 p.m. from next month."],
    )
    create_post(
        title="Farmers' market will stay in the square all winter",
        byline="Ana Lindqvist",
        body=MARKET_BODY,
        published_at=now - timedelta(days=2),
        tags=["Business"],
    )
    db.session.flush()

    first = _demo_reply(
        footbridge.id,
        None,
        "Priya",
        "About time. I walk the long way round by "
        "the road bridge every morning and it adds twenty minutes.",
        now,
        120,
    )
    db.session.flush()
    _demo_reply(
        footbridge.id,
        first,
        "Owen",
        "Same here, though I would like to see the maintenance costs before I cheer.",
        now,
        90,
    )
    _demo_reply(
        footbridge.id,
        None,
        "Dana",
        "Will the bridge have step-free access at both ends? The article does not say.",
        now,
        45,
    )
    db.session.commit()
    return 3


def _demo_reply(post_id: int, parent: Reply | None, name: str, body: str, now, minutes_ago: int):
    reply = Reply(
        post_id=post_id,
        parent_id=parent.id if parent else None,
        depth=1 if parent is None else parent.depth + 1,
        name=name,
        email=f"{name.lower()}@example.com",
        body=body,
        body_html=render_reply_text(body),
        status="approved",
        moderation_reason="demo content",
        created_at=now - timedelta(minutes=minutes_ago),
    )
    db.session.add(reply)
    return reply
