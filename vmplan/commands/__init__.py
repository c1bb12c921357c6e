"""The typer commands, one module each; ``vmplan.cli`` assembles them into the app."""
