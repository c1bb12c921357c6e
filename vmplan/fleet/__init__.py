"""Fleets of clusters: split an inventory per cluster, solve each on its own, merge the plans.

A VM belongs to its host's cluster and only ever moves within it (:mod:`vmplan.inventory.clusters`
refuses rules across clusters), so clusters are independent problems. :mod:`.split` cuts an
inventory into one sub-inventory per cluster (rows of the one demand matrix, by index),
:mod:`.run` solves them on an executor (in process, a process pool or a Dask cluster, one
interface), and :mod:`.merge` maps the per-cluster plans back onto the whole inventory, in the
clusters' order whatever finished first.
"""

from vmplan.fleet.merge import merge_plans
from vmplan.fleet.run import Where, solve
from vmplan.fleet.split import Part, UnknownCluster, cluster_names, split

__all__ = ["Part", "UnknownCluster", "Where", "cluster_names", "merge_plans", "solve", "split"]
