"""Import path kept for :mod:`thresher.diversity.gme` (its home since the diversity
family became a package): ``thresher.gme`` is that same module object."""

import sys

from thresher.diversity import gme as _gme
from thresher.diversity.gme import *  # noqa: F403  (names for type checkers)
from thresher.diversity.gme import __all__ as __all__

# One module under two names, so private helpers and monkeypatching reach the same code.
sys.modules[__name__] = _gme
