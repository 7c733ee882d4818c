"""``python -m spmkb`` runs the command-line interface."""

from spmkb.cli import main

main()
