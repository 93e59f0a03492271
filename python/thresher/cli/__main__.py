"""``python -m thresher.cli``: the ``thresher`` command."""

import sys

from thresher.cli import main

sys.exit(main())
