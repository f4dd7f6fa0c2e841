"""The rules a reply passes through, as plain functions the views only wire together."""

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import bindparam, func, literal_column, null, or_, select, union_all

from .. import clock, page_cache
from ..extensions import db
from ..models import REPLY_STATUSES, Post, Reply
from ..plain_sql import PlainSelect
from ..rendering import count_links
from ..security import MAX_DATABASE_INTEGER

MODERATION_MODES = ("none", "first-time", "all")


@dataclass(frozen=True)
class Verdict:
    """The status a new reply gets and why (the reason is shown in the moderation queue)."""

    status: str
    reason: str = ""


def hash_address(secret_key: str, address: str | None) -> str:
    """Keep a network address only as a keyed hash: enough to spot floods, useless to a thief."""
    return hmac.new(secret_key.encode(), (address or "").encode(), hashlib.sha256).hexdigest()


def fold_text(text: str) -> str:
    """Fold case and whitespace, so trivially different copies compare equal."""
    return " ".join((text or "").split()).casefold()


def replies_closed(post: Post, now: datetime, close_after_days: int | None) -> bool:
    """Replies are closed on the post, or its reply window has passed."""
    if not post.replies_open:
        return True
    if close_after_days and post.published_at is not None:
        return now >= post.published_at + timedelta(days=int(close_after_days))
    return False


def depth_for(parent: Reply | None) -> int:
    """A top-level reply has depth 1; an answer sits one below its parent."""
    return 1 if parent is None else parent.depth + 1


def find_parent(post_id: int, raw_parent_id: str | None) -> tuple[bool, Reply | None]:
    """(ok, parent): ok is False when parent_id names anything but an approved reply here."""
    if raw_parent_id in (None, ""):
        return True, None
    if not re.fullmatch(r"[0-9]{1,10}", raw_parent_id) or int(raw_parent_id) > MAX_DATABASE_INTEGER:
        return False, None
    parent = db.session.get(Reply, int(raw_parent_id))
    if (
        parent is None
        or parent.post_id != post_id
        or parent.status != "approved"
        or parent.withdrawn_at
    ):
        return False, None
    return True, parent


_NOT_TRASH = [Reply.status == status for status in REPLY_STATUSES if status != "trash"]


# Where the post's row has replies_open, published_at, version and site_version.
_NO_POST_COLUMNS = (null(), null(), null(), null())


# The reply POST's reads, in one statement built once and run as a PlainSelect (they come
# before its one write): the public post with its versions (page_cache.article_state_select),
# the reply this very form already stored (a double-click), earlier replies on the post by the
# same name or email (the duplicate check: the name half on its index from migration 0004,
# names compared with ASCII case folded as that index does; the email half on the email index
# of migration 0007), and whether the email has an approved reply (first-time moderation, the
# same index). One statement is one read transaction: the other workers' commits in between
# cannot make SQLite read its pages again for a second one.
def _build_reads(name_matches) -> PlainSelect:
    def rows(kind: str, *where):
        return select(Reply.id, *_NO_POST_COLUMNS, literal_column(f"'{kind}'"), Reply.body).where(
            *where
        )

    on_post = (
        Reply.post_id == select(Post.id).where(Post.slug == bindparam("slug")).scalar_subquery()
    )
    approved = (
        select(Reply.id)
        .where(Reply.email == bindparam("email"), Reply.status == "approved")
        .limit(1)
        .subquery()
    )
    return PlainSelect(
        union_all(
            page_cache.article_state_select(
                literal_column("'post'").label("kind"), null().label("body")
            ),
            rows("form", Reply.form_nonce == bindparam("nonce")),
            rows("same", on_post, name_matches, Reply.status != "trash"),
            # Every status but trash, as equalities: SQLite then seeks (email, status, post_id)
            # on all three columns rather than reading the thread by its post_id.
            rows("same", Reply.email == bindparam("email"), or_(*_NOT_TRASH), on_post),
            select(
                approved.c.id, *_NO_POST_COLUMNS, literal_column("'approved'"), literal_column("''")
            ),
        )
    )


_READS: dict[str, PlainSelect] = {}


def reads_statement(dialect_name: str) -> PlainSelect:
    """The reads for this database, built at the first reply (a worker that has answered no
    reply yet has not paid for it): names compared with ASCII case folded on SQLite, as its
    index does, lower-cased elsewhere."""
    statement = _READS.get(dialect_name)
    if statement is None:
        if dialect_name == "sqlite":
            name_matches = Reply.name.collate("NOCASE") == bindparam("name")
        else:
            name_matches = func.lower(Reply.name) == bindparam("name")
        statement = _READS[dialect_name] = _build_reads(name_matches)
    return statement


