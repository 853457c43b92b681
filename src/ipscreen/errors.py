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


class StructureError(InputError, PropertyError):
    """An input structure no oracle can take (no atoms, atoms on top of each other, degenerate cell,
    dummy species): bad user input, and, for the oracles' contract, a PropertyError of that structure."""
