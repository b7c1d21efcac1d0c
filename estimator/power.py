"""GPU, server and facility power; energy and CO2.

Formulas (all plain arithmetic, so they take floats or numpy arrays):
- GPU draw by phase: compute-bound phases draw ``POWER_FRACTION_COMPUTE`` x TDP, memory-bound
  phases ``POWER_FRACTION_MEMORY`` x TDP, idle ``POWER_FRACTION_IDLE`` x TDP (H200 measurement,
  calibration.md). A flat "TDP x utilisation" misses both ends.
- Server overhead per GPU: (node max kW / GPUs per node - TDP) x the share drawn under load
  (``NODE_OVERHEAD_FRACTION``, derived from a measured B200 server).
- Facility power = IT power x PUE; CO2 = facility energy x grid intensity.

``training_power`` and ``serving_power`` compose these into the power sections of the two
results (IT and facility power, energy, CO2, and J per token for serving).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import defaults as d
from .bands import SCENARIOS, Assumption, Band
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


# --- Sections of a result -----------------------------------------------------------------------
def _server_overhead_assumptions(hw: Hardware, overhead_nameplate_w: float) -> tuple[Assumption, ...]:
    return (
        Assumption("gpu_tdp_w", hw.tdp_w, "W", hw.source),
        Assumption("server_overhead_nameplate_w_per_gpu", overhead_nameplate_w, "W",
                   hw.node_power_source or "extrapolated (DGX H100 ratio)"),
        Assumption("server_overhead_fraction", d.NODE_OVERHEAD_FRACTION, "of nameplate", d.NODE_OVERHEAD_SOURCE),
    )


_PHASE_ASSUMPTIONS = (
    Assumption("gpu_power_fraction_compute_bound", d.POWER_FRACTION_COMPUTE, "of TDP",
               "H200 measured 695 W at a 700 W limit (calibration.md)"),
    Assumption("gpu_power_fraction_memory_bound", d.POWER_FRACTION_MEMORY, "of TDP",
               "H200 measured 555 W during memory copies"),
    Assumption("gpu_power_fraction_idle", d.POWER_FRACTION_IDLE, "of TDP",
               "H200 measured ~130 W idle after load (lost time is spent idle)"),
)


@dataclass(frozen=True)
class TrainingPower:
    """IT and facility power of a training run's GPUs and servers, its energy and CO2."""

    it_kw: Band
    facility_kw: Band
    energy_mwh: Band  # facility energy over the run
    co2_t: Band
    assumptions: tuple[Assumption, ...] = ()
    warnings: tuple[str, ...] = ()


def training_power(hw: Hardware, compute_s: Band, memory_s: Band, gpu_hours: Band, gpu_count: int,
                   pue: Band, grid_kg_co2_per_kwh: Band) -> TrainingPower:
    """Energy: the busy GPU-seconds (``compute_s`` compute-bound, ``memory_s`` the rest, summed over
    GPUs) at their phase's draw, idle draw for reserved time lost to failures, plus the servers'
    non-GPU draw over all reserved GPU-hours; power is that energy over the wall-clock time times
    the GPU count; facility figures multiply by PUE, CO2 by grid intensity."""
    overhead_nameplate_w, warning = node_nameplate_overhead_w_per_gpu(hw)
    it_wh: dict[str, Any] = {}
    for s in SCENARIOS:
        busy_h = (compute_s[s] + memory_s[s]) / d.SECONDS_PER_HOUR
        gpu_wh = busy_energy_wh(hw.tdp_w, compute_s[s], memory_s[s]) + idle_power_w(hw.tdp_w) * (gpu_hours[s] - busy_h)
        it_wh[s] = gpu_wh + overhead_nameplate_w * d.NODE_OVERHEAD_FRACTION[s] * gpu_hours[s]
    it_kw = Band(*(it_wh[s] / gpu_hours[s] * gpu_count / 1000.0 for s in SCENARIOS))
    energy = Band(*(facility(it_wh[s], pue[s]) / 1e6 for s in SCENARIOS))
    return TrainingPower(
        it_kw=it_kw.ascending(),
        facility_kw=Band(*(facility(it_kw[s], pue[s]) for s in SCENARIOS)).ascending(),
        energy_mwh=energy,
        co2_t=Band(*(co2_tonnes(energy[s], grid_kg_co2_per_kwh[s]) for s in SCENARIOS)),
        assumptions=_PHASE_ASSUMPTIONS + _server_overhead_assumptions(hw, overhead_nameplate_w),
        warnings=(warning,) if warning else (),
    )


