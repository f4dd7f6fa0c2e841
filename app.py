"""Entry point that lets `flask run` (and gunicorn `app:app`) find the application."""

from blog import create_app

app = create_app()
