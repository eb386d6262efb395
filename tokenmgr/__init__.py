"""tokenmgr: a desktop token manager."""

__version__ = "0.1.0"
