"""The thread pool: its size can be changed at any time, Python threads can run
selections concurrently, and a process forked after a selection (multiprocessing,
DataLoader workers) selects again without deadlocking, with the same result."""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import thresher
from corpus_helpers import run_dsir_cli

TIMEOUT = 60

# Python >= 3.12 warns when forking a process that has threads; forking is the point.
pytestmark = pytest.mark.filterwarnings("ignore:.*fork.*:DeprecationWarning")

fork = multiprocessing.get_context("fork")


def rows(dsir: thresher.DSIR, source: object, seed: int) -> list[int]:
    return dsir.select(source, k=30, seed=seed).rows.tolist()


# ---------------------------------------------------------------- thread count
def test_set_num_threads_changes_get_num_threads(default_threads: None) -> None:
    for n in (1, 2, 3, 1):
        thresher.set_num_threads(n)
        assert thresher.get_num_threads() == n


def test_zero_threads_restores_the_default(default_threads: None) -> None:
    thresher.set_num_threads(1)
    thresher.set_num_threads(0)
    expected = os.environ.get("THRESHER_NUM_THREADS")
    if expected and int(expected) > 0:
        assert thresher.get_num_threads() == int(expected)
    else:
        assert 1 <= thresher.get_num_threads() <= (os.cpu_count() or 1)


def test_cli_threads_option_sets_the_pool(
    tmp_path: Path,
    raw_path: Path,
    target_path: Path,
    capsys: pytest.CaptureFixture[str],
    default_threads: None,
) -> None:
    out = tmp_path / "sel.parquet"
    assert run_dsir_cli(target_path, raw_path, 3, out, "--threads", "1") == 0
    assert thresher.get_num_threads() == 1


# ---------------------------------------------------------------- Python threads
def test_concurrent_selections_from_python_threads_agree(
    small_dsir: thresher.DSIR, raw_path: Path
) -> None:
    seeds = list(range(8))
    expected = [rows(small_dsir, raw_path, s) for s in seeds]
    with ThreadPoolExecutor(max_workers=4) as pool:
        got = list(pool.map(lambda s: rows(small_dsir, raw_path, s), seeds))
    assert got == expected


def test_resizing_the_pool_during_selections_is_safe(
    small_dsir: thresher.DSIR, raw_path: Path, default_threads: None
) -> None:
    expected = rows(small_dsir, raw_path, 1)
    results: list[list[int]] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(15):
                results.append(rows(small_dsir, raw_path, 1))
        except BaseException as e:  # reported below
            errors.append(e)

    worker = threading.Thread(target=work)
    worker.start()
    for i in range(30):
        thresher.set_num_threads(1 + i % 2)
    worker.join(timeout=TIMEOUT)
    assert not worker.is_alive(), "selection hung while the pool was resized"
    assert errors == []
    assert results == [expected] * 15


# ---------------------------------------------------------------- fork
def _child_selects(dsir: thresher.DSIR, source: Path, seed: int, expected: list[int]) -> None:
    got = rows(dsir, source, seed)
    sys.exit(0 if got == expected else 3)


def run_forked(target: object, *args: object) -> int | None:
    process = fork.Process(target=target, args=args)
    process.start()
    process.join(timeout=TIMEOUT)
    if process.is_alive():
        process.kill()
        process.join()
        pytest.fail(f"the forked child did not finish in {TIMEOUT} s (deadlock?)")
    return process.exitcode


def test_forked_child_selects_without_deadlock(small_dsir: thresher.DSIR, raw_path: Path) -> None:
    expected = rows(small_dsir, raw_path, 7)  # the parent's pool now has live threads
    assert run_forked(_child_selects, small_dsir, raw_path, 7, expected) == 0
    assert rows(small_dsir, raw_path, 7) == expected  # the parent's pool still works


def test_forked_child_after_two_threads(
    small_dsir: thresher.DSIR, raw_path: Path, default_threads: None
) -> None:
    thresher.set_num_threads(2)
    expected = rows(small_dsir, raw_path, 3)
    assert run_forked(_child_selects, small_dsir, raw_path, 3, expected) == 0


def _child_fits_and_reports(target: Path, raw: Path, expected: np.ndarray, threads: int) -> None:
    thresher.set_num_threads(threads)
    assert thresher.get_num_threads() == threads
    dsir = thresher.DSIR(num_buckets=1000).fit(target, raw)
    sys.exit(0 if np.array_equal(dsir.log_weights(raw), expected) else 3)


@pytest.mark.parametrize("threads", [1, 2])
def test_forked_child_fits_with_its_own_thread_count(
    threads: int, target_path: Path, raw_path: Path, small_log_weights: np.ndarray
) -> None:
    assert (
        run_forked(_child_fits_and_reports, target_path, raw_path, small_log_weights, threads) == 0
    )


def _child_forks_again(dsir: thresher.DSIR, source: Path, expected: list[int]) -> None:
    if rows(dsir, source, 2) != expected:
        sys.exit(3)
    grandchild = fork.Process(target=_child_selects, args=(dsir, source, 2, expected))
    grandchild.start()
    grandchild.join(timeout=TIMEOUT)
    if grandchild.is_alive():
        grandchild.kill()
        sys.exit(4)
    sys.exit(grandchild.exitcode)


def test_fork_of_a_forked_child(small_dsir: thresher.DSIR, raw_path: Path) -> None:
    expected = rows(small_dsir, raw_path, 2)
    assert run_forked(_child_forks_again, small_dsir, raw_path, expected) == 0


def test_fork_while_another_thread_is_selecting(small_dsir: thresher.DSIR, raw_path: Path) -> None:
    expected = rows(small_dsir, raw_path, 5)
    stop = threading.Event()

    def busy() -> None:
        while not stop.is_set():
            rows(small_dsir, raw_path, 0)

    worker = threading.Thread(target=busy)
    worker.start()
    try:
        for _ in range(3):
            assert run_forked(_child_selects, small_dsir, raw_path, 5, expected) == 0
    finally:
        stop.set()
        worker.join(timeout=TIMEOUT)
    assert not worker.is_alive()


_POOL_STATE: dict[str, object] = {}


def _pool_rows(seed: int) -> list[int]:
    # Workers inherit the model through fork (a fitted DSIR holds a native object).
    dsir, source = _POOL_STATE["dsir"], _POOL_STATE["source"]
    assert isinstance(dsir, thresher.DSIR)
    return rows(dsir, source, seed)


def test_multiprocessing_pool_with_fork(small_dsir: thresher.DSIR, raw_path: Path) -> None:
    seeds = [0, 1, 2, 3]
    expected = [rows(small_dsir, raw_path, s) for s in seeds]
    _POOL_STATE.update(dsir=small_dsir, source=raw_path)
    try:
        with fork.Pool(2) as pool:
            got = pool.map_async(_pool_rows, seeds).get(TIMEOUT)
    finally:
        _POOL_STATE.clear()
    assert got == expected


def test_os_fork_child_selects(small_dsir: thresher.DSIR, raw_path: Path) -> None:
    expected = rows(small_dsir, raw_path, 11)
    pid = os.fork()
    if pid == 0:  # the child: never return into pytest
        code = 1
        try:
            code = 0 if rows(small_dsir, raw_path, 11) == expected else 3
        finally:
            os._exit(code)
    deadline = time.monotonic() + TIMEOUT
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            pytest.fail("the os.fork() child deadlocked")
        time.sleep(0.01)
    assert os.waitstatus_to_exitcode(status) == 0
