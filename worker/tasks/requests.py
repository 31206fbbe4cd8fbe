"""Tasks: requests."""
