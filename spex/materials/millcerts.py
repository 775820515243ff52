"""Material in: mill certs as records — the figures of an EN 10204 certificate, held against the
material's specification limits. A lot outside them, or without a cert its material requires, goes on
a receiving hold by itself; only an inspector releases it, with a reason.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from spex import codes
from spex.forms import FormError
from spex.materials.holds import open_holds
from spex.models import CERT_TYPES, CertElement, Material, MaterialLot, MillCert, ReceivingHold, utcnow

ELEMENTS = ("C", "Si", "Mn", "P", "S", "Cr", "Ni", "Mo", "Cu", "N", "Ti", "Nb", "V", "W", "Co", "Al", "Fe", "Mg",
            "Zn", "Pb", "Sn", "B", "Se", "Bi", "Zr", "Ta", "Ca", "Sb", "As")
# Mechanical property -> (how people say it, its unit, the MillCert column).
MECHANICAL = {
    "yield": ("Yield strength", "MPa", "yield_mpa"),
    "tensile": ("Tensile strength", "MPa", "tensile_mpa"),
    "elongation": ("Elongation", "%", "elongation_pct"),
    "hardness": ("Hardness", "HB", "hardness_hb"),
}
MECHANICAL_MAX = {"yield": 5000, "tensile": 5000, "elongation": 100, "hardness": 1000}
PROPERTIES = {**{e: (e, "%") for e in ELEMENTS}, **{k: (v[0], v[1]) for k, v in MECHANICAL.items()}}
CHEMISTRY_CHARS = 2000
CHEMISTRY_LINE = re.compile(r"([A-Za-z]{1,2})\s*[:=]?\s*([0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*%?", re.ASCII)
PERCENT_PLACES, MECHANICAL_PLACES = 4, 3
RELEASE_REASON_MIN = 5


@dataclass
class CertFigures:
    cert_type: str
    standard: str
    grade: str
    heat_number: str
    chemistry: dict[str, Decimal] = field(default_factory=dict)
    mechanical: dict[str, Decimal] = field(default_factory=dict)


def figure(value: Decimal) -> str:
    """18 -> 18.0, 0.030 -> 0.03, 19.5 -> 19.5: a figure as a cert prints it."""
    text = format(value.normalize(), "f")
    return text if "." in text else text + ".0"


def _decimal(raw: str, name: str, label: str, places: int, top) -> Decimal:
    text = raw.strip()
    if len(text) > 24 or not re.fullmatch(r"[0-9]+(\.[0-9]*)?|\.[0-9]+", text, re.ASCII):
        raise FormError(name, f"{label} must be a number such as 12.5.")
    value = Decimal(text)
    if value > top:
        raise FormError(name, f"{label} must be at most {top}.")
    exponent = value.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        raise FormError(name, f"{label} is kept to {places} decimal places; {text} has more.")
    return value


def read_chemistry(raw) -> dict[str, Decimal]:
    """'C 0.05, Cr 18.2; Ni 8.1' -> {'C': 0.05, 'Cr': 18.2, 'Ni': 8.1}; anything unreadable is a FormError."""
    text = raw if isinstance(raw, str) else ""
    if len(text) > CHEMISTRY_CHARS:
        raise FormError("cert_chemistry", f"At most {CHEMISTRY_CHARS} characters.")
    found: dict[str, Decimal] = {}
    for piece in re.split(r"[,;\n]+", text):
        piece = piece.strip()
        if not piece:
            continue
        match = CHEMISTRY_LINE.fullmatch(piece)
        if match is None:
            raise FormError("cert_chemistry", f"“{piece[:30]}” is not an element and a %, such as Cr 18.2.")
        symbol = match.group(1).capitalize()
        if symbol not in ELEMENTS:
            raise FormError("cert_chemistry", f"{match.group(1)} is not an element Spex knows "
                                              f"({', '.join(ELEMENTS[:10])}…).")
        if symbol in found:
            raise FormError("cert_chemistry", f"{symbol} is given twice.")
        found[symbol] = _decimal(match.group(2), "cert_chemistry", symbol, PERCENT_PLACES, 100)
    if sum(found.values(), Decimal(0)) > 100:
        raise FormError("cert_chemistry", "The analysis adds up to more than 100 %.")
    return found


CERT_FIELDS = ("cert_type", "cert_standard", "cert_grade", "cert_heat", "cert_chemistry",
               *(f"cert_{name}" for name in MECHANICAL))


def read_cert(form, *, lot_heat: str, required: bool) -> CertFigures | None:
    """The cert's figures from a form (the receiving form's cert block or the lot page's); None when the
    block was left empty and need not be filled in."""
    def text(name):
        value = form.get(name, "")
        return value.strip() if isinstance(value, str) else ""

    if not any(text(name) for name in CERT_FIELDS):
        if required:
            raise FormError("cert_type", "Choose the cert's EN 10204 type and enter what it states.")
        return None
    cert_type = text("cert_type")
    if cert_type not in CERT_TYPES:
        raise FormError("cert_type", "Choose the cert's EN 10204 type (2.1, 2.2, 3.1 or 3.2).")
    heat = text("cert_heat") or lot_heat
    for name, limit in (("cert_standard", 60), ("cert_grade", 60), ("cert_heat", 60)):
        if len(text(name)) > limit:
            raise FormError(name, f"At most {limit} characters.")
    figures = CertFigures(cert_type, text("cert_standard"), text("cert_grade"), heat,
                          read_chemistry(form.get("cert_chemistry")))
    for name, (label, unit, _) in MECHANICAL.items():
        raw = text(f"cert_{name}")
        if raw:
            figures.mechanical[name] = _decimal(raw, f"cert_{name}", label, MECHANICAL_PLACES, MECHANICAL_MAX[name])
    return figures


def latest_cert(session: Session, lot_id: int) -> MillCert | None:
    return session.scalar(select(MillCert).where(MillCert.lot_id == lot_id)
                          .options(selectinload(MillCert.elements)).order_by(MillCert.id.desc()).limit(1))


def cert_value(cert: MillCert, prop: str) -> Decimal | None:
    if prop in MECHANICAL:
        return getattr(cert, MECHANICAL[prop][2])
    return next((e.percent for e in cert.elements if e.element == prop), None)


def limit_words(minimum, maximum, unit) -> str:
    if minimum is not None and maximum is not None:
        return f"{figure(minimum)}–{figure(maximum)} {unit}"
    return f"{figure(minimum)} {unit} min" if minimum is not None else f"{figure(maximum)} {unit} max"


def failures(lot: MaterialLot, material: Material, cert: MillCert | None) -> list[str]:
    """What keeps the lot from use, in the words the station repeats; empty when it conforms."""
    if cert is None:
        return [f"no mill cert figures on file, and {material.code} requires them"] if material.cert_required else []
    found = []
    if cert.heat_number.strip().upper() != lot.heat_number.strip().upper():
        found.append(f"the cert is for heat {cert.heat_number}, the lot is heat {lot.heat_number}")
    for limit in material.limits:
        name, unit = PROPERTIES.get(limit.property, (limit.property, ""))
        value = cert_value(cert, limit.property)
        if value is None:
            found.append(f"{name} not stated on the cert (limit {limit_words(limit.minimum, limit.maximum, unit)})")
        elif limit.minimum is not None and value < limit.minimum:
            found.append(f"{name} {figure(value)} {unit} below {figure(limit.minimum)} {unit} min")
        elif limit.maximum is not None and value > limit.maximum:
            found.append(f"{name} {figure(value)} {unit} above {figure(limit.maximum)} {unit} max")
    return found


def hold_if_outside(session: Session, lot: MaterialLot, user=None) -> ReceivingHold | None:
    """Put the lot on a receiving hold when its latest cert (or its missing cert) says so; a reason
    already on an open hold is not held twice."""
    material = session.get(Material, lot.material_id)
    reasons = failures(lot, material, latest_cert(session, lot.id))
    if not reasons:
        return None
    reason = "; ".join(reasons)
    if any(hold.reason == reason for hold in open_holds(session, lot.id)):
        return None
    hold = ReceivingHold(lot_id=lot.id, reason=reason, placed_at=utcnow(), placed_by_id=getattr(user, "id", None))
    session.add(hold)
    session.flush()
    return hold


def enter_cert(session: Session, lot: MaterialLot, figures: CertFigures, user=None) -> tuple[MillCert, ReceivingHold | None]:
    """Record a cert's figures against the lot and hold the lot if they fall outside its material's limits."""
    cert = MillCert(lot_id=lot.id, cert_type=figures.cert_type, standard=figures.standard, grade=figures.grade,
                    heat_number=figures.heat_number, entered_by_id=getattr(user, "id", None), entered_at=utcnow())
    for prop, value in figures.mechanical.items():
        setattr(cert, MECHANICAL[prop][2], value)
    cert.elements = [CertElement(element=symbol, percent=value) for symbol, value in figures.chemistry.items()]
    session.add(cert)
    session.flush()
    return cert, hold_if_outside(session, lot, user)


class ReleaseRefused(ValueError):
    pass


def release(session: Session, lot: MaterialLot, user, reason) -> list[ReceivingHold]:
    """An inspector lets the lot be used: every open receiving hold is released with the reason."""
    if not user.has_role(codes.INSPECTOR):
        raise ReleaseRefused("Only an inspector may release a receiving hold.")
    reason = (reason if isinstance(reason, str) else "").strip()
    if len(reason) < RELEASE_REASON_MIN:
        raise ReleaseRefused("Say why the lot may be used (a concession, a corrected cert...).")
    if len(reason) > 2000:
        raise ReleaseRefused("At most 2,000 characters.")
    holds = open_holds(session, lot.id)
    if not holds:
        raise ReleaseRefused(f"Lot {lot.number} is not on hold.")
    now = utcnow()
    for hold in holds:
        hold.released_at, hold.released_by_id, hold.release_reason = now, user.id, reason
    session.flush()
    return holds
