"""Importers: monitoring data and inventory exports in, an inventory v1 (YAML + series CSV) out.

Every source module reads its own files (or server) into a :class:`~vmplan.importers.model.Collected`
of hosts, VMs and raw CPU series in the source's unit; :mod:`~vmplan.importers.assemble` puts the
series on one time grid (:mod:`~vmplan.importers.grid`) in percent of each VM's vCPUs
(:mod:`~vmplan.importers.cpuunits`); :mod:`~vmplan.importers.emit` renders the inventory text.
Nothing here prints or exits: problems are values, raised in an :class:`~vmplan.problems.InputError`.
"""
