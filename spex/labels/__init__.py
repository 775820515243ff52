"""The label station: label templates from labels/, rendered to PNG, PDF and ZPL, a print queue,
travelers, and the station page where labels are previewed, downloaded and sent to printers."""
from flask import Blueprint

from spex.labels.layouts import LabelError
from spex.labels.queue import print_job, print_jobs, queue_label, queue_labels

bp = Blueprint("labels", __name__, url_prefix="/labels", template_folder="templates",
               static_folder="static", static_url_path="/static")

from spex.labels import routes  # noqa: E402,F401  (registers the station's views on bp)

__all__ = ["bp", "queue_label", "queue_labels", "print_job", "print_jobs", "LabelError"]
