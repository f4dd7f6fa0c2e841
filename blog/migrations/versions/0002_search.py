"""full-text search index kept in step with posts, key points and tags

SQLite: an FTS5 table `post_search` (rowid = post.id) refreshed by triggers.
PostgreSQL: a table `post_search` holding a weighted tsvector per post, refreshed by
triggers, with a GIN index.

Both index every post whatever its status; the search query joins back to `post` and keeps
only public ones, so a scheduled post becomes searchable the moment it is due.

Revision ID: 0002_search
Revises: 0001_initial
"""

from alembic import op

revision = "0002_search"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


# --- SQLite -------------------------------------------------------------------------------

# Re-index the posts whose ids the subquery {ids} names (deleted posts simply drop out).
_SQLITE_REFRESH = """
DELETE FROM post_search WHERE rowid IN ({ids});
INSERT INTO post_search (rowid, title, dek, body, key_points, tags)
SELECT p.id, p.title, p.dek, p.body,
       coalesce((SELECT group_concat(k.text, char(10)) FROM key_point AS k
                 WHERE k.post_id = p.id), ''),
       coalesce((SELECT group_concat(t.name, ', ') FROM post_tag AS pt
                 JOIN tag AS t ON t.id = pt.tag_id WHERE pt.post_id = p.id), '')
FROM post AS p WHERE p.id IN ({ids});
"""

# (trigger name, event clause, ids of the posts to refresh)
_SQLITE_TRIGGERS = [
    ("post_search_post_ai", "AFTER INSERT ON post", "NEW.id"),
    ("post_search_post_au", "AFTER UPDATE OF id, title, dek, body ON post", "OLD.id, NEW.id"),
    ("post_search_post_ad", "AFTER DELETE ON post", "OLD.id"),
    ("post_search_kp_ai", "AFTER INSERT ON key_point", "NEW.post_id"),
    ("post_search_kp_au", "AFTER UPDATE ON key_point", "OLD.post_id, NEW.post_id"),
    ("post_search_kp_ad", "AFTER DELETE ON key_point", "OLD.post_id"),
    ("post_search_pt_ai", "AFTER INSERT ON post_tag", "NEW.post_id"),
    ("post_search_pt_ad", "AFTER DELETE ON post_tag", "OLD.post_id"),
    (
        "post_search_tag_au",
        "AFTER UPDATE OF name ON tag",
        "SELECT post_id FROM post_tag WHERE tag_id = NEW.id",
    ),
]


def _sqlite_upgrade() -> None:
    op.execute(
        "CREATE VIRTUAL TABLE post_search USING fts5("
        "title, dek, body, key_points, tags, "
        "tokenize = 'porter unicode61 remove_diacritics 2')"
    )
    for name, event, ids in _SQLITE_TRIGGERS:
        body = _SQLITE_REFRESH.format(ids=ids)
        op.execute(f"CREATE TRIGGER {name} {event} BEGIN {body} END")
    # The driver runs one statement at a time outside a trigger body.
    for statement in _SQLITE_REFRESH.format(ids="SELECT id FROM post").split(";"):
        if statement.strip():
            op.execute(statement)


def _sqlite_downgrade() -> None:
    for name, _, _ in _SQLITE_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute("DROP TABLE IF EXISTS post_search")


# --- PostgreSQL ---------------------------------------------------------------------------

_PG_FUNCTIONS = """
CREATE FUNCTION post_search_refresh(target integer) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM post_search WHERE post_id = target;
    INSERT INTO post_search (post_id, document, plain)
    SELECT p.id,
           setweight(to_tsvector('english', coalesce(p.title, '')), 'A')
        || setweight(to_tsvector('english', coalesce(tags.names, '')), 'A')
        || setweight(to_tsvector('english', coalesce(p.dek, '')), 'B')
        || setweight(to_tsvector('english', coalesce(points.texts, '')), 'B')
        || setweight(to_tsvector('english', coalesce(p.body, '')), 'C'),
           concat_ws(E'\\n', nullif(p.dek, ''), points.texts, p.body)
    FROM post AS p
    LEFT JOIN LATERAL (SELECT string_agg(k.text, E'\\n' ORDER BY k.position) AS texts
                       FROM key_point AS k WHERE k.post_id = p.id) AS points ON true
    LEFT JOIN LATERAL (SELECT string_agg(t.name, ', ' ORDER BY t.name) AS names
                       FROM post_tag AS pt JOIN tag AS t ON t.id = pt.tag_id
                       WHERE pt.post_id = p.id) AS tags ON true
    WHERE p.id = target;
END $$;

CREATE FUNCTION post_search_on_post() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        DELETE FROM post_search WHERE post_id = OLD.id;
        RETURN NULL;
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.id <> NEW.id THEN
        DELETE FROM post_search WHERE post_id = OLD.id;
    END IF;
    PERFORM post_search_refresh(NEW.id);
    RETURN NULL;
END $$;

CREATE FUNCTION post_search_on_child() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM post_search_refresh(OLD.post_id);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM post_search_refresh(NEW.post_id);
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION post_search_on_tag() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    tagged integer;
BEGIN
    FOR tagged IN SELECT post_id FROM post_tag WHERE tag_id = NEW.id LOOP
        PERFORM post_search_refresh(tagged);
    END LOOP;
    RETURN NULL;
END $$;
"""

_PG_TRIGGERS = """
CREATE TRIGGER post_search_post AFTER INSERT OR DELETE OR UPDATE OF id, title, dek, body
    ON post FOR EACH ROW EXECUTE FUNCTION post_search_on_post();
CREATE TRIGGER post_search_key_point AFTER INSERT OR UPDATE OR DELETE
    ON key_point FOR EACH ROW EXECUTE FUNCTION post_search_on_child();
CREATE TRIGGER post_search_post_tag AFTER INSERT OR UPDATE OR DELETE
    ON post_tag FOR EACH ROW EXECUTE FUNCTION post_search_on_child();
CREATE TRIGGER post_search_tag AFTER UPDATE OF name
    ON tag FOR EACH ROW EXECUTE FUNCTION post_search_on_tag();
"""


def _pg_upgrade() -> None:
    # No foreign key to post: rows are removed by the triggers, and a cascade that deletes
    # key points after their post must not trip over a constraint while refreshing.
    op.execute(
        "CREATE TABLE post_search ("
        "post_id integer PRIMARY KEY, document tsvector NOT NULL, plain text NOT NULL)"
    )
    op.execute("CREATE INDEX ix_post_search_document ON post_search USING gin (document)")
    op.execute(_PG_FUNCTIONS)
    op.execute(_PG_TRIGGERS)
    op.execute("SELECT post_search_refresh(id) FROM post")


def _pg_downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS post_search_tag ON tag")
    op.execute("DROP TRIGGER IF EXISTS post_search_post_tag ON post_tag")
    op.execute("DROP TRIGGER IF EXISTS post_search_key_point ON key_point")
    op.execute("DROP TRIGGER IF EXISTS post_search_post ON post")
    op.execute("DROP FUNCTION IF EXISTS post_search_on_tag()")
    op.execute("DROP FUNCTION IF EXISTS post_search_on_child()")
    op.execute("DROP FUNCTION IF EXISTS post_search_on_post()")
    op.execute("DROP FUNCTION IF EXISTS post_search_refresh(integer)")
    op.execute("DROP TABLE IF EXISTS post_search")


def upgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _sqlite_upgrade()
    elif dialect == "postgresql":
        _pg_upgrade()
    # Other databases get no index; the search page then says search is unavailable.


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _sqlite_downgrade()
    elif dialect == "postgresql":
        _pg_downgrade()
