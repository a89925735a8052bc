#!/usr/bin/env python3
"""The seed's first question, asked in Python: the sum of a 10-million-element
list, the ways a Python programmer would try. Each variant sums the numbers
(i % 7) * 0.25 for i in [0, N); the data is made and the workers started
before the clock starts, as on the C++ side.

    seed_sum.py VARIANT N WORKERS REPEATS
VARIANT: builtin_sum, threads_2, multiprocessing_pool, shared_memory_numpy,
numpy_sum. Prints {"sum": ..., "seconds": [...]} as JSON.
"""
import json
import sys
import threading
import time
from multiprocessing import Pool, shared_memory

import numpy as np


def values(n):
    pattern = [(i % 7) * 0.25 for i in range(7)]
    return pattern * (n // 7) + pattern[: n % 7]


def timed(repeats, f):
    seconds, total = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        total = f()
        seconds.append(time.perf_counter() - t0)
    return total, seconds


def threads_2(data):
    # Two threads, each summing half: the GIL lets one run at a time.
    half = len(data) // 2
    parts = [0.0, 0.0]

    def work(k, lo, hi):
        parts[k] = sum(data[lo:hi])

    ts = [threading.Thread(target=work, args=(0, 0, half)), threading.Thread(target=work, args=(1, half, len(data)))]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return parts[0] + parts[1]


def shm_part(args):
    name, n, lo, hi = args
    block = shared_memory.SharedMemory(name=name)
    try:
        view = np.ndarray((n,), dtype=np.float32, buffer=block.buf)
        return float(view[lo:hi].sum(dtype=np.float64))
    finally:
        del view
        block.close()


def main():
    variant, n, workers, repeats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    data = values(n)
    if variant == "builtin_sum":
        total, seconds = timed(repeats, lambda: sum(data))
    elif variant == "threads_2":
        total, seconds = timed(repeats, lambda: threads_2(data))
    elif variant == "multiprocessing_pool":
        # pool.map pickles each chunk of the list to a worker.
        bounds = [(k * n // workers, (k + 1) * n // workers) for k in range(workers)]
        with Pool(workers) as pool:
            pool.map(sum, [[0.0]] * workers)  # the workers started
            total, seconds = timed(repeats, lambda: sum(pool.map(sum, [data[lo:hi] for lo, hi in bounds])))
    elif variant == "shared_memory_numpy":
        block = shared_memory.SharedMemory(create=True, size=n * 4)
        try:
            array = np.ndarray((n,), dtype=np.float32, buffer=block.buf)
            array[:] = np.asarray(data, dtype=np.float32)
            jobs = [(block.name, n, k * n // workers, (k + 1) * n // workers) for k in range(workers)]
            with Pool(workers) as pool:
                pool.map(shm_part, jobs)  # the workers started and attached once
                total, seconds = timed(repeats, lambda: sum(pool.map(shm_part, jobs)))
            del array
        finally:
            block.close()
            block.unlink()
    elif variant == "numpy_sum":
        array = np.asarray(data, dtype=np.float32)
        total, seconds = timed(repeats, lambda: float(array.sum(dtype=np.float64)))
    else:
        sys.exit(f"unknown variant {variant}")
    print(json.dumps({"sum": total, "seconds": seconds}))


if __name__ == "__main__":
    main()
