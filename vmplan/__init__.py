"""vmplan plans the consolidation and maintenance of virtualised server fleets.

It reads an inventory of hosts and virtual machines in which every VM carries its CPU utilisation as a
time series, and checks placements, packs VMs onto the fewest hosts on the *combined* series (curves
whose peaks interleave share a host although their peaks would not add up under its limit), and plans
safe waves of live migrations to get there or to empty a host for repair. Every plan is re-verified by
an independent checker before it is emitted.
"""

__version__ = "0.1.0"
