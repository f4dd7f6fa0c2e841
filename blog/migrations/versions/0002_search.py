"""full-text search index kept in step with posts, key points and tags

SQLite: an FTS5 table `post_search` (rowid = post.id) refreshed by triggers.
PostgreSQL: a table `post_search` holding a weighted tsvector per post, with a GIN index,
refreshed at commit (deferred trigger) for every post the transaction touched.

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

# Deferred and set-based. Changes only note the post ids in `post_search_dirty`; at commit a
# deferred constraint trigger re-indexes every noted post in one statement. A post saved with
# five key points and three tags is indexed once, and a bulk load of thousands of posts in one
# transaction costs one pass instead of one pass per row.
_PG_FUNCTIONS = """
CREATE FUNCTION post_search_refresh(targets integer[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM post_search WHERE post_id = ANY(targets);
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
    WHERE p.id = ANY(targets);
END $$;

CREATE FUNCTION post_search_note(targets integer[]) RETURNS void LANGUAGE sql AS $$
    INSERT INTO post_search_dirty (post_id)
    SELECT DISTINCT t FROM unnest(targets) AS t WHERE t IS NOT NULL
    ON CONFLICT DO NOTHING;
$$;

CREATE FUNCTION post_search_on_post_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM post_search_note(ARRAY[OLD.id]);
    ELSE
        PERFORM post_search_note(ARRAY[OLD.id, NEW.id]);
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION post_search_on_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'post' THEN
        PERFORM post_search_note(ARRAY(SELECT id FROM changed_new));
    ELSE
        PERFORM post_search_note(ARRAY(SELECT post_id FROM changed_new));
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION post_search_on_child_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM post_search_note(ARRAY(SELECT post_id FROM changed_old));
    RETURN NULL;
END $$;

CREATE FUNCTION post_search_on_child_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM post_search_note(ARRAY(
        SELECT post_id FROM changed_old UNION SELECT post_id FROM changed_new));
    RETURN NULL;
END $$;

CREATE FUNCTION post_search_on_tag() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM post_search_note(ARRAY(
        SELECT pt.post_id FROM post_tag AS pt JOIN changed_new AS t ON t.id = pt.tag_id));
    RETURN NULL;
END $$;

-- Fires at commit once per noted row: the first firing takes every noted id and re-indexes
-- them together; the later ones find nothing left to do.
CREATE FUNCTION post_search_flush() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    noted integer[];
BEGIN
    WITH taken AS (DELETE FROM post_search_dirty RETURNING post_id)
    SELECT array_agg(post_id) INTO noted FROM taken;
    IF noted IS NOT NULL THEN
        PERFORM post_search_refresh(noted);
    END IF;
    RETURN NULL;
END $$;
"""

_PG_TRIGGERS = """
CREATE TRIGGER post_search_post_insert AFTER INSERT ON post
    REFERENCING NEW TABLE AS changed_new
    FOR EACH STATEMENT EXECUTE FUNCTION post_search_on_inserted();
CREATE TRIGGER post_search_post_change AFTER DELETE OR UPDATE OF id, title, dek, body ON post
    FOR EACH ROW EXECUTE FUNCTION post_search_on_post_row();
CREATE TRIGGER post_search_key_point_insert AFTER INSERT ON key_point
    REFERENCING NEW TABLE AS changed_new
    FOR EACH STATEMENT EXECUTE FUNCTION post_search_on_inserted();
CREATE TRIGGER post_search_key_point_update AFTER UPDATE ON key_point
    REFERENCING OLD TABLE AS changed_old NEW TABLE AS changed_new
    FOR EACH STATEMENT EXECUTE FUNCTION post_search_on_child_updated();
CREATE TRIGGER post_search_key_point_delete AFTER DELETE ON key_point
    REFERENCING OLD TABLE AS changed_old
    FOR EACH STATEMENT EXECUTE FUNCTION post_search_on_child_deleted();
CREATE TRIGGER post_search_post_tag_insert AFTER INSERT ON post_tag
    REFERENCING NEW TABLE AS changed_new
    FOR EACH STATEMENT EXECUTE FUNCTION post_search_on_inserted();
CREATE TRIGGER post_search_post_tag_update AFTER UPDATE ON post_tag
    REFERENCING OLD TABLE AS changed_old NEW TABLE AS changed_new
    FOR EACH STATEMENT EXECUTE FUNCTION post_search_on_child_updated();
CREATE TRIGGER post_search_post_tag_delete AFTER DELETE ON post_tag
    REFERENCING OLD TABLE AS changed_old
    FOR EACH STATEMENT EXECUTE FUNCTION post_search_on_child_deleted();
CREATE TRIGGER post_search_tag AFTER UPDATE ON tag
    REFERENCING NEW TABLE AS changed_new
    FOR EACH STATEMENT EXECUTE FUNCTION post_search_on_tag();
CREATE CONSTRAINT TRIGGER post_search_flush AFTER INSERT ON post_search_dirty
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION post_search_flush();
"""

_PG_TRIGGER_NAMES = [
    ("post_search_post_insert", "post"),
    ("post_search_post_change", "post"),
    ("post_search_key_point_insert", "key_point"),
    ("post_search_key_point_update", "key_point"),
    ("post_search_key_point_delete", "key_point"),
    ("post_search_post_tag_insert", "post_tag"),
    ("post_search_post_tag_update", "post_tag"),
    ("post_search_post_tag_delete", "post_tag"),
    ("post_search_tag", "tag"),
]
_PG_FUNCTION_NAMES = [
    "post_search_flush()",
    "post_search_on_tag()",
    "post_search_on_child_updated()",
    "post_search_on_child_deleted()",
    "post_search_on_inserted()",
    "post_search_on_post_row()",
    "post_search_note(integer[])",
    "post_search_refresh(integer[])",
]


def _pg_upgrade() -> None:
    # No foreign keys to post: rows are removed by the flush, and a cascade that deletes key
    # points after their post must not trip over a constraint while noting the post.
    op.execute(
        "CREATE TABLE post_search ("
        "post_id integer PRIMARY KEY, document tsvector NOT NULL, plain text NOT NULL)"
    )
    op.execute("CREATE INDEX ix_post_search_document ON post_search USING gin (document)")
    op.execute("CREATE TABLE post_search_dirty (post_id integer PRIMARY KEY)")
    op.execute(_PG_FUNCTIONS)
    op.execute(_PG_TRIGGERS)
    op.execute("SELECT post_search_refresh(ARRAY(SELECT id FROM post))")


def _pg_downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS post_search_flush ON post_search_dirty")
    for name, table in _PG_TRIGGER_NAMES:
        op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
    for signature in _PG_FUNCTION_NAMES:
        op.execute(f"DROP FUNCTION IF EXISTS {signature}")
    op.execute("DROP TABLE IF EXISTS post_search_dirty")
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
