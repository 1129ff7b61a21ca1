"""Export trained generators as versioned SavedModels for TF Serving (layout and model facts:
export/exporter.py)."""

from export.exporter import export_generator, next_version, read_facts

__all__ = ["export_generator", "next_version", "read_facts"]
