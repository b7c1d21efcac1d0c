"""GPU, server and facility power; energy and CO2.

Formulas (all plain arithmetic, so they take floats or numpy arrays):
- GPU draw by phase: compute-bound phases draw ``POWER_FRACTION_COMPUTE`` x TDP, memory-bound
  phases ``POWER_FRACTION_MEMORY`` x TDP, idle ``POWER_FRACTION_IDLE`` x TDP (H200 measurement,
  calibration.md). A flat "TDP x utilisation" misses both ends.
- Server overhead per GPU: (node max kW / GPUs per node - TDP) x the share drawn under load
  (``NODE_OVERHEAD_FRACTION``, derived from a measured B200 server).
- Facility power = IT power x PUE; CO2 = facility energy x grid intensity.
"""

from __future__ import annotations

from typing import Any

from . import defaults as d
from .catalog import Hardware


def busy_energy_wh(tdp_w: Any, compute_seconds: Any, memory_seconds: Any) -> Any:
    """Energy of one GPU's busy time, in Wh, from the seconds spent compute- and memory-bound."""
    watts_seconds = tdp_w * (
        compute_seconds * d.POWER_FRACTION_COMPUTE + memory_seconds * d.POWER_FRACTION_MEMORY
    )
    return watts_seconds / d.SECONDS_PER_HOUR


def idle_power_w(tdp_w: Any) -> Any:
    """Draw of a GPU that is powered but idle (waiting on a restart, an empty queue)."""
    return tdp_w * d.POWER_FRACTION_IDLE


def node_nameplate_overhead_w_per_gpu(hw: Hardware) -> tuple[float, str | None]:
    """Non-GPU nameplate power per GPU in W, and a warning when it had to be extrapolated."""
    if hw.node_max_power_kw is not None:
        return hw.node_max_power_kw * 1000.0 / hw.gpus_per_node - hw.tdp_w, None
    return hw.tdp_w * d.NODE_NAMEPLATE_OVERHEAD_PER_TDP, (
        f"No published server power for {hw.name}: server overhead extrapolated from the "
        f"DGX H100 ratio ({d.NODE_NAMEPLATE_OVERHEAD_PER_TDP:.3f} x GPU TDP)."
    )


def node_max_power_w_per_gpu(hw: Hardware) -> float:
    """Nameplate server power per GPU in W (GPU TDP plus its share of the rest of the server)."""
    overhead_w, _ = node_nameplate_overhead_w_per_gpu(hw)
    return hw.tdp_w + overhead_w


def facility(value: Any, pue: Any) -> Any:
    """Facility power or energy from IT power or energy through PUE."""
    return value * pue


def co2_tonnes(facility_energy_mwh: Any, grid_kg_co2_per_kwh: Any) -> Any:
    """Tonnes of CO2: MWh x 1,000 kWh/MWh x kg/kWh / 1,000 kg/t."""
    return facility_energy_mwh * grid_kg_co2_per_kwh
