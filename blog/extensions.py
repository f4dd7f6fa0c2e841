"""Extensions created unbound here and bound to an app in create_app()."""

from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase

from .csrf import BlogCSRFProtect
from .lazy_cache import LazyCache
from .lazy_migrate import LazyMigrate


class Base(DeclarativeBase):
    """Declarative base shared by every model."""


db = SQLAlchemy(model_class=Base)
csrf = BlogCSRFProtect()  # Flask-WTF's, with a serializer made once (csrf.py)
migrate = LazyMigrate()  # binds Flask-Migrate on first use: workers skip Alembic
login_manager = LoginManager()
login_manager.login_view = "admin.login"
login_manager.login_message = "Please sign in to use the newsroom desk."
# Page fragments and list counts (blog/page_cache.py); per process by default (local_cache.py),
# Redis via CACHE_TYPE/CACHE_REDIS_URL where several processes or machines serve. Flask-Caching
# binds on first use (lazy_cache.py).
cache = LazyCache(with_jinja2_ext=False)  # no template uses {% cache %}
