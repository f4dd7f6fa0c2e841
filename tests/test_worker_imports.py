"""What a web worker leaves unloaded: modules only the command line, the mail sender,
migrations or the desk need (each costs every gunicorn worker memory it never uses)."""

import json
import subprocess
import sys

import pytest

from blog.admin import ROUTES, LazyView

CONFIG = """
import json, sys
from blog import create_app

app = create_app({"SECRET_KEY": "x", "INSTANCE_PATH": sys.argv[1],
                  "SQLALCHEMY_DATABASE_URI": "sqlite:///" + sys.argv[1] + "/blog.sqlite"})
"""
# The schema comes from the migrations, as `flask init-db` makes it, in a process of its own
# (Alembic must not be what the worker's module list shows).
SCHEMA = (
    CONFIG
    + """
from blog.database import upgrade_schema
upgrade_schema(app)
"""
)
WORKER = (
    CONFIG
    + """
client = app.test_client()
paths = ("/feed.xml", "/tags/none/feed.xml", "/sitemap.xml")
statuses = [client.get(path).status_code for path in paths]
print(json.dumps({"statuses": statuses, "modules": sorted(sys.modules)}))
"""
)

NOT_IN_WORKERS = [
    "blog.cli",  # commands load when `flask` asks for them (blog/commands.py)
    "blog.admin.cli",
    "blog.demo",
    "smtplib",  # only when a held reply is really emailed
    "xml.etree.ElementTree",  # the feeds write XML with blog/posts/xml_tree.py
    "pyexpat",
    "xml.sax",  # the sitemap escapes with xml_tree too
    "alembic",  # migrations bind on first use (blog/lazy_migrate.py)
    "blog.admin.editor",  # desk views load on the first desk request (blog/admin/__init__.py)
    "blog.admin.forms",
    "blog.admin.moderation",
    # The reply form's email check loads email-validator at the first reply (about 60 ms of
    # start-up with the idna tables it brings: blog/replies/email_check.py).
    "email_validator",
    "idna",
    # A SQLite site never loads the PostgreSQL dialect (a postgresql_* option on a model did).
    "sqlalchemy.dialects.postgresql",
]


def _python(code: str, folder) -> str:
    """Run `code` in a Python of its own on the instance `folder`; what it printed."""
    done = subprocess.run(
        [sys.executable, "-c", code, str(folder)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _report(code: str, folder) -> dict:
    """The JSON report `code` printed last."""
    return json.loads(_python(code, folder).splitlines()[-1])


@pytest.fixture(scope="module")
def worker_modules(tmp_path_factory) -> set[str]:
    folder = tmp_path_factory.mktemp("worker")
    _python(SCHEMA, folder)
    report = _report(WORKER, folder)
    assert report["statuses"] == [200, 404, 200]
    return set(report["modules"])


@pytest.mark.parametrize("module", NOT_IN_WORKERS)
def test_serving_leaves_module_unloaded(worker_modules, module):
    assert module not in worker_modules


def test_command_line_still_lists_every_command(runner):
    result = runner.invoke(args=["--help"])
    assert result.exit_code == 0, result.output
    for command in ("init-db", "seed-demo", "create-user", "import-article", "privacy", "backup"):
        assert command in result.output
    for command in ("set-password", "import-wxr", "export", "db"):
        assert command in result.output


@pytest.mark.parametrize(("rule", "name", "methods", "module"), ROUTES)
def test_every_desk_route_names_a_view_its_module_has(rule, name, methods, module):
    view = LazyView(module, name).view
    assert callable(view) and view.__name__ == name


def test_desk_routes_are_served_by_their_lazy_views(app):
    rules = {r.endpoint: r for r in app.url_map.iter_rules() if r.endpoint.startswith("admin.")}
    assert sorted(rules) == sorted(f"admin.{name}" for _, name, _, _ in ROUTES)
    for rule, name, methods, _ in ROUTES:
        assert rules[f"admin.{name}"].rule == "/admin" + rule
        assert set(methods) <= rules[f"admin.{name}"].methods


HEALTH_FIRST = (
    CONFIG
    + """
from blog.models import Post
status = app.test_client().get("/healthz").status_code
print(json.dumps({"status": status, "configured": Post.__mapper__.configured,
                  "caching": "flask_caching" in sys.modules}))
"""
)


def test_a_worker_answers_its_health_probe_before_configuring_mappers(tmp_path):
    """Configuring every ORM mapper takes about 16 ms and importing Flask-Caching about 7; a
    worker need not do either to answer the probe that tells the load balancer it is up (the
    first page that queries the ORM or reads the cache does)."""
    _python(SCHEMA, tmp_path)
    assert _report(HEALTH_FIRST, tmp_path) == {"status": 200, "configured": False, "caching": False}
