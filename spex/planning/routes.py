"""Planning routes: thin — read the form, call the domain, render a page or a fragment."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from spex import production, shoptime
from spex.ledger import LedgerError
from spex.auth import office_required
from spex.extensions import db
from spex.forms import FormError, read_date, read_int
from spex.models import (Customer, CustomerOrder, Job, OrderLine, Part, STRATEGIES, utcnow)
from spex.planning import bp, cutplan
from spex.planning.orders import LineRequest, add_calloff, create_order, deliveries
from spex.wip.cache import risk_by_job

PAGE_SIZE = 50
JOB_FILTERS = {"open": ("planned", "released"), "planned": ("planned",), "released": ("released",),
               "complete": ("complete", "closed"), "all": None}


def _record(model, form, name: str, label: str, *, required: bool = True):
    ident = read_int(form, name, label, required=required)
    if ident is None:
        return None
    record = db.session.get(model, ident)
    if record is None or not getattr(record, "active", True):
        raise FormError(name, f"Choose {label} from the list.")
    return record


# --- jobs ----------------------------------------------------------------------------------------

@bp.get("/jobs")
@office_required
def jobs():
    shown = request.args.get("status", "open")
    if shown not in JOB_FILTERS:
        shown = "open"
    q = (request.args.get("q") or "").strip()[:60]
    page = max(1, min(_safe_page(request.args.get("page")), 10_000))
    stmt = (select(Job).join(Part).options(selectinload(Job.part).selectinload(Part.customer),
                                           selectinload(Job.operations))
            .order_by(Job.due_date, Job.number))
    if JOB_FILTERS[shown]:
        stmt = stmt.where(Job.status.in_(JOB_FILTERS[shown]))
    if q:
        like = f"%{q.upper().removeprefix('JOB-')}%"
        stmt = stmt.where(or_(Job.number.ilike(like), Part.number.ilike(f"%{q}%"), Part.description.ilike(f"%{q}%")))
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = db.session.scalars(stmt.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    template = "planning/_job_rows.html" if request.htmx and request.htmx.target == "job-rows" else "planning/jobs.html"
    return render_template(template, jobs=rows, shown=shown, q=q, page=page, total=total, page_size=PAGE_SIZE,
                           filters=JOB_FILTERS, today=shoptime.today(), risks=risk_by_job(db.session, now=utcnow()))


def _safe_page(raw) -> int:
    return int(raw) if raw and str(raw).isdecimal() and len(str(raw)) < 6 else 1


def _job_form_choices():
    parts = db.session.scalars(select(Part).where(Part.active.is_(True)).options(selectinload(Part.customer))
                               .order_by(Part.number)).all()
    lines = db.session.scalars(
        select(OrderLine).join(CustomerOrder).where(CustomerOrder.status == "open", OrderLine.status == "open")
        .options(selectinload(OrderLine.order).selectinload(CustomerOrder.customer), selectinload(OrderLine.part))
        .order_by(CustomerOrder.number, OrderLine.line_no)).all()
    return parts, lines


@bp.route("/jobs/new", methods=["GET", "POST"])
@office_required
def new_job():
    parts, lines = _job_form_choices()
    errors: dict[str, str] = {}
    if request.method == "POST":
        form = request.form
        try:
            part = _record(Part, form, "part_id", "a part")
            quantity = read_int(form, "quantity", "the quantity", high=1_000_000)
            due = read_date(form, "due_date", "the due date")
            line = _record(OrderLine, form, "order_line_id", "an order line", required=False)
            if line is not None and line.part_id != part.id:
                raise FormError("order_line_id", f"That order line is for part {line.part.label}, not {part.label}.")
            job = production.create_job(db.session, part, quantity, due, order_lines=[line] if line else [],
                                        notes=(form.get("notes") or "").strip()[:2000] or None)
            if form.get("release"):
                production.release_job(db.session, job, user_id=current_user.id)
            db.session.commit()
        except FormError as exc:
            db.session.rollback()
            errors[exc.field] = exc.message
        except production.PlanningError as exc:
            db.session.rollback()
            errors["part_id"] = exc.message
        else:
            flash(f"Job {job.number} created" + (" and released to the floor." if job.status == "released" else "."))
            return redirect(url_for("planning.jobs", status="all", q=job.number))
    status = 422 if errors else 200
    return render_template("planning/job_form.html", parts=parts, lines=lines, errors=errors,
                           form=request.form), status


@bp.get("/jobs/<number>/release")
@office_required
def release_page(number: str):
    """Before releasing: the job's cut plan from the stock on hand (remnants first), then the button."""
    job = db.session.scalar(select(Job).where(Job.number == number[:40]))
    if job is None:
        abort(404)
    return render_template("planning/release.html", job=job, cut_plan=cutplan.plan_of(db.session, job))


