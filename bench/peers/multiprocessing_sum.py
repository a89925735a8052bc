#!/usr/bin/env python3
"""The classic multiprocessing example, as a peer of the processes backend:
multiprocessing.Pool summing a float32 array split into CHUNKS pieces
(pool.map pickles each piece to a worker). The numbers are those the C++
benchmark sums: (i % 7) * 0.25 for i in [0, N).

    multiprocessing_sum.py N CHUNKS WORKERS REPEATS
prints "<sum> <median seconds of pool.map + final sum>"; the pool is started
before timing, as the C++ side's pool is.
"""
import array
import statistics
import sys
import time
from multiprocessing import Pool


def main():
    n, chunks, workers, repeats = (int(a) for a in sys.argv[1:5])
    pattern = array.array("f", [(i % 7) * 0.25 for i in range(7)])
    data = pattern * (n // 7) + pattern[: n % 7]
    bounds = [(k * n // chunks, (k + 1) * n // chunks) for k in range(chunks)]
    pieces = [data[b:e] for b, e in bounds]
    times = []
    with Pool(workers) as pool:
        pool.map(sum, [array.array("f", [0.0])] * workers)  # start the workers
        for _ in range(repeats):
            t0 = time.perf_counter()
            total = sum(pool.map(sum, pieces))
            times.append(time.perf_counter() - t0)
    print(f"{total!r} {statistics.median(times)!r}")


if __name__ == "__main__":
    main()
