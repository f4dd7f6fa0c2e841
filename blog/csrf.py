"""CSRF tokens as Flask-WTF makes and checks them, made cheaper, and the forms' base class.

Flask-WTF builds a new serializer for each token it makes or checks, and signs a token for
every form it builds, even one that is only read (a POST that passes needs none). Here the
serializer is made once per key (with kept signers, see signing.py), a form's token is made
when the form is first rendered, and `BlogCSRFProtect` passes a valid token with that serializer
(anything else goes to Flask-WTF's own check, which refuses it with its own message). The
tokens are the same: Flask-WTF's `validate_csrf` reads ours and ours read its, and a template's
`csrf_token()` (Flask-WTF's) returns the same token within a request.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os

from flask import Flask, current_app, g, request, session
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFProtect, validate_csrf
from itsdangerous import BadData
from wtforms import ValidationError
from wtforms.csrf.core import CSRF, CSRFTokenField
from wtforms.fields import HiddenField
from wtforms.form import BaseForm

from .signing import KeptURLSafeTimedSerializer
from .tracked_config import derived

logger = logging.getLogger(__name__)

SALT = "wtf-csrf-token"  # Flask-WTF's, so either side reads the other's tokens


def _serializer(app: Flask) -> KeptURLSafeTimedSerializer:
    def make(app: Flask) -> KeptURLSafeTimedSerializer:
        key = app.config.get("WTF_CSRF_SECRET_KEY") or app.secret_key
        if not key:
            raise RuntimeError("A secret key is required to use CSRF.")
        return KeptURLSafeTimedSerializer(key, salt=SALT)

    return derived(app, "csrf_serializer", make)


def _new_raw_token() -> str:
    return hashlib.sha1(os.urandom(64)).hexdigest()


def generate_csrf() -> str:
    """flask_wtf.csrf.generate_csrf: this request's signed token, its raw half in the session."""
    app = current_app._get_current_object()
    field_name = app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    request_globals = g._get_current_object()
    token = request_globals.get(field_name)
    if token is None:
        reader_session = session._get_current_object()
        raw = reader_session.get(field_name)
        if raw is None:
            raw = reader_session[field_name] = _new_raw_token()
        try:
            token = _serializer(app).dumps(raw)
        except TypeError:  # something else sat under that session key
            raw = reader_session[field_name] = _new_raw_token()
            token = _serializer(app).dumps(raw)
        setattr(request_globals, field_name, token)
    return token


def token_is_valid(token: str | None) -> bool:
    """What flask_wtf.csrf.validate_csrf accepts, as True or False (it raises, saying why)."""
    app = current_app._get_current_object()
    field_name = app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    raw = session.get(field_name)
    if not token or not isinstance(raw, str):
        return False
    try:
        signed = _serializer(app).loads(token, max_age=app.config.get("WTF_CSRF_TIME_LIMIT", 3600))
    except BadData:
        return False
    return isinstance(signed, str) and hmac.compare_digest(raw, signed)


class BlogCSRFProtect(CSRFProtect):
    """Flask-WTF's CSRFProtect, passing a valid token without building a serializer for it.

    Only the common case is taken here: a checked method over plain HTTP (HTTPS adds Flask-WTF's
    referrer check) with a token that validates. Everything else, a refusal included, is
    Flask-WTF's own `protect`, so its exemptions, messages and error responses are unchanged.
    """

    def protect(self, apply_exemptions: bool = False) -> None:
        if request.method not in current_app.config["WTF_CSRF_METHODS"]:
            return  # what Flask-WTF decides too, after looking up exemptions first
        if not request.is_secure and token_is_valid(self._get_csrf_token()):
            g.csrf_valid = True
            return
        super().protect(apply_exemptions=apply_exemptions)


class _LazyTokenField(CSRFTokenField):
    """The token field, making its token when the form is rendered rather than built."""

    _token: str | None = None

    def process(self, *args, **kwargs) -> None:
        HiddenField.process(self, *args, **kwargs)

    @property
    def current_token(self) -> str:
        if self._token is None:
            self._token = self.csrf_impl.generate_csrf_token(self)
        return self._token

    @current_token.setter
    def current_token(self, value: str) -> None:
        self._token = value


class _FormCSRF(CSRF):
    """Flask-WTF's form CSRF (skipped when CSRFProtect already passed the request), lazily."""

    field_class = _LazyTokenField

    def setup_form(self, form: BaseForm):
        self.meta = form.meta
        return super().setup_form(form)

    def generate_csrf_token(self, csrf_token_field: CSRFTokenField) -> str:
        return generate_csrf()

    def validate_csrf_token(self, form: BaseForm, field: CSRFTokenField) -> None:
        if g.get("csrf_valid", False):
            return
        try:
            validate_csrf(
                field.data,
                self.meta.csrf_secret,
                self.meta.csrf_time_limit,
                self.meta.csrf_field_name,
            )
        except ValidationError as error:
            logger.info(error.args[0])
            raise


class BlogForm(FlaskForm):
    """Every form of the site: FlaskForm with the lazy token above."""

    class Meta:
        csrf_class = _FormCSRF
