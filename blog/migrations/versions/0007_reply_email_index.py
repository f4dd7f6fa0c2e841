"""one index for the reply lookups by email: (email, status, post_id)

A reply POST looks replies up by email twice: whether the address has an approved reply
(first-time moderation) and, for the duplicate check, its earlier replies on this post. Two
indexes served them, (email, status) and (post_id, email), and every new reply wrote a page
of each. One index on (email, status, post_id) serves both: the approved lookup seeks email and
status, and the duplicate check seeks email, each status but trash, and the post, so it never
reads a row per reply of that address. Each reply POST writes one index page fewer, and its
two lookups read the same index. Everything else that looks replies up by
email (the flood rule, privacy export and erase) uses the first column, as before.

Revision ID: 0007_reply_email_index
Revises: 0006_reply_email_status
"""

from alembic import op

revision = "0007_reply_email_index"
down_revision = "0006_reply_email_status"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_reply_email_status_post", "reply", ["email", "status", "post_id"])
    op.drop_index("ix_reply_post_email", table_name="reply")
    op.drop_index("ix_reply_email_status", table_name="reply")


def downgrade():
    op.create_index("ix_reply_email_status", "reply", ["email", "status"])
    op.create_index("ix_reply_post_email", "reply", ["post_id", "email"])
    op.drop_index("ix_reply_email_status_post", table_name="reply")
