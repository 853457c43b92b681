"""ipscreen: screening of Li-rich inverse-perovskite solid electrolytes."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("ipscreen")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"

__all__ = ["Campaign", "compute", "__version__"]


def __getattr__(name: str):
    """`ipscreen.Campaign` and `ipscreen.compute` (src/ipscreen/api.py), imported on first use so that
    `import ipscreen` and the CLI's start stay fast."""
    if name in ("Campaign", "compute"):
        from ipscreen import api

        return getattr(api, name)
    raise AttributeError(f"module 'ipscreen' has no attribute {name!r}")
