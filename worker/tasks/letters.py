"""Tasks: letters."""
