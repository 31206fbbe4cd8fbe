"""Logins and how a person gets in: registration with a code, invitations, two-step login, the profile."""
