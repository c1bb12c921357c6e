"""Run vmplan as ``python -m vmplan``."""

from vmplan.cli import main

main()
