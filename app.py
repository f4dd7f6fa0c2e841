"""Entry point that lets `flask run` (and gunicorn `app:app`) find the application."""

import gc

from blog import create_app

app = create_app()

# Everything loaded so far (modules, mappings, templates' code) lives as long as the process.
# Frozen, the collector stops walking those ~80,000 objects in every full collection, which
# under a stream of requests cost about 30 µs per request; about 12 µs is left. Nothing here
# was garbage: a collection at this point finds none.
gc.freeze()
