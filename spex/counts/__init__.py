"""Cycle counts: a bin counted by scan at the station, its variance adjusted through the ledger (at
once within the tolerance, after a planner's approval above it), the schedule of bins due from their
ABC class, and the share of units counted right. The pages' blueprint is in routes.py."""
