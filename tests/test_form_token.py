"""The signed stamp in each reply form: render time and nonce, unforgeable, old form still read."""

import time

from itsdangerous import URLSafeSerializer

from blog.replies import form_token


def test_a_stamp_reads_back_its_time_and_a_fresh_nonce(app):
    with app.app_context():
        first, second = form_token.issue(now=1_700_000_000.25), form_token.issue()
        stamp = form_token.read(first)
        assert stamp.rendered_at == 1_700_000_000.25
        assert stamp.nonce and stamp.nonce != form_token.read(second).nonce
        assert abs(form_token.read(second).rendered_at - time.time()) < 5


def test_a_stamp_never_reads_later_than_the_form_was_shown(app):
    """Rounded to the nearest millisecond, 0.0006 s became 0.001 s: a form sent back at once
    had a negative age and was taken for a bot's, even with no minimum time set."""
    with app.app_context():
        for moment in (1_700_000_000.0006, 1_700_000_000.9999, 1_700_000_000.5):
            assert form_token.read(form_token.issue(now=moment)).rendered_at <= moment


def test_forged_or_altered_stamps_read_as_none(app):
    with app.app_context():
        stamp = form_token.issue(now=1_700_000_000.0)
        nonce, _, rest = stamp.partition(":")
        earlier = f"{nonce}:1600000000.000.{rest.rsplit('.', 1)[1]}"  # moved back in time
        for token in (earlier, stamp[:-2] + "xx", "abc:1.0.sig", "", None, "☃"):
            assert form_token.read(token) is None, token
    other = app.config["SECRET_KEY"]
    app.config["SECRET_KEY"] = "another-key"
    with app.app_context():
        assert form_token.read(stamp) is None
    app.config["SECRET_KEY"] = other


def test_a_stamp_in_the_older_json_form_still_reads(app):
    """Forms rendered by the previous release, still open in a reader's browser."""
    with app.app_context():
        older = URLSafeSerializer(app.config["SECRET_KEY"], salt=form_token.SALT)
        stamp = form_token.read(older.dumps(["n0nce", 1_700_000_000.5]))
    assert (stamp.nonce, stamp.rendered_at) == ("n0nce", 1_700_000_000.5)