@bp.post("/jobs/<number>/release")
@office_required
def release_job(number: str):
    job = db.session.scalar(select(Job).where(Job.number == number[:40]))
    if job is None:
        abort(404)
    try:
        production.release_job(db.session, job, user_id=current_user.id)
        plan = cutplan.plan_of(db.session, job)
        db.session.commit()
        message, ok = (f"Job {job.number} released: {job.quantity} pcs wait at op {job.operations[0].seq}. "
                       f"{plan.summary}"), True
    except LedgerError as exc:
        db.session.rollback()
        message, ok = exc.message, False
    if request.htmx:
        # The row comes back whole, so its status and buttons agree with what was just done.
        return render_template("planning/_job_row.html", job=job, today=shoptime.today(), release_message=message,
                               release_ok=ok, risks=risk_by_job(db.session, now=utcnow())), (200 if ok else 422)
    flash(message)
    return redirect(url_for("planning.jobs"))


# --- orders --------------------------------------------------------------------------------------

@bp.get("/orders")
@office_required
def orders():
    q = (request.args.get("q") or "").strip()[:60]
    stmt = (select(CustomerOrder).join(Customer)
            .options(selectinload(CustomerOrder.customer),
                     selectinload(CustomerOrder.lines).selectinload(OrderLine.part),
                     selectinload(CustomerOrder.lines).selectinload(OrderLine.releases))
            .order_by(CustomerOrder.number.desc()))
    if q:
        stmt = stmt.where(or_(CustomerOrder.number.ilike(f"%{q}%"), CustomerOrder.po_number.ilike(f"%{q}%"),
                              Customer.name.ilike(f"%{q}%")))
    rows = db.session.scalars(stmt.limit(200)).all()
    template = "planning/_order_rows.html" if request.htmx and request.htmx.target == "order-rows" else "planning/orders.html"
    return render_template(template, orders=rows, q=q, strategies=STRATEGIES,
                           deliveries=deliveries(db.session, rows, shoptime.today()))


MAX_LINES = 3


@bp.route("/orders/new", methods=["GET", "POST"])
@office_required
def new_order():
    customers = db.session.scalars(select(Customer).where(Customer.active.is_(True)).order_by(Customer.name)).all()
    parts = db.session.scalars(select(Part).where(Part.active.is_(True)).options(selectinload(Part.customer))
                               .order_by(Part.number)).all()
    errors: dict[str, str] = {}
    if request.method == "POST":
        form = request.form
        try:
            customer = _record(Customer, form, "customer_id", "a customer")
            requests = []
            for n in range(1, MAX_LINES + 1):
                if not (form.get(f"part_id_{n}") or "").strip():
                    continue
                strategy = form.get(f"strategy_{n}", "")
                if strategy not in STRATEGIES:
                    raise FormError(f"strategy_{n}", "Choose a delivery strategy.")
                requests.append(LineRequest(
                    part_id=read_int(form, f"part_id_{n}", "a part"),
                    quantity=read_int(form, f"quantity_{n}", "the quantity"),
                    strategy=strategy,
                    due_date=read_date(form, f"due_date_{n}", "the due date", required=strategy != "blanket"),
                    releases=read_int(form, f"releases_{n}", "the number of releases", high=60, required=False) or 1,
                    every_days=read_int(form, f"every_days_{n}", "the days between releases", high=365,
                                    required=False) or 30))
            if not requests:
                raise FormError("part_id_1", "Add at least one line.")
            order = create_order(db.session, customer, (form.get("po_number") or "")[:60], requests)
            db.session.commit()
        except FormError as exc:
            db.session.rollback()
            errors[exc.field] = exc.message
        except production.PlanningError as exc:
            db.session.rollback()
            errors["form"] = exc.message
        else:
            flash(f"Order {order.number} saved for {order.customer.name}.")
            return redirect(url_for("planning.orders", q=order.number))
    return render_template("planning/order_form.html", customers=customers, parts=parts, errors=errors,
                           form=request.form, strategies=STRATEGIES, line_numbers=range(1, MAX_LINES + 1)), \
        (422 if errors else 200)


@bp.post("/orders/lines/<int:line_id>/calloffs")
@office_required
def new_calloff(line_id: int):
    line = db.session.get(OrderLine, line_id)
    if line is None:
        abort(404)
    try:
        quantity = read_int(request.form, "quantity", "the quantity")
        due = read_date(request.form, "due_date", "the due date")
        add_calloff(db.session, line, quantity, due)
        db.session.commit()
        flash(f"Call-off of {quantity} pcs due {due:%b %d} added to {line.order.number} line {line.line_no}.")
    except (FormError, LedgerError) as exc:
        db.session.rollback()
        flash(exc.message, "error")
    return redirect(url_for("planning.orders", q=line.order.number))
