"""The article editor: write, preview, save with a revision, typed notes, restore."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import func, select

from .. import clock
from ..extensions import db
from ..models import Correction, Post, Revision
from ..templating import local_time
from .access import record
from .editing import apply, form_data, input_from_form, preview_article, read_snapshot, restore
from .editing import snapshot as take_snapshot
from .forms import CorrectionForm, PostForm
from .timezones import utc_to_local

INVALID = "Please correct the marked fields; nothing you typed was lost."


def _post_or_404(post_id: int) -> Post:
    post = db.session.get(Post, post_id)
    if post is None:
        abort(404)
    return post


def _revisions(post: Post | None) -> list[Revision]:
    if post is None or post.id is None:
        return []
    return list(
        db.session.scalars(
            select(Revision)
            .where(Revision.post_id == post.id)
            .order_by(Revision.created_at.desc(), Revision.id.desc())
        )
    )


def _render(form: PostForm, post: Post | None, status: int = 200, **extra):
    return (
        render_template(
            "admin/editor.html",
            form=form,
            post=post,
            note_form=CorrectionForm(formdata=None) if post else None,
            revisions=_revisions(post),
            now=clock.now(),
            **extra,
        ),
        status,
    )


def _schedule_in_past(form: PostForm, post: Post | None) -> bool:
    """A newly chosen scheduled time that has already passed (an unchanged one is fine)."""
    if form.status.data != "scheduled" or form.published_at.data is None:
        return False
    typed = form.published_at.data
    if post is not None and post.published_at and utc_to_local(post.published_at) == typed:
        return False
    return input_from_form(form).published_at <= clock.now()


def _saved_message(post: Post) -> Markup:
    if post.status == "draft":
        return Markup("Draft saved.")
    when = local_time(post.published_at)
    if post.is_public():
        return Markup('Saved and published. <a href="{}">View the article</a>.').format(post.path)
    return Markup("Saved. It will appear on the site at {}.").format(when)


def _editor(post: Post | None):
    """GET shows the form; POST previews or saves (Post/Redirect/Get)."""
    if request.method == "GET":
        form = PostForm(data=form_data(post)) if post else PostForm()
        if post is None:
            form.byline.data = current_user.shown_name
        return _render(form, post)

    form = PostForm()
    valid = form.validate()
    if valid and _schedule_in_past(form, post):
        form.published_at.errors.append(
            "That time has passed. Pick a time in the future, or choose Published."
        )
        valid = False
    if not valid:
        return _render(form, post, 422, message=INVALID)
    data = input_from_form(form)
    if post is not None and post.published_at is not None:
        if form.published_at.data == utc_to_local(post.published_at):
            data.published_at = post.published_at  # unchanged: keep the seconds the form drops
    if form.preview.data:
        return _render(form, post, preview=preview_article(data, post))

    is_new = post is None
    if post is None:
        post = Post(author_id=current_user.id)
    apply(post, data)
    db.session.add(post)
    db.session.flush()
    _keep_revision(post)
    record("post-create" if is_new else "post-edit", f"post:{post.id}", post.title)
    db.session.commit()
    flash(_saved_message(post), "info")
    return redirect(url_for("admin.edit_post", post_id=post.id), code=303)


def _keep_revision(post: Post) -> None:
    """Snapshot the post as it now stands, signed by the staff member saving it."""
    db.session.add(
        Revision(
            post_id=post.id,
            author_id=current_user.id,
            created_at=clock.now(),
            snapshot=take_snapshot(post),
        )
    )


def new_post():
    """Write a new article."""
    return _editor(None)


def edit_post(post_id: int):
    """Edit an article; every save keeps a revision."""
    return _editor(_post_or_404(post_id))


def posts():
    """Every article, newest first, with its status."""
    status = request.args.get("status", "")
    query = select(Post).order_by(Post.modified_at.desc(), Post.id.desc())
    if status in ("draft", "scheduled", "published"):
        query = query.where(Post.status == status)
    page = db.paginate(query, per_page=50, error_out=False)
    return render_template("admin/posts.html", page=page, status=status, now=clock.now())


def add_note(post_id: int):
    """Add a Correction, Clarification or Update; only this moves the visible "Updated" time."""
    post = _post_or_404(post_id)
    note_form = CorrectionForm()
    if not note_form.validate():
        form = PostForm(data=form_data(post))
        return (
            render_template(
                "admin/editor.html",
                form=form,
                post=post,
                note_form=note_form,
                revisions=_revisions(post),
                now=clock.now(),
                message=INVALID,
            ),
            422,
        )
    now = clock.now()
    db.session.add(
        Correction(
            post_id=post.id,
            kind=note_form.kind.data,
            text=note_form.text.data,
            created_at=now,
            author_id=current_user.id,
        )
    )
    post.updated_at = now
    record("note-add", f"post:{post.id}", f"{note_form.kind.data}: {note_form.text.data}")
    db.session.commit()
    flash(f"{note_form.kind.data} added; the article now shows it as updated.", "info")
    return redirect(url_for("admin.edit_post", post_id=post.id, _anchor="notes"), code=303)


def show_revision(revision_id: int):
    """One saved version of an article, read-only, with a button to restore it."""
    revision = db.session.get(Revision, revision_id)
    if revision is None:
        abort(404)
    number = db.session.scalar(
        select(func.count(Revision.id)).where(
            Revision.post_id == revision.post_id, Revision.id <= revision.id
        )
    )
    return render_template(
        "admin/revision.html",
        revision=revision,
        number=number,
        data=read_snapshot(revision.snapshot),
        post=db.session.get(Post, revision.post_id),
    )


def restore_revision(revision_id: int):
    """Restore a revision's text and parts (as a new revision, so nothing is lost)."""
    revision = db.session.get(Revision, revision_id)
    if revision is None:
        abort(404)
    post = _post_or_404(revision.post_id)
    restore(post, revision.snapshot)
    db.session.flush()
    _keep_revision(post)
    record("post-restore", f"post:{post.id}", f"restored revision {revision.id}")
    db.session.commit()
    flash("Revision restored. The version it replaced is kept in the list below.", "info")
    return redirect(url_for("admin.edit_post", post_id=post.id), code=303)
