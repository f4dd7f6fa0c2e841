"""Database models: articles and their structured parts, reader replies, staff."""

from __future__ import annotations

from datetime import UTC, datetime

from flask_login import UserMixin
from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    TypeDecorator,
    and_,
    or_,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from . import clock
from .extensions import db


class UTCDateTime(TypeDecorator):
    """Store naive UTC in the database, hand back aware UTC datetimes (SQLite keeps no zone)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous: pass an aware UTC datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


POST_STATUSES = ("draft", "scheduled", "published")
REPLY_STATUSES = ("pending", "approved", "spam", "trash")
CORRECTION_KINDS = ("Correction", "Clarification", "Update")

post_tag = Table(
    "post_tag",
    db.metadata,
    Column("post_id", ForeignKey("post.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tag.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_post_tag_tag_id", "tag_id"),
)

contradiction_source = Table(
    "contradiction_source",
    db.metadata,
    Column(
        "contradiction_id", ForeignKey("contradiction.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("source_id", ForeignKey("source.id", ondelete="CASCADE"), primary_key=True),
)


class User(UserMixin, db.Model):
    """A newsroom staff account (readers never sign in)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100), default="")
    password_hash: Mapped[str] = mapped_column(String(256))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    # Bumped on every password change so that older sign-in sessions stop working.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    def set_password(self, password: str) -> None:
        """Hash and store a new password, ending every existing session."""
        self.password_hash = generate_password_hash(password)
        self.session_version = (self.session_version or 0) + 1

    def check_password(self, password: str) -> bool:
        """Tell whether the password matches the stored hash."""
        return check_password_hash(self.password_hash, password)

    def get_id(self) -> str:
        """Name the account and its session version, for Flask-Login's session cookie."""
        return f"{self.id}:{self.session_version}"

    @property
    def role(self) -> str:
        return "admin" if self.is_admin else "editor"

    @property
    def shown_name(self) -> str:
        return self.display_name or self.username


class Tag(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)


class Post(db.Model):
    """An article. `updated_at` moves only with a correction or update note."""

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    dek: Mapped[str] = mapped_column(Text, default="")
    dateline: Mapped[str] = mapped_column(String(120), default="")
    byline: Mapped[str] = mapped_column(String(120), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="draft")
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    modified_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    replies_open: Mapped[bool] = mapped_column(Boolean, default=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    author: Mapped[User | None] = relationship()
    key_points: Mapped[list[KeyPoint]] = relationship(
        order_by="KeyPoint.position", cascade="all, delete-orphan", passive_deletes=True
    )
    contradictions: Mapped[list[Contradiction]] = relationship(
        order_by="Contradiction.position", cascade="all, delete-orphan", passive_deletes=True
    )
    sources: Mapped[list[Source]] = relationship(
        order_by="Source.position", cascade="all, delete-orphan", passive_deletes=True
    )
    corrections: Mapped[list[Correction]] = relationship(
        order_by="Correction.created_at", cascade="all, delete-orphan", passive_deletes=True
    )
    tags: Mapped[list[Tag]] = relationship(secondary=post_tag, order_by="Tag.name")

    __table_args__ = (Index("ix_post_visibility", "status", "published_at"),)

    @staticmethod
    def is_public_clause(now: datetime | None = None):
        """SQL condition for posts readers may see: published or scheduled, and due."""
        moment = now or clock.now()
        return and_(
            or_(Post.status == "published", Post.status == "scheduled"),
            Post.published_at.is_not(None),
            Post.published_at <= moment,
        )

    def is_public(self, now: datetime | None = None) -> bool:
        """Tell whether readers may see this post at this moment."""
        moment = now or clock.now()
        return (
            self.status in ("published", "scheduled")
            and self.published_at is not None
            and self.published_at <= moment
        )

    @property
    def path(self) -> str:
        return f"/posts/{self.slug}"


class KeyPoint(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("post.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    text: Mapped[str] = mapped_column(Text)


class Source(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("post.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(500), default="")


class Contradiction(db.Model):
    """A point where sources disagree, optionally tied to the sources on each side."""

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("post.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    statement: Mapped[str] = mapped_column(Text)
    sources: Mapped[list[Source]] = relationship(
        secondary=contradiction_source, order_by="Source.position"
    )


class Correction(db.Model):
    """A typed note on an article (Correction, Clarification, Update) shown with its time."""

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("post.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20), default="Correction")
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))


def reply_anchor(reply_id: int) -> str:
    """The id of a reply's element on its article page (links end in #reply-N)."""
    return f"reply-{reply_id}"


class Reply(db.Model):
    """A reader's reply. The email is private: it never leaves the desk."""

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("post.id", ondelete="CASCADE"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("reply.id", ondelete="CASCADE"))
    depth: Mapped[int] = mapped_column(Integer, default=1)
    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(254), default="")
    website: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    moderation_reason: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ip_hash: Mapped[str] = mapped_column(String(64), default="")
    # The nonce of the rendered form it came from: a double-click finds the first reply.
    form_nonce: Mapped[str | None] = mapped_column(String(64), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    post: Mapped[Post] = relationship()
    user: Mapped[User | None] = relationship()

    __table_args__ = (
        Index("ix_reply_post_status_created", "post_id", "status", "created_at"),
        Index("ix_reply_status_created", "status", "created_at"),
        # First-time moderation, the duplicate check's email half, the flood rule, privacy.
        Index("ix_reply_email_status_post", "email", "status", "post_id"),
        Index("ix_reply_ip_hash_created", "ip_hash", "created_at"),
        # ix_reply_parent_id (answers only) and ix_reply_post_name are made by migrations 0008
        # and 0004 alone: see page_cache.MIGRATION_ONLY_INDEXES.
    )

    @property
    def anchor(self) -> str:
        return reply_anchor(self.id)


class Revision(db.Model):
    """A snapshot of an article taken at every save, so any version can be restored."""

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("post.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    snapshot: Mapped[str] = mapped_column(Text)

    author: Mapped[User | None] = relationship()


class AuditEntry(db.Model):
    """Who did what to which reply or article, and when."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String(80), default="")
    detail: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, index=True)

    user: Mapped[User | None] = relationship()


class Setting(db.Model):
    """A key/value setting staff edit from the desk (word lists and the like)."""

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    value: Mapped[str] = mapped_column(Text, default="")
