"""Material requirements, on hand, to buy and yield, with hand-worked figures."""
import math
from decimal import Decimal

import pytest
from sqlalchemy import delete

from spex import codes, production, shopfloor
from spex.metrics.material import (blanks_per_plate, cross_section_in2, job_requirements, material_needs,
                                   material_yield, planned_yield, pulled_by_job, weight_per_unit_lb)
from spex.models import CutPlanLine, Material, Part


def test_bar_weights_by_form():
    # 1.000 in round 303 (0.289 lb/in³): π · 0.5² · 0.289 = 0.22698 lb per inch
    round_bar = Material(code="R", grade="303", form="round bar", unit="in", diameter_in=Decimal(1),
                         density_lb_per_in3=Decimal("0.289"))
    assert float(weight_per_unit_lb(round_bar)) == pytest.approx(0.22698, abs=1e-5)
    # 0.750 in hex across flats: (√3/2) · 0.75² = 0.48714 in²
    hex_bar = Material(code="H", grade="12L14", form="hex bar", unit="in", diameter_in=Decimal("0.75"),
                       density_lb_per_in3=Decimal("0.284"))
    assert float(cross_section_in2(hex_bar)) == pytest.approx(0.48714, abs=1e-5)
    # A 0.500 x 12 x 12 aluminum plate (0.098 lb/in³): 72 in³ · 0.098 = 7.056 lb
    plate = Material(code="P", grade="6061", form="plate", unit="pcs", size="0.500 x 12 x 12 in",
                     density_lb_per_in3=Decimal("0.098"))
    assert weight_per_unit_lb(plate) == Decimal("7.056")
    assert blanks_per_plate(plate, Part(blank_size="4 x 4 in blank")) == 9
    assert blanks_per_plate(plate, Part(blank_size=None)) == 1


def test_material_yield_by_hand():
    # Part takes 1.25 in of 1.000 in 303: 1.25 · 0.22698 = 0.28373 lb of bar; finished 0.10 lb → 35.2 %
    material = Material(code="R", grade="303", form="round bar", unit="in", diameter_in=Decimal(1),
                        density_lb_per_in3=Decimal("0.289"))
    part = Part(material=material, bar_length_per_piece=Decimal("1.25"), finished_weight_lb=Decimal("0.10"))
    assert float(planned_yield(part)) == pytest.approx(0.10 / (math.pi * 0.25 * 0.289 * 1.25), abs=1e-6)
    assert float(planned_yield(part)) == pytest.approx(0.3524, abs=1e-4)
    assert material_yield(Decimal(2), Decimal(8)) == Decimal("0.25")
    assert material_yield(Decimal(2), Decimal(0)) is None


def test_requirements_per_job_less_what_was_pulled(session, make):
    operator = make.user(codes.OPERATOR)
    material = make.material()
    lot = make.lot(material, lengths=(144, 144))  # 288 in on hand
    part = make.part(material=material)  # 1.250 in per piece
    planned = make.job(part, quantity=100, release=False)
    running = make.job(part, quantity=100)
    # Released before cut plans were kept: its requirement is bar per piece (a kept plan's is the plan's).
    session.execute(delete(CutPlanLine).where(CutPlanLine.job_id == running.id))
    shopfloor.pull_material(session, lot.units[0], running, 60, user=operator)
    session.commit()

    needs = {r.job.id: r for r in job_requirements(session)}
    # planned: 1.25 · 100 = 125 in; running: 125 − 60 pulled = 65 in
    assert needs[planned.id].still_needed == Decimal(125)
    assert (needs[running.id].pulled, needs[running.id].still_needed) == (Decimal(60), Decimal(65))

    # 40 pieces done at op 10 used 50 in of the 60 pulled: 60 pieces still to start need 75 − 10 = 65 in
    shopfloor.complete_operation(session, running.operations[0], 40, user=operator)
    session.commit()
    need = next(r for r in job_requirements(session) if r.job.id == running.id)
    assert (need.remaining_pieces, need.still_needed) == (60, Decimal(65))

    # On hand 288 − 60 = 228 in; required 125 + 65 = 190; nothing to buy.
    line = next(n for n in material_needs(session) if n.material.id == material.id)
    assert (line.required, line.on_hand, line.to_buy) == (Decimal(190), Decimal(228), Decimal(0))
    assert line.on_hand == production.material_on_hand(session, material.id)

    # A third job of 100 pieces: required 315 > 228 on hand, so 87 in must be bought.
    make.job(part, quantity=100, release=False)
    session.commit()
    line = next(n for n in material_needs(session) if n.material.id == material.id)
    assert line.to_buy == Decimal(87)


def test_an_undone_pull_is_not_counted(session, make):
    operator = make.user(codes.OPERATOR)
    material = make.material()
    lot = make.lot(material, lengths=(144,))
    job = make.job(make.part(material=material), quantity=10)
    shopfloor.pull_material(session, lot.units[0], job, 20, user=operator)
    shopfloor.pull_material(session, lot.units[0], job, 5, user=operator)
    shopfloor.undo_last(session, user=operator)
    session.commit()
    assert pulled_by_job(session) == {job.id: Decimal(20)}


def test_plate_parts_need_whole_plates(session, make):
    plate = make.material(grade="6061-T6 aluminum", size="0.500 x 12 x 12 in", unit="pcs", form="plate",
                          diameter_in=None)
    part = make.part(material=plate)
    part.bar_length_per_piece, part.blank_size = Decimal(0), "4 x 4 in blank"
    job = make.job(part, quantity=20, release=False)
    session.commit()
    # 9 blanks of 4 x 4 in a 12 x 12 plate: 20 pieces need ⌈20/9⌉ = 3 plates
    need = next(r for r in job_requirements(session) if r.job.id == job.id)
    assert (need.still_needed, need.unit) == (Decimal(3), "pcs")
