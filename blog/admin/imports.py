"""The wire-article importer as a desk form (the same parser as `flask import-article`)."""

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from ..articles import create_post
from ..extensions import db
from ..models import Revision
from ..wire import parse_wire_article
from .access import record
from .editing import snapshot
from .forms import WireImportForm


def _uploaded_text(form: WireImportForm) -> str:
    """The uploaded file's text, or the pasted text; ValueError when neither is usable."""
    upload = form.file.data
    if upload and getattr(upload, "filename", ""):
        try:
            return upload.read().decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise ValueError("The file is not UTF-8 text.") from error
    if (form.text.data or "").strip():
        return form.text.data
    raise ValueError("Choose a file or paste the article.")


def import_article():
    """Upload or paste a wire article; it becomes a draft to review in the editor."""
    form = WireImportForm()
    if form.validate_on_submit():
        try:
            article = parse_wire_article(_uploaded_text(form).replace("\r\n", "\n"))
        except ValueError as error:
            form.file.errors = [*form.file.errors, str(error)]
        else:
            post = create_post(
                title=article.title,
                body=article.body_markdown,
                status="draft",
                tags=[t.strip() for t in (form.tags.data or "").split(",") if t.strip()],
                key_points=article.key_points,
                contradictions=article.contradictions,
                sources=article.sources,
                author_id=current_user.id,
                byline=current_user.shown_name,
            )
            db.session.flush()
            db.session.add(
                Revision(post_id=post.id, author_id=current_user.id, snapshot=snapshot(post))
            )
            record("post-import", f"post:{post.id}", post.title)
            db.session.commit()
            flash("Imported as a draft. Check it, then publish.", "info")
            return redirect(url_for("admin.edit_post", post_id=post.id), code=303)
        return render_template("admin/import.html", form=form), 422
    status = 422 if form.is_submitted() else 200
    return render_template("admin/import.html", form=form), status
