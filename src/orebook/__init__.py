"""orebook: from drill holes to the state balance of mineral reserves."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("orebook")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0"

__all__ = ["__version__"]
