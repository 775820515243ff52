"""Material in: a material's specification limits (element % and mechanical min/max), edited on its
master page; every change goes into the material's history."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy.orm import Session

from spex.forms import FormError
from spex.masters import history
from spex.materials.millcerts import PROPERTIES, PERCENT_PLACES, _decimal, figure, limit_words
from spex.models import Material, MaterialLimit

BLANK_ROWS = 3
MAX_ROWS = 60


def rows_for_form(material: Material) -> list[dict]:
    rows = [{"property": lim.property, "minimum": figure(lim.minimum) if lim.minimum is not None else "",
             "maximum": figure(lim.maximum) if lim.maximum is not None else ""} for lim in material.limits]
    return rows + [{"property": "", "minimum": "", "maximum": ""}] * BLANK_ROWS


def read_limits(form) -> dict[str, tuple[Decimal | None, Decimal | None]]:
    """prop_N / min_N / max_N rows -> {property: (min, max)}; a row without a property is left out."""
    found: dict[str, tuple] = {}
    for n in range(MAX_ROWS):
        prop = form.get(f"prop_{n}")
        if prop is None:
            continue
        prop = prop.strip() if isinstance(prop, str) else ""
        low_raw, high_raw = (form.get(f"min_{n}") or "").strip(), (form.get(f"max_{n}") or "").strip()
        if not prop:
            if low_raw or high_raw:
                raise FormError(f"prop_{n}", "Choose the element or property these limits are for.")
            continue
        if prop not in PROPERTIES:
            raise FormError(f"prop_{n}", "Choose one of the listed elements or properties.")
        if prop in found:
            raise FormError(f"prop_{n}", f"{PROPERTIES[prop][0]} is listed twice.")
        name = PROPERTIES[prop][0]
        low = _decimal(low_raw, f"min_{n}", f"{name} minimum", PERCENT_PLACES, 10000) if low_raw else None
        high = _decimal(high_raw, f"max_{n}", f"{name} maximum", PERCENT_PLACES, 10000) if high_raw else None
        if low is None and high is None:
            raise FormError(f"min_{n}", f"Give {name} a minimum, a maximum or both.")
        if low is not None and high is not None and low > high:
            raise FormError(f"max_{n}", f"{name}: the maximum must not be below the minimum.")
        found[prop] = (low, high)
    return found


def save_limits(session: Session, material: Material, wanted: dict, actor=None) -> int:
    """Make the material's limits what was posted; returns how many changed (each one in its history)."""
    current = {lim.property: lim for lim in material.limits}
    changed = 0

    def words(prop, low, high):
        return limit_words(low, high, PROPERTIES[prop][1]) if (low, high) != (None, None) else ""

    for prop, limit in current.items():
        if prop not in wanted:
            material.limits.remove(limit)
            history.note(session, "materials", material.id, history.CHANGED, field=f"Limit {prop}",
                         old=words(prop, limit.minimum, limit.maximum), new="", actor=actor)
            changed += 1
    for prop, (low, high) in wanted.items():
        limit = current.get(prop)
        old = (limit.minimum, limit.maximum) if limit is not None else (None, None)
        if old == (low, high):
            continue
        if limit is None:
            material.limits.append(MaterialLimit(property=prop, minimum=low, maximum=high))
        else:
            limit.minimum, limit.maximum = low, high
        history.note(session, "materials", material.id, history.CHANGED, field=f"Limit {prop}",
                     old=words(prop, *old), new=words(prop, low, high), actor=actor)
        changed += 1
    session.flush()
    return changed
