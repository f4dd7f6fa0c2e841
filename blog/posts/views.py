"""Reader pages."""

from flask import Blueprint, current_app, render_template
from sqlalchemy import text

from .. import page_cache
from ..extensions import db
from ..health import database_problem
from ..models import Post
from ..replies.threads import render_article_page
from .queries import paginate, public_posts, tag_id_or_404, tag_or_404

bp = Blueprint("posts", __name__)


@bp.get("/")
def index():
    """Show published posts, newest first, a page at a time."""

    def render() -> str:
        page = paginate(public_posts(), current_app.config["POSTS_PER_PAGE"], count_scope="front")
        return render_template("posts/index.html", page=page)

    return page_cache.cached_list_page("front", render)


@bp.get("/posts/<slug>")
def article(slug: str):
    """Show an article with its replies and the reply form."""
    return render_article_page(slug)


@bp.get("/tags/<slug>")
def tag(slug: str):
    """Show the published posts carrying a tag."""
    tag_id = tag_id_or_404(slug)

    def render() -> str:
        found = tag_or_404(slug)
        query = public_posts().where(Post.tags.any(id=found.id))
        scope = f"tag:{found.id}"
        page = paginate(query, current_app.config["POSTS_PER_PAGE"], count_scope=scope)
        return render_template("posts/tag.html", tag=found, page=page)

    return page_cache.cached_list_page(f"tag:{tag_id}", render)


@bp.get("/healthz")
def healthz():
    """Answer 200 when the database answers, 503 otherwise."""
    try:
        db.session.execute(text("SELECT 1"))
        problem = database_problem()  # read-only, disk full, locked: SQLite outages SELECT misses
    except Exception:  # any failure to reach the database is an outage here
        db.session.rollback()
        problem = "unreachable"
    if problem:
        current_app.logger.warning("healthz: %s", problem)
        return "unavailable\n", 503, {"Content-Type": "text/plain; charset=utf-8"}
    return "ok\n", 200, {"Content-Type": "text/plain; charset=utf-8"}
