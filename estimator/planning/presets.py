"""The ``article`` planning preset: the article's three sums on today's flagship systems, what each
buys and produces, and the demand outcome of a 10x efficiency gain.

Inputs: the price book and the catalog. Output: a dict (``article``) of sourced inputs and, per
budget and system, the capacity plan, the training runs a year of DeepSeek-V3 and Llama 3.1 405B
(their published token counts) and the output tokens a day each would serve, plus the demand
scenario at the sourced low / mid / high elasticities. Every figure is computed by the planning
modules; every input below carries its source.
"""

from __future__ import annotations

from typing import Any

from ..catalog import Catalog
from ..cost import PriceBook
from .capacity import CapacityRequest, plan_capacity
from .demand import demand_scenario
from .produce import serving_output, training_output
from .results import capacity_dict, demand_dict

#: (key, USD, what it is, source)
BUDGETS: tuple[tuple[str, float, str, str], ...] = (
    ("meta-2025", 60e9, "Meta's 2025 capital expenditure on datacenters and AI (guidance $60-65B)",
     "Mark Zuckerberg, Facebook post 2025-01-24 and Meta Q4 2024 earnings call 2025-01-29 ('$60-65 billion')"),
    ("stargate", 500e9, "Stargate: OpenAI, SoftBank and Oracle's US AI infrastructure over four years",
     "OpenAI, 'Announcing The Stargate Project', 2025-01-21 ('$500 billion over the next four years')"),
    ("openai-round", 40e9, "OpenAI's funding round led by SoftBank",
     "OpenAI, 'New funding to build towards AGI', 2025-03-31 ('$40B at a $300B post-money valuation')"),
)
#: Today's flagship systems: air-cooled 8-GPU H100 and H200 servers, liquid-cooled GB200 NVL72 racks.
HARDWARE = ("h100-sxm", "h200-sxm", "gb200")
#: The article's pair: the efficient MoE and the dense frontier model, each on its published tokens.
TRAINING_MODELS = ("deepseek-v3", "llama-3.1-405b")
#: Serving: fp8 weights, 1,000-token prompts and 500-token answers, a 2 s first token and 50 ms per
#: output token at p99 (a chat service's targets; assumption).
SERVING = {"precision": "fp8", "ttft_ms": 2000.0, "tpot_ms": 50.0}
EFFICIENCY_GAIN = 10.0
GAIN_SOURCE = ("the article: DeepSeek's efficiency and Mistral's '10x more results for the same compute' "
               "(a round 10x)")


def article(book: PriceBook, catalog: Catalog) -> dict[str, Any]:
    """The preset's result: plans for each budget on each system, and the demand scenario."""
    plans = []
    for key, usd, what, source in BUDGETS:
        for hw_id in HARDWARE:
            plan = plan_capacity(CapacityRequest(catalog.get_hardware(hw_id), budget_usd=usd), book, catalog)
            training = [training_output(plan, {"model": m}, book, catalog) for m in TRAINING_MODELS]
            serving = [serving_output(plan, {"model": m, **SERVING}, book, catalog) for m in TRAINING_MODELS]
            plans.append({"budget": key, "budget_usd": usd, "what": what, "source": source,
                          "plan": capacity_dict(plan, training, serving)})
    demand = demand_scenario(EFFICIENCY_GAIN, gain_source=GAIN_SOURCE)
    return {"preset": "article", "plans": plans, "demand": demand_dict(demand),
            "serving_request": SERVING, "training_models": list(TRAINING_MODELS)}
