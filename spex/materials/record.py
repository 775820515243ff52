"""Material in: what the lot page, the unit page and the job page show of a lot beyond its ledger —
its cert's figures against the limits, its receiving holds, its corrections."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from spex import shoptime
from spex.materials import millcerts, trace
from spex.models import Material, MaterialLot, MillCert, ReceivingHold


def _checks(material: Material, cert: MillCert) -> list[dict]:
    """Each figure on the cert beside its limit: the chemistry, then the mechanical properties."""
    limits = {lim.property: lim for lim in material.limits}
    rows = []
    props = [e.element for e in cert.elements] + [p for p in limits if p not in millcerts.MECHANICAL
                                                  and p not in {e.element for e in cert.elements}]
    props += [p for p in millcerts.MECHANICAL if millcerts.cert_value(cert, p) is not None or p in limits]
    for prop in props:
        name, unit = millcerts.PROPERTIES.get(prop, (prop, ""))
        value = millcerts.cert_value(cert, prop)
        limit = limits.get(prop)
        verdict = "ok"
        if limit is not None:
            if value is None:
                verdict = "missing"
            elif limit.minimum is not None and value < limit.minimum:
                verdict = "low"
            elif limit.maximum is not None and value > limit.maximum:
                verdict = "high"
        rows.append({"property": prop, "name": name, "unit": unit,
                     "value": millcerts.figure(value) if value is not None else None,
                     "limit": millcerts.limit_words(limit.minimum, limit.maximum, unit) if limit else None,
                     "verdict": verdict, "mechanical": prop in millcerts.MECHANICAL})
    return rows


def cert_summary(material: Material, cert: MillCert | None) -> dict | None:
    if cert is None:
        return None
    return {"type": cert.cert_type, "standard": cert.standard, "grade": cert.grade, "heat_number": cert.heat_number,
            "entered_by": cert.entered_by.name if cert.entered_by else None,
            "entered_at": cert.entered_at.isoformat(), "date": shoptime.local_date(cert.entered_at).isoformat(),
            "figures": _checks(material, cert)}


def hold_summary(hold: ReceivingHold) -> dict:
    return {"reason": hold.reason, "open": hold.released_at is None, "placed_at": hold.placed_at.isoformat(),
            "placed_date": shoptime.local_date(hold.placed_at).isoformat(),
            "released_at": hold.released_at.isoformat() if hold.released_at else None,
            "released_date": shoptime.local_date(hold.released_at).isoformat() if hold.released_at else None,
            "released_by": hold.released_by.name if hold.released_by else None,
            "release_reason": hold.release_reason}


def _certs_and_holds(session: Session, lot_ids):
    certs: dict[int, MillCert] = {}
    for cert in session.scalars(select(MillCert).where(MillCert.lot_id.in_(lot_ids))
                                .options(selectinload(MillCert.elements), joinedload(MillCert.entered_by))
                                .order_by(MillCert.id)):
        certs[cert.lot_id] = cert  # the latest stands
    holds: dict[int, list] = {}
    for hold in session.scalars(select(ReceivingHold).where(ReceivingHold.lot_id.in_(lot_ids))
                                .options(joinedload(ReceivingHold.released_by)).order_by(ReceivingHold.id)):
        holds.setdefault(hold.lot_id, []).append(hold_summary(hold))
    return certs, holds


def lot_record(session: Session, lot: MaterialLot) -> dict:
    material = session.scalar(select(Material).where(Material.id == lot.material_id)
                              .options(selectinload(Material.limits)))
    certs, holds = _certs_and_holds(session, [lot.id])
    moved = trace.first_movement(session, lot.id)
    return {"cert": cert_summary(material, certs.get(lot.id)), "holds": holds.get(lot.id, []),
            "on_hold": any(h["open"] for h in holds.get(lot.id, [])),
            "corrections": trace.corrections_of(session, [lot.id]).get(lot.id, []),
            "first_moved": shoptime.local_date(moved.created_at).isoformat() if moved else None,
            "limits": [{"property": lim.property, "words": millcerts.limit_words(
                lim.minimum, lim.maximum, millcerts.PROPERTIES.get(lim.property, ("", ""))[1])}
                for lim in material.limits]}


def for_job(session: Session, materials: list[dict]) -> list[dict]:
    """The job's lots (spex.wip.status.materials_used) with each one's cert figures, holds and corrections."""
    numbers = [m["lot"] for m in materials]
    if not numbers:
        return materials
    lots = {lot.number: lot for lot in session.scalars(
        select(MaterialLot).where(MaterialLot.number.in_(numbers))
        .options(joinedload(MaterialLot.material).selectinload(Material.limits)))}
    ids = [lot.id for lot in lots.values()]
    certs, holds = _certs_and_holds(session, ids)
    corrections = trace.corrections_of(session, ids)
    for entry in materials:
        lot = lots[entry["lot"]]
        entry["cert"] = cert_summary(lot.material, certs.get(lot.id))
        entry["receiving_holds"] = holds.get(lot.id, [])
        entry["corrections"] = corrections.get(lot.id, [])
    return materials
