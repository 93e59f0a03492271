"""Import path kept for :mod:`thresher.diversity.select` (its home since the diversity
family became a package): ``thresher.select`` is that same module object."""

import sys

from thresher.diversity import select as _select
from thresher.diversity.select import *  # noqa: F403  (names for type checkers)
from thresher.diversity.select import __all__ as __all__

# One module under two names, so private helpers and monkeypatching reach the same code.
sys.modules[__name__] = _select
