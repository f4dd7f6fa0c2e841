"""What Alembic's autogenerate must leave alone: the search index made by migration 0002.

The index (an FTS5 table and its shadow tables on SQLite, a tsvector table on PostgreSQL) is not
in the models' metadata, so without this filter `flask db migrate` would propose dropping it.
"""

SEARCH_TABLE = "post_search"


def include_name(name: str | None, type_: str, parent_names: dict) -> bool:
    """Skip the search index's tables when comparing the database with the models."""
    if type_ == "table" and name and (name == SEARCH_TABLE or name.startswith(SEARCH_TABLE + "_")):
        return False
    return True
