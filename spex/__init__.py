"""Spex: shop-floor inventory and work-in-progress for precision machine shops.

create_app() builds the Flask application: configuration, extensions, one blueprint per area,
CLI commands and error pages.
"""
import os

from flask import Flask, jsonify, render_template, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, IntegrityError

from spex import config, database, shoptime
from spex.extensions import csrf, db, htmx, login_manager, migrate, sign_in_throttle

# The rooms, for the top bar and the start page's tiles: endpoint, label, roles that see it
# (empty: everyone signed in), what its tile says it is for (None: no tile).
NAV_LINKS = (
    ("home.index", "Home", (), None),
    ("scan.station", "Station", (), "Badge in and scan jobs, material, holds"),
    ("wip.board", "WIP board", (), "Every open job on one screen"),
    ("labels.index", "Labels", (), "Bins, bars, travelers, finished goods"),
    ("planning.jobs", "Jobs", ("planner",), "Create and release jobs; customer orders"),
    ("receiving.receive", "Receive", ("material_handler", "planner"), "Bars and plates of one heat into a bin"),
    ("counts.index", "Counts", ("material_handler", "planner"), "Cycle counts: variances to approve, bins due"),
    ("quality.ncr_list", "NCRs", ("inspector", "planner"), "Non-conformance reports: cause, disposition, closing"),
    ("masters.index", "Masters", ("planner",), "Materials, parts, bins, people, stations"),
    ("shipping.index", "Shipping", ("shipping", "planner"), "Shipments from finished goods, packing lists, cert packs, recall"),
    # The office's room for buying (spex.purchasing is office-only): the dock receives under Receive.
    ("purchasing.orders", "Purchasing", ("planner",), "Purchase orders to suppliers, the buy list, what the dock received"),
    ("metrics.index", "Metrics", ("planner",), "What to buy, reorder points, turnover, on-time, scrap"),
)

_SECURITY_HEADERS = tuple((key, key.lower(), value) for key, value in (
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "SAMEORIGIN"),
    ("Referrer-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
    ("Content-Security-Policy",
     "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
     "script-src 'self'; object-src 'none'; frame-ancestors 'self'; base-uri 'self'; form-action 'self'"),
))
# Only when the site is served over HTTPS (SPEX_SECURE_COOKIES=1): over plain HTTP it would lock browsers out.
_HSTS = ("Strict-Transport-Security", "strict-transport-security", "max-age=31536000; includeSubDomains")
# Every page and fragment shows the shop's own records (jobs, customers, stock, people) to the person who
# opened it: none is kept in a browser's or a proxy's cache for the next person at that PC. A view that
# chose its caching itself (the board's polled rows, the command card's barcodes) keeps its choice, and
# so do the static files.
_NOT_STORED = "no-store"

