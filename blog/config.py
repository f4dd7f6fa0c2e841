"""Default settings: the first of three layers (then instance/config.py, then BLOG_* variables)."""

# SECRET_KEY is deliberately absent: create_app generates one into the instance folder.
SQLALCHEMY_DATABASE_URI = "sqlite:///blog.sqlite"  # relative: Flask-SQLAlchemy puts it in instance/
SQLALCHEMY_ENGINE_OPTIONS: dict = {}

SITE_NAME = "The Riverside Ledger"
SITE_DESCRIPTION = "Local news, checked twice, from a small newsroom."
TIMEZONE = "UTC"
# Discovery (feeds, sitemap, structured data): the public base URL such as
# "https://news.example.org" (None: the address the request came in on), and an absolute or
# site-relative logo URL for NewsMediaOrganization and sharing cards (None: no logo).
SITE_URL: str | None = None
SITE_LOGO: str | None = None
FEED_ENTRIES = 20
SEARCH_RESULTS_PER_PAGE = 10
SEARCH_MAX_QUERY = 200
SEARCH_WINDOW = 500  # only the newest N matching posts are ranked (news: recent first)
SEARCH_CACHE_SECONDS = 600  # longest a cached result page is kept (versions evict sooner)
SITEMAP_URLS_PER_FILE = 50_000  # the protocol's limit; more posts get a sitemap index

POSTS_PER_PAGE = 10

REPLY_MODERATION = "first-time"  # also "all" and "none"
REPLY_FLOOD_SECONDS = 15
REPLY_MIN_SECONDS = 2
REPLY_MAX_LINKS = 2
REPLY_MAX_DEPTH = 5
REPLY_EDIT_MINUTES = 15
REPLY_CLOSE_AFTER_DAYS = None
REPLY_FORM_MAX_AGE_SECONDS = 2 * 60 * 60
REPLY_MODERATION_WORDS: list[str] = []
REPLY_BLOCK_WORDS: list[str] = []

RATELIMIT_STORAGE_URI = "memory://"
# Failed staff sign-ins allowed before 429, per account and per network address.
LOGIN_LIMIT_PER_ACCOUNT = "5 per 15 minutes"
LOGIN_LIMIT_PER_ADDRESS = "20 per 15 minutes"

# Page cache (blog/page_cache.py): per-process by default; "RedisCache" with CACHE_REDIS_URL
# shares it between processes and machines. Keys carry database-kept versions, so either is
# safe with several workers; old versions simply expire.
PAGE_CACHE = True
CACHE_TYPE = "blog.local_cache.LocalCache"  # SimpleCache without pickling
CACHE_DEFAULT_TIMEOUT = 3600
CACHE_THRESHOLD = 2000
CACHE_KEY_PREFIX = "blog:"

MAX_CONTENT_LENGTH = 1024 * 1024
MAX_FORM_MEMORY_SIZE = 1024 * 1024
MAX_FORM_PARTS = 100

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = False
WTF_CSRF_TIME_LIMIT = 2 * 60 * 60

# Security (blog/security.py): host names we answer for (None: any), proxies in front of us
# whose X-Forwarded-* headers we believe, HSTS for TLS sites, header overrides (None: defaults).
TRUSTED_HOSTS: list[str] | None = None
TRUSTED_PROXIES = 0
HSTS_SECONDS = 0
CONTENT_SECURITY_POLICY: str | None = None
PERMISSIONS_POLICY: str | None = None
HEALTHZ_MIN_FREE_BYTES = 1024 * 1024  # /healthz says 503 below this much free disk (SQLite)

MAIL_SERVER = None
MAIL_PORT = 25
MODERATION_EMAIL = None
