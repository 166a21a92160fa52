"""The package's version, in one place (the API reports it; study ledgers key runs by it)."""

__version__ = "0.1.0"
