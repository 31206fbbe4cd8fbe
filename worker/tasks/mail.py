"""Tasks: mail."""
