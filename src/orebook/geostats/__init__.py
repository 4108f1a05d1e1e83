"""Geostatistics: statistics, declustering, variograms (see docs/geostats.md)."""

from .statistics import summary_statistics

__all__ = ["summary_statistics"]
