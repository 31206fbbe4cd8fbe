"""(being written)"""

from web.public import bp  # noqa: F401
