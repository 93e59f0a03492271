"""The size of thresher's thread pool.

Every kernel runs in one rayon pool. Its size changes nothing but speed: every result
is the same for a seed whatever the thread count.
"""

from __future__ import annotations

from thresher import _core
from thresher import _validation as check

__all__ = ["get_num_threads", "set_num_threads"]

get_num_threads = _core.get_num_threads


def set_num_threads(n: int) -> None:
    """Use ``n`` worker threads from now on (0: one per core).

    Examples
    --------
    >>> import thresher
    >>> before = thresher.get_num_threads()
    >>> thresher.set_num_threads(1); thresher.get_num_threads()
    1
    >>> thresher.set_num_threads(-1)
    Traceback (most recent call last):
    ...
    thresher.exceptions.InvalidParameterError: invalid threads: ... got -1
    >>> thresher.set_num_threads(before)
    """
    _core.set_num_threads(check.count("threads", n, maximum=4096))
