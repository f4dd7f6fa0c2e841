"""The two baselines, served under the same gunicorn settings as the blog.

`GET /` is a Flask hello-world page of 15 KB; `GET /form` renders a CSRF-protected form and
`POST /form` validates it and answers 303 while writing nothing.
"""

import os

from flask import Flask, redirect, render_template_string
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFProtect
from wtforms import StringField
from wtforms.validators import DataRequired, Length

PARAGRAPH = (
    "<p>Hello, world. This paragraph repeats to make a page the size of a short news "
    "article, so the baseline moves as many bytes as a real page does.</p>\n"
)
HELLO_PAGE = (
    "<!doctype html>\n<html lang='en'><head><meta charset='utf-8'><title>Hello</title></head>"
    "<body><h1>Hello, world</h1>\n" + PARAGRAPH * 100 + "</body></html>\n"
)

FORM_PAGE = """<!doctype html><title>Form</title>
<form method="post" action="/form">{{ form.csrf_token }}{{ form.name }}
<button type="submit">Send</button></form>
"""


class NameForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=100)])


app = Flask(__name__)
app.config["SECRET_KEY"] = os.environ.get("BENCH_SECRET", "bench-only-secret")
CSRFProtect(app)


@app.get("/")
def hello() -> str:
    """The 15 KB hello page."""
    return HELLO_PAGE


@app.route("/form", methods=["GET", "POST"])
def form():
    """Render the form; a valid POST is accepted with a 303 and writes nothing."""
    named = NameForm()
    if named.validate_on_submit():
        return redirect("/form", code=303)
    return render_template_string(FORM_PAGE, form=named), 422 if named.is_submitted() else 200
