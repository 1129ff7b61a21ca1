"""Export trained generators as versioned SavedModels for TF Serving (DESIGN.md §5)."""

from export.exporter import export_generator, next_version, read_facts

__all__ = ["export_generator", "next_version", "read_facts"]