@dataclass(frozen=True)
class ReplicaLoad:
    """What the power model needs of one serving replica in one scenario: requests it serves per
    second at full load, and the replica-seconds (all its GPUs) each request keeps it
    compute-bound and memory-bound."""

    requests_per_s: float
    compute_s_per_request: float
    memory_s_per_request: float
    output_tokens: int


@dataclass(frozen=True)
class ServingPower:
    """A serving fleet's power at its load and provisioned for its peak, energy and CO2 a day, J/token."""

    it_kw: Band
    facility_kw: Band
    provisioned_it_kw: Band
    provisioned_facility_kw: Band
    energy_mwh_per_day: Band
    co2_t_per_day: Band
    joules_per_token: Band
    #: Facility kW of each scenario as computed (not sorted): each scenario's cost uses its own.
    facility_kw_by_scenario: Band
    assumptions: tuple[Assumption, ...] = ()
    warnings: tuple[str, ...] = ()


def serving_power(hw: Hardware, gpus_per_replica: int, replicas: Band, utilisation: Band,
                  load: dict[str, ReplicaLoad], pue: Band, grid_kg_co2_per_kwh: Band) -> ServingPower:
    """A replica at utilisation u draws busy power for u x requests/s x busy seconds per request
    and idle power for the rest, plus the servers' non-GPU draw; J per output token is that power
    over the output tokens it serves per second. Provisioned power assumes every GPU compute-bound."""
    t = gpus_per_replica
    overhead_nameplate_w, warning = node_nameplate_overhead_w_per_gpu(hw)
    it_kw: dict[str, float] = {}
    joules: dict[str, float] = {}
    for s in SCENARIOS:
        r, u = load[s], utilisation[s]
        busy_wh = busy_energy_wh(hw.tdp_w, r.compute_s_per_request, r.memory_s_per_request) * t
        busy_s = r.compute_s_per_request + r.memory_s_per_request
        gpu_w = u * r.requests_per_s * busy_wh * d.SECONDS_PER_HOUR + (
            1.0 - u * r.requests_per_s * busy_s) * idle_power_w(hw.tdp_w) * t
        replica_w = gpu_w + overhead_nameplate_w * d.NODE_OVERHEAD_FRACTION[s] * t
        it_kw[s] = replica_w * replicas[s] / 1000.0
        joules[s] = replica_w / (u * r.requests_per_s * r.output_tokens)
    provisioned = Band(*(replicas[s] * t * (hw.tdp_w * d.POWER_FRACTION_COMPUTE + overhead_nameplate_w
                                              * d.NODE_OVERHEAD_FRACTION[s]) / 1000.0 for s in SCENARIOS))
    facility_kw = Band(*(facility(it_kw[s], pue[s]) for s in SCENARIOS))
    energy_day = Band(*(facility_kw[s] * d.HOURS_PER_DAY / 1000.0 for s in SCENARIOS))
    return ServingPower(
        it_kw=Band(*(it_kw[s] for s in SCENARIOS)).ascending(),
        facility_kw=facility_kw.ascending(),
        provisioned_it_kw=provisioned.ascending(),
        provisioned_facility_kw=Band(*(facility(provisioned[s], pue[s]) for s in SCENARIOS)).ascending(),
        energy_mwh_per_day=energy_day.ascending(),
        co2_t_per_day=Band(*(co2_tonnes(energy_day[s], grid_kg_co2_per_kwh[s]) for s in SCENARIOS)).ascending(),
        joules_per_token=Band(*(joules[s] for s in SCENARIOS)).ascending(),
        facility_kw_by_scenario=facility_kw,
        assumptions=(Assumption("server_overhead_fraction", d.NODE_OVERHEAD_FRACTION, "of nameplate",
                                d.NODE_OVERHEAD_SOURCE),),
        warnings=(warning,) if warning else (),
    )
