"""The security tests add their rows to the resilience table."""

from tests.resilience.report_plugin import pytest_runtest_makereport, pytest_terminal_summary, report  # noqa: F401
