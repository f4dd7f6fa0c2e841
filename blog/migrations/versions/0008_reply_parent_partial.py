"""index only the replies that answer another reply: ix_reply_parent_id WHERE parent_id IS NOT NULL

The parent index serves the lookups of a reply's answers (deleting a reply removes its
answers through the foreign key, withdrawing one asks whether anything answers it). Every such
lookup names a parent, so the replies to the article itself, usually most of them, never need
an entry: with the index partial, a new top-level reply writes no page of it. `parent_id = ?`
implies `parent_id IS NOT NULL`, so SQLite and PostgreSQL still use it for those lookups,
including the foreign key's own.

Revision ID: 0008_reply_parent_partial
Revises: 0007_reply_email_index
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_reply_parent_partial"
down_revision = "0007_reply_email_index"
branch_labels = None
depends_on = None

ANSWERS_ONLY = sa.text("parent_id IS NOT NULL")


def upgrade():
    op.drop_index("ix_reply_parent_id", table_name="reply")
    op.create_index(
        "ix_reply_parent_id",
        "reply",
        ["parent_id"],
        sqlite_where=ANSWERS_ONLY,
        postgresql_where=ANSWERS_ONLY,
    )


def downgrade():
    op.drop_index("ix_reply_parent_id", table_name="reply")
    op.create_index("ix_reply_parent_id", "reply", ["parent_id"])
