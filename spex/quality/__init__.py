"""Quality room: non-conformance reports opened by holds, the inspector's work list, the causes' Pareto.

The blueprint lives in spex.quality.routes (registered by the app factory), so the shop floor can
open an NCR through spex.quality.ncrs without importing the room's routes."""