MIGRATIONS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "migrations")


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    os.makedirs(app.instance_path, exist_ok=True)
    config.load(app)
    if test_config:
        app.config.update(test_config)
    # A pooled PostgreSQL connection can be dropped by the server or the network: test it before use.
    # A SQLite file cannot, and the test (a query) would run inside every scan's write lock.
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS",
                          {"pool_pre_ping": not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")})

    from spex import database  # noqa: F401  (registers the SQLite connection settings)
    from spex import models  # noqa: F401  (registers every table)

    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    htmx.init_app(app)
    # The signed-in user is looked up when a template asks for it, not for every template: a scan's
    # answer never shows it, and the look-up (with its session check) cost more than the fragment.
    login_manager.init_app(app, add_context_processor=False)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to see that page."
    sign_in_throttle.init_app(app)
    shoptime.init_app(app)

    # Before any blueprint adds its rules: every <int:...> in a URL is then one that can be an id.
    from spex.forms import RecordId
    app.url_map.converters["int"] = RecordId
    _register_blueprints(app)
    _register_hooks(app)
    _register_errors(app)

    from spex import cli
    cli.register(app)
    return app


def _register_blueprints(app: Flask) -> None:
    from spex import auth, home
    from spex.labels import bp as labels_bp
    from spex.masters import bp as masters_bp
    from spex.materials import bp as materials_bp
    from spex.metrics import bp as metrics_bp
    from spex.corrections import bp as corrections_bp
    from spex.counts.routes import bp as counts_bp
    from spex.planning import bp as planning_bp
    from spex.purchasing import bp as purchasing_bp
    from spex.quality.routes import bp as quality_bp
    from spex.receiving import bp as receiving_bp
    from spex.scan import bp as scan_bp
    from spex.shipping import bp as shipping_bp
    from spex.wip import bp as wip_bp

    app.register_blueprint(home.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(masters_bp)
    app.register_blueprint(scan_bp)
    app.register_blueprint(wip_bp)
    app.register_blueprint(labels_bp)
    app.register_blueprint(planning_bp)
    app.register_blueprint(receiving_bp)
    app.register_blueprint(metrics_bp)
    app.register_blueprint(materials_bp)
    app.register_blueprint(shipping_bp)
    app.register_blueprint(quality_bp)
    app.register_blueprint(corrections_bp)
    app.register_blueprint(counts_bp)
    app.register_blueprint(purchasing_bp)


def _register_hooks(app: Flask) -> None:
    from spex import database, forms
    from spex.ledger import begin_write

    @app.before_request
    def _refuse_unreadable_characters():
        # Before any view reads a value, and before a POST takes the write lock: a NUL byte in a
        # search or a path would otherwise reach PostgreSQL, which refuses it with an error.
        if forms.unreadable_request(app.view_functions.get(request.endpoint)):
            return _error_response(400, forms.UNREADABLE_TITLE, forms.UNREADABLE_MESSAGE)

    @app.before_request
    def _writers_take_the_lock():
        # Every POST may write; on SQLite it must hold the write lock from its first query on,
        # so a check and the movement it allows cannot interleave with another station's.
        if request.method == "POST":
            view = app.view_functions.get(request.endpoint)
            if not getattr(view, "takes_write_lock_itself", False):
                begin_write(db.session)

    @app.after_request
    def _checkpoint_once_answered(response):
        # A write may have grown SQLite's WAL: copy it back after this answer has gone out.
        if request.method == "POST":
            engine = db.engine  # the server closes the response after the app context has gone
            response.call_on_close(lambda: database.checkpoint_if_due(engine))
        return response

    security_headers = _SECURITY_HEADERS + ((_HSTS,) if app.config.get("SESSION_COOKIE_SECURE") else ())

    @app.after_request
    def _security_headers(response):
        # Each unless the view set its own; one pass over the headers (every scan's answer gets them).
        present = {key.lower() for key in response.headers.keys()}
        for key, lower, value in security_headers:
            if lower not in present:
                response.headers.add(key, value)
        if "cache-control" not in present:  # static files always bring their own
            response.headers.add("Cache-Control", _NOT_STORED)
        return response

    from spex import codes
    app.jinja_env.globals.update(codes=codes, endpoints=app.view_functions, nav_links=NAV_LINKS,
                                 current_user=current_user)


def _error_response(status: int, title: str, message: str):
    from spex.auth import wants_json  # here: spex.auth is loaded with the blueprints, after this package
    if wants_json():
        return jsonify(error=title, message=message), status
    template = "_error_fragment.html" if getattr(request, "htmx", False) else "error.html"
    return render_template(template, status=status, title=title, message=message), status


def _register_errors(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(error):
        return _error_response(400, "Form expired or forged",
                               "The form was missing its security token. Reload the page and try again.")

    @app.errorhandler(400)
    def _bad_request(error):
        return _error_response(400, "Bad request", "The request could not be understood.")

    @app.errorhandler(403)
    def _forbidden(error):
        return _error_response(403, "Not allowed", "Your role does not allow this page or action.")

    @app.errorhandler(404)
    def _not_found(error):
        return _error_response(404, "Not found", "There is nothing at this address.")

    @app.errorhandler(405)
    def _method(error):
        return _error_response(405, "Not allowed", "That action is not available here.")

    @app.errorhandler(413)
    def _too_large(error):
        return _error_response(413, "Too large", "That upload is larger than allowed.")

    @app.errorhandler(IntegrityError)
    def _saved_meanwhile(error):
        # A unique key met at the commit that no form check could see coming: on PostgreSQL two
        # office PCs saving the next job or heat-lot number at the same moment. Nothing was saved.
        db.session.rollback()
        app.logger.warning("unique key met at commit: %s", error.orig)
        return _error_response(409, "Saved by someone else at the same moment",
                               "Someone saved the same number or code just now, so nothing of yours was saved. "
                               "Go back and save again: it takes the next number.")

    @app.errorhandler(DBAPIError)
    def _changed_meanwhile(error):
        # PostgreSQL ended the transaction because another one wanted the same rows at the same
        # moment (a deadlock or serialization conflict): nothing was saved and saving again works.
        # Any other database error is the server's own fault: the 500 page below.
        if not database.lost_a_race(error):
            raise error
        db.session.rollback()
        app.logger.warning("transaction lost a race: %s", error.orig)
        return _error_response(409, "Changed by someone else at the same moment",
                               "Someone changed the same records just now, so nothing of yours was saved. "
                               "Go back and save again.")

    @app.errorhandler(500)
    def _server_error(error):
        db.session.rollback()
        return _error_response(500, "Something went wrong",
                               "Nothing was recorded. Try again; if it happens again, tell the office.")
