"""A capacity plan over a mix of GPUs: the budget or the power split between them by share.

Inputs: a ``CapacityRequest`` (its size, utilisation and overrides apply to every GPU of the mix; its
``hardware`` is ignored), the mix as (hardware, share) pairs whose shares sum to 1, the price book
and the catalog. Output: a ``MixPlan``: one ``CapacityPlan`` per GPU (``capacity.plan_capacity`` on
its share of the budget or the power, so there is no second copy of the sizing) and the totals.

- part i's budget (or facility MW) = the request's x share_i
- a total of a count, power, energy, CO2 or money figure = the sum of the parts' (low + low, mid + mid,
  high + high: each part's low and high are its extremes over the same three cost scenarios, so the
  total's mid is the mid scenario's and its low and high bound every scenario's total)
- own $ per used GPU-hour of the fleet = the parts' own $ per used GPU-hour weighted by their GPUs, per
  scenario (the annual own cost of all GPUs over all their used hours, as ``structure.unit_economics``)
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass

from ..bands import SCENARIOS, Band
from ..catalog import Catalog, Hardware
from ..cost import PriceBook
from ..errors import ConflictError, InvalidInputError
from . import structure as st
from .capacity import CapacityPlan, CapacityRequest, plan_capacity

#: Shares must add up to 1 within this (a floating-point tolerance, not a rounding allowance).
SHARE_TOLERANCE = 1e-9
MAX_PARTS = 4
#: The figures of a plan that add up over the parts (``CapacityPlan`` attribute names).
ADDED = ("gpus", "servers", "racks", "it_mw", "facility_mw", "average_facility_mw", "energy_mwh_per_year",
         "energy_usd_per_year", "co2_t_per_year", "annual_own_usd")


@dataclass(frozen=True)
class MixPart:
    hardware: Hardware
    share: float
    plan: CapacityPlan


@dataclass(frozen=True)
class MixPlan:
    parts: tuple[MixPart, ...]
    #: The totals: every ``ADDED`` figure, ``capex_usd`` by category and ``own_usd_per_used_gpu_hour``.
    totals: dict[str, Band]
    capex_usd: dict[str, Band]

    @property
    def label(self) -> str:
        """The mix as the CLI takes it: ``h100-sxm:0.5,gb200:0.5``."""
        return ",".join(f"{p.hardware.id}:{p.share:g}" for p in self.parts)


def check_shares(mix: Sequence[tuple[Hardware, float]], field: str = "hardware") -> None:
    """Two to ``MAX_PARTS`` different GPUs, each share above 0, the shares adding up to 1."""
    if not 2 <= len(mix) <= MAX_PARTS:
        raise InvalidInputError(f"A mix needs 2 to {MAX_PARTS} GPUs, each with its share, got {len(mix)}; for one GPU "
                                "give its id alone.", field=field)
    ids = [hw.id for hw, _ in mix]
    if len(set(ids)) != len(ids):
        raise ConflictError(f"Each GPU of a mix once: {', '.join(ids)} repeats one.", field=field)
    for hw, share in mix:
        if not (isinstance(share, int | float) and math.isfinite(share) and 0 < share <= 1):
            raise InvalidInputError(f"The share of {hw.id} must be above 0 and at most 1, got {share!r}.", field=field)
    total = math.fsum(share for _, share in mix)
    if abs(total - 1.0) > SHARE_TOLERANCE:
        added = " + ".join(f"{share:.12g}" for _, share in mix)
        raise ConflictError(f"The shares of a mix must add up to 1 (within {SHARE_TOLERANCE:g}); {added} = {total:.12g}.",
                            field=field)


def _sum(bands: Sequence[Band]) -> Band:
    return Band(math.fsum(b.low for b in bands), math.fsum(b.mid for b in bands), math.fsum(b.high for b in bands))


def _own_per_used_hour(plans: Sequence[CapacityPlan]) -> Band:
    """Weighted by each part's GPUs; a scenario in which no part buys one weights the parts alike."""
    def weight(plan: CapacityPlan, scenario: str) -> float:
        return plan.gpus_by_scenario[scenario] if any(p.gpus_by_scenario[scenario] for p in plans) else 1.0

    by_scenario = {s: math.fsum(weight(p, s) * p.per_gpu[s]["own_usd_per_used_gpu_hour"] for p in plans)
                   / math.fsum(weight(p, s) for p in plans) for s in SCENARIOS}
    return st.spread(by_scenario["low"], by_scenario["mid"], by_scenario["high"])


def plan_mix(req: CapacityRequest, mix: Sequence[tuple[Hardware, float]], book: PriceBook,
             catalog: Catalog | None = None) -> MixPlan:
    """Plan each GPU of ``mix`` on its share of ``req``'s budget or power, and add them up (module docstring)."""
    check_shares(mix)
    parts = []
    for hw, share in mix:
        size = {"budget_usd": req.budget_usd * share} if req.budget_usd is not None else \
            {"power_mw": req.power_mw * share if req.power_mw is not None else None}
        parts.append(MixPart(hw, share, plan_capacity(dataclasses.replace(req, hardware=hw, **size), book, catalog)))
    plans = [p.plan for p in parts]
    totals = {name: _sum([getattr(p, name) for p in plans]) for name in ADDED}
    totals["own_usd_per_used_gpu_hour"] = _own_per_used_hour(plans)
    capex = {k: _sum([p.capex_usd[k] for p in plans]) for k in plans[0].capex_usd}
    return MixPlan(tuple(parts), totals, capex)
