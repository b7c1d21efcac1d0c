"""Datacenter planning: what a budget or a power envelope buys and produces, rent versus buy,
efficiency and demand, and which input matters most.

One concern per module, each pure (frozen dataclasses in, frozen dataclasses or dicts out):

- ``structure.py``:   the sourced cost-structure defaults (``seeds/planning/defaults.csv``) and the
                      per-GPU unit economics every plan is built from (``unit_economics``);
- ``capacity.py``:    capex in dollars or facility power in MW -> GPUs, servers, racks, MW, energy,
                      CO2, capex by category and annual own cost (``plan_capacity``);
- ``produce.py``:     what that fleet produces in a year, through ``estimate_training`` and
                      ``estimate_inference`` (no second copy of the physics);
- ``rent_vs_buy.py``: cumulative cost both ways by month, break-even month and utilisation;
- ``demand.py``:      an efficiency gain and a price elasticity -> demand for compute (Jevons);
- ``sensitivity.py``: tornado and Sobol indices (SALib) over the uncertain inputs of a plan;
- ``presets.py``:     the ``article`` preset ($60B, $500B, $40B on H100/H200 and GB200 NVL72);
- ``figures.py``:     every figure of the planning results, declared once (``estimator.figures.Figure``).
"""
