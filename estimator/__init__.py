"""Datacenter compute-cost estimator: the pure estimation core (no Flask, pandas or marshmallow)."""

__version__ = "0.1.0"
