"""Reading inventories: YAML (and CSV series) in, a valid Inventory or a list of problems out."""

from vmplan.inventory.loader import Loaded, load

__all__ = ["Loaded", "load"]
