"""Modified Goldschmidt tolerance factor t_G,ip of inverse perovskites (paper eq. 24).

    t_G,ip = (r_Li + sum_i w_Z,i r_Z,i) / sqrt(2 (sum_i w_X,i r_X,i + sum_i w_Z,i r_Z,i))

with Shannon radii (Å, see `ipscreen.space.radii`) and the site-occupancy weights w
of each sublattice. The expression is implemented exactly as printed in the paper
(Jalem et al.; their refs. 29 and 66): note that the square root spans the sum of the
radii, so t_G,ip carries a unit of Å^(1/2) and is a relative stability descriptor,
not the dimensionless classical Goldschmidt factor.
"""

from __future__ import annotations

import math

from ipscreen.space.radii import shannon_radius, weighted_radius


def tolerance_factor(x_fractions: dict[str, float], z_fractions: dict[str, float]) -> float:
    """t_G,ip of eq. 24 for X-site and Z-site occupancies, e.g. ({"O": 1}, {"Cl": 1})."""
    r_li = shannon_radius("Li")
    r_x = weighted_radius(x_fractions)
    r_z = weighted_radius(z_fractions)
    return (r_li + r_z) / math.sqrt(2.0 * (r_x + r_z))
