"""(being written)"""

from web.portal import bp  # noqa: F401
