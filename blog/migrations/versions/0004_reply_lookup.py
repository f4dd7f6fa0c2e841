"""indexes for the reply duplicate check: (post, name ignoring case) and (post, email)

The duplicate rule looks for an earlier reply on the same post by the same name (any case) or
the same email. Without this index the name half read every reply of the post, so each reply
POST got slower as a thread grew. The index compares names the way the check does: ASCII case
folded (COLLATE NOCASE on SQLite, lower() on PostgreSQL). It lives here, not in the models:
SQLAlchemy cannot describe either form portably, and blog/page_cache.include_object keeps
autogenerate off it. The (post, email) index is a plain one, declared on the model too.

Revision ID: 0004_reply_lookup
Revises: 0003_speed
"""

from alembic import op

revision = "0004_reply_lookup"
down_revision = "0003_speed"
branch_labels = None
depends_on = None

INDEX = "ix_reply_post_name"


def upgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute(f"CREATE INDEX IF NOT EXISTS {INDEX} ON reply (post_id, name COLLATE NOCASE)")
    elif dialect == "postgresql":
        op.execute(f"CREATE INDEX IF NOT EXISTS {INDEX} ON reply (post_id, lower(name))")
    op.create_index("ix_reply_post_email", "reply", ["post_id", "email"])


def downgrade():
    op.drop_index("ix_reply_post_email", table_name="reply")
    op.execute(f"DROP INDEX IF EXISTS {INDEX}")
