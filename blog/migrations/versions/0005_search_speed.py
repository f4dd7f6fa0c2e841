"""a version number for the search index, so search result pages can be cached safely

Row -2 of `post_cache_version` (migration 0003's table) is bumped by triggers whenever anything
the search index holds or the search query filters on may have changed: any change to a post
(its text, status or publication time), its key points, its tags, or a tag's name. These are
the same tables the index triggers of 0002 follow, plus every column of `post` (publishing a
draft changes what search may show without changing its text). A cached result page keyed by
this number is therefore never stale; a scheduled post coming due is handled by the cache
entry's own expiry (see blog/posts/search.py).

Revision ID: 0005_search_speed
Revises: 0004_reply_lookup
"""

from alembic import op

revision = "0005_search_speed"
down_revision = "0004_reply_lookup"
branch_labels = None
depends_on = None

SEARCH_INDEX = -2

# (trigger name, event clause) for SQLite: triggers there are always row-level.
_SQLITE_TRIGGERS = [
    ("search_version_post_insert", "AFTER INSERT ON post"),
    ("search_version_post_update", "AFTER UPDATE ON post"),
    ("search_version_post_delete", "AFTER DELETE ON post"),
    ("search_version_key_point_insert", "AFTER INSERT ON key_point"),
    ("search_version_key_point_update", "AFTER UPDATE ON key_point"),
    ("search_version_key_point_delete", "AFTER DELETE ON key_point"),
    ("search_version_post_tag_insert", "AFTER INSERT ON post_tag"),
    ("search_version_post_tag_update", "AFTER UPDATE ON post_tag"),
    ("search_version_post_tag_delete", "AFTER DELETE ON post_tag"),
    ("search_version_tag_update", "AFTER UPDATE OF name ON tag"),
]

_BUMP = (
    f"INSERT INTO post_cache_version (post_id, version) VALUES ({SEARCH_INDEX}, 1) "
    "ON CONFLICT (post_id) DO UPDATE SET version = version + 1;"
)

# PostgreSQL: statement-level, so a bulk insert of thousands of posts bumps the row once.
_PG_FUNCTION = f"""
CREATE FUNCTION search_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM post_cache_bump({SEARCH_INDEX});
    RETURN NULL;
END $$;
"""

_PG_TRIGGERS = {
    "search_version_post": "post",
    "search_version_key_point": "key_point",
    "search_version_post_tag": "post_tag",
    "search_version_tag": "tag",
}


def upgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute(
            "INSERT INTO post_cache_version (post_id, version) "
            f"VALUES ({SEARCH_INDEX}, 1) ON CONFLICT (post_id) DO NOTHING"
        )
        for name, event in _SQLITE_TRIGGERS:
            op.execute(f"CREATE TRIGGER {name} {event} BEGIN {_BUMP} END")
    elif dialect == "postgresql":
        op.execute(
            "INSERT INTO post_cache_version (post_id, version) "
            f"VALUES ({SEARCH_INDEX}, 1) ON CONFLICT (post_id) DO NOTHING"
        )
        op.execute(_PG_FUNCTION)
        for name, table in _PG_TRIGGERS.items():
            events = "UPDATE" if table == "tag" else "INSERT OR UPDATE OR DELETE"
            op.execute(
                f"CREATE TRIGGER {name} AFTER {events} ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION search_version_bump()"
            )


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name, _ in _SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    elif dialect == "postgresql":
        for name, table in _PG_TRIGGERS.items():
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        op.execute("DROP FUNCTION IF EXISTS search_version_bump()")
    if dialect in ("sqlite", "postgresql"):
        op.execute(f"DELETE FROM post_cache_version WHERE post_id = {SEARCH_INDEX}")
