"""The reader's reply form and its field rules."""

import re

from wtforms import BooleanField, HiddenField, StringField, TextAreaField
from wtforms.validators import URL, DataRequired, Email, Length, Optional, ValidationError

from ..csrf import BlogForm
from ..rendering import EMAIL_IN_TEXT

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


def web_address(form, field) -> None:
    """Accept only http and https addresses."""
    if field.data and not re.match(r"^https?://", field.data, re.IGNORECASE):
        raise ValidationError("A website must start with http:// or https://.")


class ReplyForm(BlogForm):
    """Comment, name, email, optional website; anti-spam fields ride along unseen."""

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
            Email(
                "Please enter a valid email address, like name@example.com.",
                check_deliverability=False,
            ),
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
    parent_id = HiddenField()
    remember = BooleanField(
        "Save my name, email, and website in this browser for the next time I reply."
    )
    form_token = HiddenField()
    homepage = StringField("Leave this field empty")


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
