"""a version per article, bumped by triggers on every change the article page shows

The article page's cached HTML is keyed by this number. Triggers (not application code) bump
it, so every writer (the reply form, the desk, the CLI, a manual UPDATE) invalidates the cache,
and every server process sees the same number. Row post_id = 0 is site-wide (settings, staff).
Replies bump it only when an approved reply appears, changes or goes: pending replies are not
on the shared page.

Revision ID: 0003_speed
Revises: 0002_search
"""

from alembic import op

revision = "0003_speed"
down_revision = "0002_search"
branch_labels = None
depends_on = None

SITE_WIDE = 0
POST_LIST = -1  # bumped when any post, its tags or a tag's name change: list pages

# (table, events with their WHEN condition, expression naming the post) for SQLite triggers.
_POST_CHILDREN = ("key_point", "source", "contradiction", "correction", "post_tag")
_REPLY_VISIBLE = {
    "INSERT": "NEW.status = 'approved'",
    "UPDATE": "OLD.status = 'approved' OR NEW.status = 'approved'",
    "DELETE": "OLD.status = 'approved'",
}


def _sqlite_bump(post_expr: str) -> str:
    return (
        "INSERT INTO post_cache_version (post_id, version) "
        f"SELECT post_id, 1 FROM ({post_expr}) WHERE post_id IS NOT NULL "
        "ON CONFLICT (post_id) DO UPDATE SET version = version + 1;"
    )


def _sqlite_triggers() -> list[tuple[str, str, str, str]]:
    """(name, event clause, WHEN condition or '', subquery yielding post_id)."""
    triggers = []
    for event in ("INSERT", "UPDATE", "DELETE"):
        row = "OLD" if event == "DELETE" else "NEW"
        triggers.append(
            (f"post_cache_post_{event.lower()}", f"AFTER {event} ON post", "",
             f"SELECT {row}.id AS post_id UNION SELECT {POST_LIST}")
        )
        for table in _POST_CHILDREN:
            if table == "post_tag" and event == "UPDATE":
                continue
            rows = ["OLD", "NEW"] if event == "UPDATE" else [row]
            query = " UNION ".join(f"SELECT {r}.post_id AS post_id" for r in rows)
            if table == "post_tag":
                query += f" UNION SELECT {POST_LIST}"
            triggers.append((f"post_cache_{table}_{event.lower()}", f"AFTER {event} ON {table}",
                             "", query))
        rows = ["OLD", "NEW"] if event == "UPDATE" else [row]
        query = " UNION ".join(f"SELECT {r}.post_id AS post_id" for r in rows)
        triggers.append((f"post_cache_reply_{event.lower()}", f"AFTER {event} ON reply",
                         _REPLY_VISIBLE[event], query))
        if event != "UPDATE":
            triggers.append(
                (f"post_cache_contradiction_source_{event.lower()}",
                 f"AFTER {event} ON contradiction_source", "",
                 f"SELECT post_id FROM contradiction WHERE id = {row}.contradiction_id")
            )
        triggers.append((f"post_cache_setting_{event.lower()}", f"AFTER {event} ON setting", "",
                         f"SELECT {SITE_WIDE} AS post_id"))
        triggers.append((f"post_cache_user_{event.lower()}", f'AFTER {event} ON "user"', "",
                         f"SELECT {SITE_WIDE} AS post_id"))
    triggers.append(("post_cache_tag_update", "AFTER UPDATE ON tag", "",
                     "SELECT post_id FROM post_tag WHERE tag_id = NEW.id "
                     f"UNION SELECT {POST_LIST}"))
    return triggers


def _sqlite_upgrade() -> None:
    op.execute(
        "CREATE TABLE post_cache_version ("
        "post_id INTEGER NOT NULL PRIMARY KEY, version INTEGER NOT NULL DEFAULT 1)"
    )
    op.execute(
        "INSERT INTO post_cache_version (post_id, version) "
        f"VALUES ({SITE_WIDE}, 1), ({POST_LIST}, 1)"
    )
    op.execute("INSERT INTO post_cache_version (post_id, version) SELECT id, 1 FROM post")
    for name, event, when, query in _sqlite_triggers():
        condition = f" WHEN {when}" if when else ""
        op.execute(f'CREATE TRIGGER {name} {event}{condition} BEGIN {_sqlite_bump(query)} END')


def _sqlite_downgrade() -> None:
    for name, _, _, _ in _sqlite_triggers():
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute("DROP TABLE IF EXISTS post_cache_version")


