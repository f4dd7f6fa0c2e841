"""index replies by (email, status) instead of email alone

First-time moderation asks whether an email already has an approved reply. With an index on
email alone, SQLite without statistics (every database until someone runs ANALYZE) chose the
(status, created_at) index instead and read every approved reply to find the email: one
reply POST from a new address read the whole approved table. With both columns in one index,
that lookup is a single seek on both backends; everything that looked replies up by email
(privacy export and erase, the flood rule) uses its first column as before.

Revision ID: 0006_reply_email_status
Revises: 0005_search_speed
"""

from alembic import op

revision = "0006_reply_email_status"
down_revision = "0005_search_speed"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_reply_email_status", "reply", ["email", "status"])
    op.drop_index("ix_reply_email", table_name="reply")


def downgrade():
    op.create_index("ix_reply_email", "reply", ["email"])
    op.drop_index("ix_reply_email_status", table_name="reply")
