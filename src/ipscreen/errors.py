"""The one error hierarchy of ipscreen: the CLI prints its message on one line and exits 2."""


class IpscreenError(Exception):
    """Base class of every error ipscreen reports to a user."""


class InputError(IpscreenError):
    """Bad user input: unknown element, ratio, preset, malformed file."""


class StoreError(IpscreenError):
    """The campaign store is missing, inconsistent or belongs to other settings."""


class PropertyError(IpscreenError):
    """A property oracle cannot handle a structure (no Li, element missing from the
    model, SCF not converged, MD blow-up); campaigns store the message as the reason."""
