"""ipscreen: screening of Li-rich inverse-perovskite solid electrolytes."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("ipscreen")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"
