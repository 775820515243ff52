"""Gunicorn settings `flask spex serve` runs with (gunicorn -c python:spex.gunicorn_conf)."""
import gc


def post_worker_init(worker):
    # Everything loaded so far (Flask, SQLAlchemy, the models, the templates) lives as long as the
    # worker. Freezing it keeps the collector from walking those objects again on every full
    # collection, which otherwise stalled a scan now and then for 50-100 ms.
    gc.collect()
    gc.freeze()
