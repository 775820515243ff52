"""Gunicorn settings `flask spex serve` runs with (gunicorn -c python:spex.gunicorn_conf)."""
import gc

# One request at a time per worker process. Measured with four stations scanning flat out on two
# cores (bench/README.md, "Scan station"): threads in a worker contend for the interpreter lock
# while one of them holds the database's write lock, and kept-alive connections stay with the
# worker that took them, so four stations could split 3-1 over two workers and leave one idle.
worker_class = "sync"


def post_worker_init(worker):
    # Everything loaded so far (Flask, SQLAlchemy, the models, the templates) lives as long as the
    # worker. Freezing it keeps the collector from walking those objects again on every full
    # collection, which otherwise stalled a scan now and then for 50-100 ms.
    gc.collect()
    gc.freeze()
