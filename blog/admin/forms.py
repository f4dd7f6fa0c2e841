"""Desk forms: every one a BlogForm (a FlaskForm), so every POST carries a CSRF token."""

import re

from flask_wtf.file import FileField, FileSize
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    PasswordField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    EqualTo,
    InputRequired,
    Length,
    Optional,
    Regexp,
    ValidationError,
)

try:  # WTForms 3.3+ wants SelectChoice objects; older versions take (value, label) tuples
    from wtforms.fields import SelectChoice
except ImportError:  # pragma: no cover

    def SelectChoice(value: str, label: str | None = None):  # noqa: N802
        return (value, label or value)


from ..articles import parse_contradiction_line, parse_source_line
from ..csrf import BlogForm
from ..models import CORRECTION_KINDS, POST_STATUSES
from ..moderation_settings import MAX_WORD_LENGTH, MAX_WORDS, split_words

MAX_LINES = 50
MAX_LINE = 1000
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def lines_of(text: str | None) -> list[str]:
    """Non-blank lines, trimmed."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


# C0 controls other than tab and line breaks: no one types them, PostgreSQL refuses NUL in
# text, and a title or byline carrying them breaks feeds and JSON-LD.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def no_control_characters(form, field) -> None:
    if isinstance(field.data, str) and _CONTROL.search(field.data):
        raise ValidationError("Please remove the invisible control characters from this field.")


class DeskForm(BlogForm):
    """A BlogForm whose every text field refuses control characters, with a clear message."""

    class Meta:
        def bind_field(self, form, unbound_field, options):
            field = unbound_field.bind(form=form, **options)
            if isinstance(field, StringField):  # text areas and passwords too
                field.validators = [*field.validators, no_control_characters]
            return field


def _check_lines(field, what: str) -> None:
    lines = lines_of(field.data)
    if len(lines) > MAX_LINES:
        raise ValidationError(f"At most {MAX_LINES} {what}, one a line; there are {len(lines)}.")
    for number, line in enumerate(lines, start=1):
        if len(line) > MAX_LINE:
            raise ValidationError(f"Line {number} is longer than {MAX_LINE} characters.")


class LoginForm(DeskForm):
    username = StringField("Username", [DataRequired(), Length(max=64)], filters=[_strip])
    password = PasswordField("Password", [DataRequired(), Length(max=200)])
    submit = SubmitField("Sign in")


class PostForm(DeskForm):
    """The article editor: the text, its structured parts, and when readers see it."""

    title = StringField("Headline", [DataRequired(), Length(max=300)], filters=[_strip])
    slug = StringField(
        "Slug",
        [Optional(), Length(max=80)],
        filters=[_strip],
        description="Made from the headline when left empty; kept unique.",
    )
    dek = TextAreaField("Summary (dek)", [Optional(), Length(max=1000)], filters=[_strip])
    dateline = StringField("Dateline", [Optional(), Length(max=120)], filters=[_strip])
    byline = StringField("Byline", [Optional(), Length(max=120)], filters=[_strip])
    body = TextAreaField("Body (Markdown)", [DataRequired(), Length(max=200_000)])
    key_points = TextAreaField("Key points", [Optional()], description="One a line.")
    contradictions = TextAreaField(
        "Contradictions",
        [Optional()],
        description="One a line; cite sources by number: Statement [1, 2].",
    )
    sources = TextAreaField("Sources", [Optional()], description="One a line: Name | URL")
    tags = StringField(
        "Tags", [Optional(), Length(max=500)], filters=[_strip], description="Comma-separated."
    )
    status = SelectField(
        "Status", choices=[SelectChoice(s, s.capitalize()) for s in POST_STATUSES], default="draft"
    )
    published_at = DateTimeLocalField(
        "Publication time", [Optional()], format=DATETIME_FORMATS, render_kw={"step": "60"}
    )
    replies_open = BooleanField("Replies open", default=True)
    preview = SubmitField("Preview")
    save = SubmitField("Save")

    def validate_key_points(self, field) -> None:
        _check_lines(field, "key points")

    def validate_sources(self, field) -> None:
        _check_lines(field, "sources")
        for number, line in enumerate(lines_of(field.data), start=1):
            name, url = parse_source_line(line)
            if not name:
                raise ValidationError(f"Source {number} needs a name before the |.")
            if len(name) > 200 or len(url) > 500:
                raise ValidationError(f"Source {number} is too long (name 200, URL 500).")
            if url and not url.lower().startswith(("http://", "https://")):
                raise ValidationError(
                    f"Source {number}: the URL must start with http:// or https://"
                )

    def validate_contradictions(self, field) -> None:
        _check_lines(field, "contradictions")
        source_count = len(lines_of(self.sources.data))
        for number, line in enumerate(lines_of(field.data), start=1):
            item = parse_contradiction_line(line)
            if not item.statement:
                raise ValidationError(f"Contradiction {number} has no statement.")
            missing = [n for n in item.source_numbers if not 0 < n <= source_count]
            if missing:
                raise ValidationError(
                    f"Contradiction {number} cites source {missing[0]}, but there "
                    f"{'is' if source_count == 1 else 'are'} {source_count} "
                    f"source{'' if source_count == 1 else 's'}."
                )

    def validate_tags(self, field) -> None:
        names = [n.strip() for n in (field.data or "").split(",") if n.strip()]
        if len(names) > 20:
            raise ValidationError("At most 20 tags.")
        if any(len(n) > 60 for n in names):
            raise ValidationError("A tag can have at most 60 characters.")

    def validate(self, extra_validators=None) -> bool:
        """Field checks, then: a scheduled post needs a time (Optional() skips empty fields)."""
        valid = super().validate(extra_validators)
        empty = self.published_at.data is None and not self.published_at.errors
        if self.status.data == "scheduled" and empty:
            self.published_at.errors.append("A scheduled post needs a publication time.")
            valid = False
        return valid


class CorrectionForm(DeskForm):
    kind = SelectField("Kind", choices=[SelectChoice(k, k) for k in CORRECTION_KINDS])
    text = TextAreaField("Note", [DataRequired(), Length(max=2000)], filters=[_strip])
    add_note = SubmitField("Add note")


class StaffReplyForm(DeskForm):
    body = TextAreaField("Your reply", [DataRequired(), Length(max=10_000)])


class WireImportForm(DeskForm):
    file = FileField("Wire article file (plain text)", [FileSize(max_size=512 * 1024)])
    text = TextAreaField("Or paste the article", [Optional(), Length(max=200_000)])
    tags = StringField("Tags", [Optional(), Length(max=500)], description="Comma-separated.")
    submit = SubmitField("Import as draft")


_USERNAME = Regexp(r"^[A-Za-z0-9_.-]+$", message="Letters, digits, dots, dashes, underscores.")


class UserForm(DeskForm):
    username = StringField("Username", [DataRequired(), Length(max=64), _USERNAME])
    display_name = StringField("Display name", [Optional(), Length(max=100)], filters=[_strip])
    password = PasswordField("Password", [DataRequired(), Length(min=8, max=200)])
    role = SelectField(
        "Role", choices=[SelectChoice("editor", "Editor"), SelectChoice("admin", "Admin")]
    )
    submit = SubmitField("Add account")


class PasswordForm(DeskForm):
    current_password = PasswordField("Current password", [InputRequired()])
    new_password = PasswordField("New password", [DataRequired(), Length(min=8, max=200)])
    confirm = PasswordField(
        "New password again", [EqualTo("new_password", message="The two passwords differ.")]
    )
    submit = SubmitField("Change password")


def _check_word_list(form, field) -> None:
    words = split_words(field.data)
    if len(words) > MAX_WORDS:
        raise ValidationError(f"At most {MAX_WORDS} entries; there are {len(words)}.")
    if any(len(w) > MAX_WORD_LENGTH for w in words):
        raise ValidationError(f"An entry can have at most {MAX_WORD_LENGTH} characters.")


class WordListsForm(DeskForm):
    moderation_words = TextAreaField(
        "Hold for moderation", [_check_word_list], description="One word or phrase a line."
    )
    block_words = TextAreaField(
        "Mark as spam", [_check_word_list], description="One word or phrase a line."
    )
    submit = SubmitField("Save word lists")
