"""The reader's reply form and its field rules."""

import re

from flask import current_app, request
from wtforms import BooleanField, Field, StringField, TextAreaField
from wtforms.meta import DefaultMeta
from wtforms.validators import URL, DataRequired, Length, Optional, ValidationError

from ..csrf import BlogForm, generate_csrf
from ..rendering import EMAIL_IN_TEXT
from . import email_check

BODY_MAX = 10_000
NAME_MAX = 100
EMAIL_MAX = 254
WEBSITE_MAX = 200
HONEYPOT_FIELD = "homepage"

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")
_CONTROL_IN_LINE = re.compile(r"[\x00-\x1f\x7f\u202a-\u202e\u2066-\u2069]")


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def no_control_characters(form, field) -> None:
    """Refuse invisible control and direction-override characters, saying so."""
    pattern = _CONTROL if field.name == "body" else _CONTROL_IN_LINE
    if field.data and pattern.search(field.data):
        raise ValidationError("Please remove the invisible control characters from this field.")


def not_an_email_address(form, field) -> None:
    """Names are public: refuse one that holds an email address, saying why."""
    if field.data and EMAIL_IN_TEXT.search(field.data):
        raise ValidationError(
            "Please give a name, not an email address: the name is shown with your reply."
        )


def email_address(form, field) -> None:
    """Accept what email-validator accepts (syntax only), as WTForms' Email validator does."""
    if field.data and not email_check.is_valid(field.data):
        raise ValidationError("Please enter a valid email address, like name@example.com.")


def web_address(form, field) -> None:
    """Accept only http and https addresses."""
    if field.data and not re.match(r"^https?://", field.data, re.IGNORECASE):
        raise ValidationError("A website must start with http:// or https://.")


# Each reply-form field as WTForms binds it, before any data: (field, name, prefix, translations)
_BOUND_ONCE: dict[tuple, Field] = {}


def _copy_of_bound(meta: DefaultMeta, form, unbound_field, options: dict) -> Field:
    """The field WTForms would bind, copied from one bound once per process.

    Binding builds every field from its arguments again (label, flags, validator checks):
    about a tenth of a reply POST. A field's own state (data, raw_data, errors) is only ever
    set after binding, by processing and validating, so a copy of a never-processed field
    starts exactly as a fresh one; what the copies share (label, validators, flags, filters)
    is only read. Only fields built from the class's definition come this way (no FieldList
    or FormField here, whose fields would need their own copies).
    """
    key = (
        unbound_field,
        options.get("name"),
        options.get("prefix", ""),
        id(options.get("translations")),
    )
    prototype = _BOUND_ONCE.get(key)
    if prototype is None:
        prototype = DefaultMeta.bind_field(meta, form, unbound_field, options)
        prototype._form = prototype.meta = None  # kept unprocessed, tied to no form
        _BOUND_ONCE[key] = prototype
    field = object.__new__(type(prototype))  # Field.__new__ would give an UnboundField
    field.__dict__.update(prototype.__dict__)
    field._form, field.meta = form, meta
    return field


class ReplyForm(BlogForm):
    """Comment, name, email, optional website: the fields a reader fills in.

    The hidden controls ride along outside WTForms, as plain values the template writes: the
    view's rules check them (`find_parent`, `form_token.read`, the honeypot) and none of them
    is ever shown back as a field error. The CSRF token is checked by CSRFProtect before the
    view runs, for every POST, so the form carries no token field of its own. Building and
    checking five fields instead of nine takes about 40% less time.
    """

    class Meta:
        csrf = False  # CSRFProtect checks the token; `csrf_token_value` writes it

        def bind_field(self, form, unbound_field, options):
            return _copy_of_bound(self, form, unbound_field, options)

    parent_id: str = ""  # the reply being answered, as its id's digits ("" for the article)
    form_token: str = ""  # this render's signed stamp (form_token.issue)
    csrf_stand_in: str | None = None  # the cached blank form's slot, replaced for each view

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if kwargs.get("formdata", True) is not None and self.is_submitted():
            # The form coming back keeps the reply it answers (checked again when rendered).
            self.parent_id = request.form.get("parent_id", "")[:20]

    def csrf_token_value(self) -> str | None:
        """The token the template writes: this request's, or the cached page's stand-in (None
        where CSRF is switched off, as FlaskForm leaves its token field out then)."""
        if not current_app.config.get("WTF_CSRF_ENABLED", True):
            return None
        return self.csrf_stand_in or generate_csrf()

    body = TextAreaField(
        "Comment",
        validators=[
            DataRequired("Please write a comment."),
            Length(max=BODY_MAX, message=f"A comment can be at most {BODY_MAX:,} characters."),
            no_control_characters,
        ],
    )
    name = StringField(
        "Name",
        filters=[_strip],
        validators=[
            DataRequired("Please give a name to show with your comment."),
            Length(max=NAME_MAX, message=f"A name can be at most {NAME_MAX} characters."),
            no_control_characters,
            not_an_email_address,
        ],
    )
    email = StringField(
        "Email",
        filters=[_strip],
        validators=[
            DataRequired("Please give your email address. It will not be published."),
            Length(
                max=EMAIL_MAX, message=f"An email address can be at most {EMAIL_MAX} characters."
            ),
            no_control_characters,
            email_address,
        ],
    )
    website = StringField(
        "Website",
        filters=[_strip],
        validators=[
            Optional(),
            Length(
                max=WEBSITE_MAX,
                message=f"A website address can be at most {WEBSITE_MAX} characters.",
            ),
            no_control_characters,
            web_address,
            URL(message="Please enter a full web address, like https://example.com."),
        ],
    )
    remember = BooleanField(
        "Save my name, email, and website in this browser for the next time I reply."
    )


class EditReplyForm(BlogForm):
    """The author's own edit of a reply's text, within the edit window."""

    body = TextAreaField(
        "Comment",
        validators=[
            DataRequired("Please write a comment, or withdraw the reply instead."),
            Length(max=BODY_MAX, message=f"A comment can be at most {BODY_MAX:,} characters."),
            no_control_characters,
        ],
    )
