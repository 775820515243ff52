"""What happens on the shop floor: pulls, completions, scrap, holds, outside processing, finished goods, moves.

Each function is one thing a person does, checks the shop's rules, and writes through the ledger in
the caller's transaction. A refusal raises FloorError with a message for the person who scanned,
before anything is written (or the caller rolls the whole scan back). Nothing here commits.

One module per room of the floor; the verbs are all here, so callers write `shopfloor.ship_out(...)`.
"""
from spex.shopfloor.rules import (FloorError, Step, amount_of, at_vendor, available_at, held_at, held_words,
                                  ncrs_held_at, open_holds, piece_count, require_role)
from spex.shopfloor.material import Pull, pull_material, return_remnant, too_short_for_remnant
from spex.shopfloor.operations import Completion, Scrapped, complete_operation, scrap_pieces, start_operation
from spex.shopfloor.holds import add_rework_operation, place_hold, release_hold, rework_choices
from spex.shopfloor.outside import DEFAULT_TURNAROUND_DAYS, ReceivedBack, due_back, receive_back, ship_out
from spex.shopfloor.goods import Shipped, fg_location, next_fg_code, receive_finished_goods, ship_finished_goods
from spex.shopfloor.moves import Moved, may_receive, move_fg_lot, move_unit, where_fg_is, where_unit_is
from spex.shopfloor.undo import UNDOABLE, undo_last

__all__ = ["Completion", "DEFAULT_TURNAROUND_DAYS", "FloorError", "Moved", "Pull", "ReceivedBack", "Scrapped", "Shipped",
           "Step", "UNDOABLE", "add_rework_operation", "amount_of", "at_vendor", "available_at", "complete_operation", "due_back",
           "fg_location", "held_at", "held_words", "may_receive", "move_fg_lot", "move_unit", "ncrs_held_at", "next_fg_code", "open_holds", "piece_count",
           "place_hold", "pull_material", "receive_back", "receive_finished_goods", "release_hold", "require_role",
           "return_remnant", "rework_choices", "scrap_pieces", "ship_finished_goods", "ship_out", "start_operation", "too_short_for_remnant", "undo_last",
           "where_fg_is", "where_unit_is"]