@dataclass(frozen=True)
class History:
    """What the database holds about a reply before it is stored (see post_and_history)."""

    same_form: list[tuple[int, str]]  # (id, body) stored from this very rendered form
    same_author: list[tuple[int, str]]  # (id, body) on the post by the same name or email
    email_approved: bool

    def earlier_send(self, body: str) -> int | None:
        """The reply this form already stored with this text (a double-click), if any."""
        return _same_text(self.same_form, body)

    def duplicate(self, body: str) -> int | None:
        """An earlier reply on the post by the same name or email with the same folded text."""
        return _same_text(self.same_author, body)


def _same_text(rows: list[tuple[int, str]], body: str) -> int | None:
    folded = fold_text(body)
    return next((reply_id for reply_id, text in rows if fold_text(text) == folded), None)


def _lookup_value(typed: str) -> str:
    """A name or email as the form will clean it, for looking up earlier replies. The form
    refuses control characters, so a value holding NUL (which PostgreSQL refuses as a
    parameter) finds nothing instead."""
    return "" if "\x00" in typed else typed.strip().lower()


def post_and_history(slug: str, nonce: str | None, name: str, email: str):
    """(post, history): the public post named `slug` (a row with id, replies_open,
    published_at, version and site_version, or None) and what the rules need from earlier
    replies on it by this name or email (compared as the form's cleaned values), one statement.
    It runs before the form is validated: a form refused afterwards has only cost one read.
    """
    rows = reads_statement(db.engine.dialect.name).all(
        slug=slug,
        now=clock.now(),
        nonce=nonce,
        name=_lookup_value(name),
        email=_lookup_value(email),
    )
    post = next((row for row in rows if row.kind == "post"), None)
    history = History(
        same_form=[(row.id, row.body) for row in rows if row.kind == "form"],
        same_author=[(row.id, row.body) for row in rows if row.kind == "same"],
        email_approved=any(row.kind == "approved" for row in rows),
    )
    return post, history


_LATEST_FROM = PlainSelect(
    select(func.max(Reply.created_at).label("latest")).where(
        Reply.created_at > bindparam("since", type_=Reply.created_at.type),
        or_(Reply.ip_hash == bindparam("ip_hash"), Reply.email == bindparam("email")),
    )
)


def flood_wait_seconds(ip_hash: str, email: str, now: datetime, flood_seconds: int) -> int:
    """Whole seconds to wait before this address or email may reply again (0: go ahead).

    It reads the shared database, so it holds across every server process.
    """
    if not flood_seconds:
        return 0
    since = now - timedelta(seconds=flood_seconds)
    latest = _LATEST_FROM.first(since=since, ip_hash=ip_hash, email=email.lower()).latest
    if latest is None:
        return 0
    if latest.tzinfo is None:  # max() bypasses the column type on some backends
        latest = latest.replace(tzinfo=UTC)
    remaining = (latest + timedelta(seconds=flood_seconds) - now).total_seconds()
    return max(1, int(remaining + 0.999)) if remaining > 0 else 0


def _words_found(words: list[str], texts: list[str]) -> list[str]:
    haystack = "\n".join(texts).casefold()
    return [w for w in words if w and re.search(re.escape(w.casefold()), haystack)]


def trap_reason(
    *,
    honeypot: str,
    form_age_seconds: float | None,
    min_seconds: float,
    block_words: list[str],
    texts: list[str],
) -> str:
    """Why the reply is spam ('' when no trap caught it). A person notices none of these."""
    if honeypot:
        return "filled in the hidden field people never see"
    if form_age_seconds is None:
        return "sent without the form's signed render time"
    if form_age_seconds < min_seconds:
        return f"sent {form_age_seconds:.1f} s after the form was shown (under {min_seconds:g} s)"
    found = _words_found(block_words, texts)
    if found:
        return "contains a blocked word: " + ", ".join(found)
    return ""


def hold_reason(*, body: str, max_links: int, moderation_words: list[str], texts: list[str]) -> str:
    """Why the reply waits for a person ('' when its content alone does not hold it)."""
    links = count_links(body)
    if links > max_links:
        return f"{links} links (more than {max_links})"
    found = _words_found(moderation_words, texts)
    if found:
        return "contains a word on the moderation list: " + ", ".join(found)
    return ""


def moderation_verdict(mode: str, *, is_staff: bool, email_approved: bool) -> Verdict:
    """Apply the newsroom's moderation rule: none, first-time or all (`email_approved`: the
    email already has a reply a person approved, from reply_history)."""
    if is_staff:
        return Verdict("approved", "written by newsroom staff")
    if mode == "none":
        return Verdict("approved", "moderation is off")
    if mode == "all":
        return Verdict("pending", "every reply is held for review")
    if email_approved:
        return Verdict("approved", "this email has an approved reply")
    return Verdict("pending", "first reply from this email address")


def decide(
    *,
    trap: str,
    hold: str,
    mode: str,
    is_staff: bool,
    email_approved: bool,
) -> Verdict:
    """Combine traps, content holds and the moderation rule into one stored status."""
    if trap:
        return Verdict("spam", trap)
    if hold and not is_staff:
        return Verdict("pending", hold)
    return moderation_verdict(mode, is_staff=is_staff, email_approved=email_approved)
