"""Mixing: how much of each group or document to train on.

- :class:`Aioli` (:mod:`thresher.mixing.aioli`): online mixture proportions updated
  from per-group evaluation losses during training (Chen et al., ICLR 2025), and the
  static baselines :func:`static_mixture` (equal, proportional, temperature).
- :mod:`thresher.mixing.quadmix`: QuaDMix's quality-diversity sampling function
  (Liu et al. 2025): expected copies per document from merged quality ranks within
  domains, and the sampled corpus (Rust kernels).
- :func:`allocate_budget`, :class:`BudgetAllocator` (:mod:`thresher.mixing.budget`):
  a data-collection budget split across groups from power-law learning curves
  (Cai et al., FAccT 2023).

Examples
--------
>>> from thresher import mixing
>>> mixing.static_mixture([3, 1], "proportional")
[0.75, 0.25]
"""

from thresher.mixing import quadmix
from thresher.mixing.aioli import Aioli, static_mixture
from thresher.mixing.budget import BudgetAllocator, BudgetPlan, LearningCurve, allocate_budget
from thresher.mixing.quadmix import DomainParams

__all__ = [
    "Aioli",
    "BudgetAllocator",
    "BudgetPlan",
    "DomainParams",
    "LearningCurve",
    "allocate_budget",
    "quadmix",
    "static_mixture",
]
