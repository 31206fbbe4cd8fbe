"""The fund's staff and their desk: requests from the public, the cases they become, and each decision."""