_PG_FUNCTIONS = """
CREATE FUNCTION post_cache_bump(target integer) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF target IS NULL THEN
        RETURN;
    END IF;
    INSERT INTO post_cache_version (post_id, version) VALUES (target, 1)
    ON CONFLICT (post_id) DO UPDATE SET version = post_cache_version.version + 1;
END $$;

CREATE FUNCTION post_cache_on_post() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM post_cache_bump(OLD.id);
    ELSE
        PERFORM post_cache_bump(NEW.id);
    END IF;
    PERFORM post_cache_bump(-1);
    RETURN NULL;
END $$;

CREATE FUNCTION post_cache_on_child() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM post_cache_bump(OLD.post_id);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND (TG_OP = 'INSERT' OR NEW.post_id <> OLD.post_id) THEN
        PERFORM post_cache_bump(NEW.post_id);
    END IF;
    IF TG_TABLE_NAME = 'post_tag' THEN
        PERFORM post_cache_bump(-1);
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION post_cache_on_contradiction_source() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed integer;
BEGIN
    IF TG_OP = 'DELETE' THEN
        changed := OLD.contradiction_id;
    ELSE
        changed := NEW.contradiction_id;
    END IF;
    PERFORM post_cache_bump((SELECT post_id FROM contradiction WHERE id = changed));
    RETURN NULL;
END $$;

CREATE FUNCTION post_cache_on_tag() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE post_cache_version SET version = version + 1
    WHERE post_id IN (SELECT post_id FROM post_tag WHERE tag_id = NEW.id);
    PERFORM post_cache_bump(-1);
    RETURN NULL;
END $$;

CREATE FUNCTION post_cache_on_site() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM post_cache_bump(0);
    RETURN NULL;
END $$;
"""

_PG_TRIGGERS = """
CREATE TRIGGER post_cache_post AFTER INSERT OR UPDATE OR DELETE ON post
    FOR EACH ROW EXECUTE FUNCTION post_cache_on_post();
CREATE TRIGGER post_cache_key_point AFTER INSERT OR UPDATE OR DELETE ON key_point
    FOR EACH ROW EXECUTE FUNCTION post_cache_on_child();
CREATE TRIGGER post_cache_source AFTER INSERT OR UPDATE OR DELETE ON source
    FOR EACH ROW EXECUTE FUNCTION post_cache_on_child();
CREATE TRIGGER post_cache_contradiction AFTER INSERT OR UPDATE OR DELETE ON contradiction
    FOR EACH ROW EXECUTE FUNCTION post_cache_on_child();
CREATE TRIGGER post_cache_correction AFTER INSERT OR UPDATE OR DELETE ON correction
    FOR EACH ROW EXECUTE FUNCTION post_cache_on_child();
CREATE TRIGGER post_cache_post_tag AFTER INSERT OR UPDATE OR DELETE ON post_tag
    FOR EACH ROW EXECUTE FUNCTION post_cache_on_child();
CREATE TRIGGER post_cache_reply_insert AFTER INSERT ON reply
    FOR EACH ROW WHEN (NEW.status = 'approved') EXECUTE FUNCTION post_cache_on_child();
CREATE TRIGGER post_cache_reply_update AFTER UPDATE ON reply
    FOR EACH ROW WHEN (OLD.status = 'approved' OR NEW.status = 'approved')
    EXECUTE FUNCTION post_cache_on_child();
CREATE TRIGGER post_cache_reply_delete AFTER DELETE ON reply
    FOR EACH ROW WHEN (OLD.status = 'approved') EXECUTE FUNCTION post_cache_on_child();
CREATE TRIGGER post_cache_contradiction_source AFTER INSERT OR DELETE ON contradiction_source
    FOR EACH ROW EXECUTE FUNCTION post_cache_on_contradiction_source();
CREATE TRIGGER post_cache_tag AFTER UPDATE ON tag
    FOR EACH ROW EXECUTE FUNCTION post_cache_on_tag();
CREATE TRIGGER post_cache_setting AFTER INSERT OR UPDATE OR DELETE ON setting
    FOR EACH STATEMENT EXECUTE FUNCTION post_cache_on_site();
CREATE TRIGGER post_cache_user AFTER INSERT OR UPDATE OR DELETE ON "user"
    FOR EACH STATEMENT EXECUTE FUNCTION post_cache_on_site();
"""

_PG_TRIGGER_TABLES = {
    "post_cache_post": "post",
    "post_cache_key_point": "key_point",
    "post_cache_source": "source",
    "post_cache_contradiction": "contradiction",
    "post_cache_correction": "correction",
    "post_cache_post_tag": "post_tag",
    "post_cache_reply_insert": "reply",
    "post_cache_reply_update": "reply",
    "post_cache_reply_delete": "reply",
    "post_cache_contradiction_source": "contradiction_source",
    "post_cache_tag": "tag",
    "post_cache_setting": "setting",
    "post_cache_user": '"user"',
}


def _pg_upgrade() -> None:
    op.execute(
        "CREATE TABLE post_cache_version ("
        "post_id integer PRIMARY KEY, version bigint NOT NULL DEFAULT 1)"
    )
    op.execute(
        "INSERT INTO post_cache_version (post_id, version) "
        f"VALUES ({SITE_WIDE}, 1), ({POST_LIST}, 1)"
    )
    op.execute("INSERT INTO post_cache_version (post_id, version) SELECT id, 1 FROM post")
    op.execute(_PG_FUNCTIONS)
    op.execute(_PG_TRIGGERS)


def _pg_downgrade() -> None:
    for trigger, table in _PG_TRIGGER_TABLES.items():
        op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
    for function in ("post_cache_on_site()", "post_cache_on_tag()",
                     "post_cache_on_contradiction_source()", "post_cache_on_child()",
                     "post_cache_on_post()", "post_cache_bump(integer)"):
        op.execute(f"DROP FUNCTION IF EXISTS {function}")
    op.execute("DROP TABLE IF EXISTS post_cache_version")


def upgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _sqlite_upgrade()
    elif dialect == "postgresql":
        _pg_upgrade()


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _sqlite_downgrade()
    elif dialect == "postgresql":
        _pg_downgrade()
