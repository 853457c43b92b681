"""Stage 1: the chemical space of Li-rich inverse perovskites (SPEC.md section 1)."""

from ipscreen.space.enumerate import Compound, enumerate_space
from ipscreen.space.settings import SpaceSettings

__all__ = ["Compound", "SpaceSettings", "enumerate_space"]
