"""Error pages, registered once for the whole site."""

from flask import Flask, current_app, render_template, request
from flask.globals import request_ctx
from markupsafe import escape
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from werkzeug.exceptions import HTTPException

from .extensions import db
from .replies import form_token
from .replies.forms import ReplyForm

MESSAGES = {
    400: ("Bad request", "The request could not be understood. Please go back and try again."),
    403: ("Not allowed", "You are not allowed to do that here."),
    404: (
        "Page not found",
        "There is no page at this address. It may have moved or never existed.",
    ),
    405: ("Method not allowed", "This address does not accept that kind of request."),
    409: ("Already sent", "This was sent before."),
    413: (
        "Too large",
        "What you sent is larger than this site accepts. Please shorten it and send it again.",
    ),
    422: ("Please check the form", "Some of what was sent could not be accepted."),
    429: ("Too many requests", "Please wait a little before trying again."),
    500: ("Something went wrong", "The error has been noted. Please try again in a moment."),
    503: (
        "Briefly unavailable",
        "The site is briefly unavailable. Please try again in a minute.",
    ),
}


def render_error(code: int, message: str | None = None):
    """Render the shared error page with the given status."""
    title, default_message = MESSAGES.get(code, ("Error", "Something went wrong."))
    return (
        render_template(
            "errors/error.html", code=code, title=title, message=message or default_message
        ),
        code,
    )


PLAIN_ERROR = (
    "<!doctype html><html lang=en><meta charset=utf-8><title>{title}</title>"
    "<main><h1>{title}</h1></main></html>"
)
RETRY_AFTER_SECONDS = 30
UNAVAILABLE_FALLBACK = (
    "<!doctype html><html lang=en><meta charset=utf-8><title>Briefly unavailable</title>"
    "<main><h1>Briefly unavailable</h1><p>{message}</p></main></html>"
)


def render_unavailable():
    """503 without touching the database; a reply being sent comes back in a form, unsaved."""
    title, message = MESSAGES[503]
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    try:
        form = None
        if request.endpoint == "replies.create" and request.method == "POST":
            form = ReplyForm()  # binds to request.form: the reader's typed text, no query
            form.form_token = form_token.issue()
        page = render_template(
            "errors/unavailable.html",
            title=title,
            message=message,
            form=form,
            action=request.path,
        )
    except Exception:  # a broken page must not hide the outage behind a 500
        current_app.logger.exception("could not render the 503 page")
        page = UNAVAILABLE_FALLBACK.format(message=escape(message))
    return page, 503, headers


def init_app(app: Flask) -> None:
    """Register one handler for HTTP errors, one for database outages, one for the rest."""

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code is None or error.code < 400:
            return error
        if request_ctx.url_adapter is None:  # Host not in TRUSTED_HOSTS: no URL can be built
            title = MESSAGES.get(error.code, ("Error", ""))[0]
            return PLAIN_ERROR.format(title=escape(title)), error.code
        custom = error.description if error.description != type(error).description else None
        response = render_error(error.code, custom)
        if error.code == 405 and hasattr(error, "valid_methods") and error.valid_methods:
            return response[0], 405, {"Allow": ", ".join(error.valid_methods)}
        return response

    @app.errorhandler(OperationalError)
    def database_unavailable(error: OperationalError):
        try:
            db.session.rollback()  # nothing half-written: the failed commit is undone
        except SQLAlchemyError:
            pass
        app.logger.warning("database unavailable: %s", error)
        return render_unavailable()

    @app.errorhandler(500)
    def server_error(error):
        db.session.rollback()
        return render_error(500)
