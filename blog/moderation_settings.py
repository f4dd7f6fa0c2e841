"""Reply word lists: the deployer's config plus the lists staff edit at the desk."""

from flask import current_app
from sqlalchemy import or_, select

from .extensions import db
from .models import Setting
from .plain_sql import PlainSelect

# Config key -> Setting key holding the desk's additions (one word or phrase a line).
SETTING_KEYS = {
    "REPLY_MODERATION_WORDS": "reply_moderation_words",
    "REPLY_BLOCK_WORDS": "reply_block_words",
}
MAX_WORDS = 500
MAX_WORD_LENGTH = 100


def split_words(text: str) -> list[str]:
    """One entry a line, trimmed, blank lines and repeats dropped (case-insensitive)."""
    words: list[str] = []
    seen: set[str] = set()
    for line in (text or "").splitlines():
        word = " ".join(line.split())
        if word and word.lower() not in seen:
            seen.add(word.lower())
            words.append(word)
    return words


def desk_words(config_key: str) -> list[str]:
    """The words staff added at the desk for this list."""
    value = db.session.scalar(select(Setting.value).where(Setting.key == SETTING_KEYS[config_key]))
    return split_words(value or "")


def save_desk_words(config_key: str, words: list[str]) -> None:
    """Store the desk's list (the caller commits)."""
    key = SETTING_KEYS[config_key]
    setting = db.session.get(Setting, key)
    if setting is None:
        setting = Setting(key=key)
        db.session.add(setting)
    setting.value = "\n".join(words)


def words(config_key: str) -> list[str]:
    """Config words followed by the desk's words, without repeats: what the reply rules use."""
    return _combined(config_key, desk_words(config_key))


_BOTH_LISTS = PlainSelect(
    select(Setting.key, Setting.value).where(
        or_(*(Setting.key == key for key in SETTING_KEYS.values()))
    )
)


def all_words(site_version: int | None = None) -> dict[str, list[str]]:
    """Every list `words()` gives, keyed by config key, read in one statement (the reply
    POST needs both lists, and each statement is a good share of that request's time).

    With `site_version` (the site-wide cache version, which a trigger bumps on every change to
    the settings table) the lists are read and combined once per version, config change and
    process; callers only read them.
    """
    if site_version is None:
        return _all_combined()
    app = current_app._get_current_object()
    key = (site_version, getattr(app.config, "generation", None))
    known = app.extensions.get("desk_word_lists")
    if known is None or known[0] != key or key[1] is None:
        known = app.extensions["desk_word_lists"] = (key, _all_combined())
    return known[1]


def _all_combined() -> dict[str, list[str]]:
    stored = {row.key: row.value for row in _BOTH_LISTS.all()}
    return {
        config_key: _combined(config_key, split_words(stored.get(setting_key) or ""))
        for config_key, setting_key in SETTING_KEYS.items()
    }


def _combined(config_key: str, desk: list[str]) -> list[str]:
    combined = list(current_app.config.get(config_key) or []) + desk
    return split_words("\n".join(combined))
