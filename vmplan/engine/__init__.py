"""The engine that ``vmplan pack`` and ``vmplan evacuate`` share.

items (VM groups and their demand), state (running host loads and the fit test), construct
(first-/best-fit decreasing, relabelling onto today's hosts), bounds (lower bounds on hosts),
explain (why an item fits nowhere), milp (the one cutting-plane assignment model), schedule (safe
migration waves and ``finish_plan``) and verify (the independent checker). The strategies and
objectives of each command live in :mod:`vmplan.pack` and :mod:`vmplan.evacuate`, which import
this package and never each other.
"""
