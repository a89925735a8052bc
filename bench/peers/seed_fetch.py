#!/usr/bin/env python3
"""The seed's second question, asked in Python: download many pages
concurrently and join them. Pages page-<i>.html of SIZE bytes from a local
nginx, every byte checked against what fetch_pages make-pages wrote.

    seed_fetch.py VARIANT PORT PAGES SIZE CONCURRENCY
VARIANT: http_client_serial (one keep-alive connection), thread_pool
(ThreadPoolExecutor(CONCURRENCY), a keep-alive connection per thread),
asyncio_streams (CONCURRENCY keep-alive connections). Prints
{"seconds": ..., "bytes": ..., "checked": true|false} as JSON.
"""
import asyncio
import http.client
import json
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor


def page_content(i, size):
    # As examples/fetch_pages.cpp writes them.
    s = ""
    while len(s) < size:
        s += f"page {i} at {len(s)}\n"
    return s[:size].encode()


def serial(port, pages):
    conn = http.client.HTTPConnection("127.0.0.1", port)
    out = []
    for i in range(pages):
        conn.request("GET", f"/page-{i}.html")
        out.append(conn.getresponse().read())
    conn.close()
    return out


def thread_pool(port, pages, concurrency):
    local = threading.local()

    def get(i):
        if not hasattr(local, "conn"):
            local.conn = http.client.HTTPConnection("127.0.0.1", port)
        local.conn.request("GET", f"/page-{i}.html")
        return local.conn.getresponse().read()

    with ThreadPoolExecutor(concurrency) as pool:
        return list(pool.map(get, range(pages)))


async def asyncio_streams(port, pages, concurrency):
    out = [None] * pages
    queue = asyncio.Queue()
    for i in range(pages):
        queue.put_nowait(i)

    async def worker():
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while True:
            try:
                i = queue.get_nowait()
            except asyncio.QueueEmpty:
                break
            writer.write(f"GET /page-{i}.html HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                          if line.lower().startswith(b"content-length:"))
            out[i] = await reader.readexactly(length)
        writer.close()
        await writer.wait_closed()

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return out


def main():
    variant, port, pages, size, concurrency = sys.argv[1], *(int(a) for a in sys.argv[2:6])
    t0 = time.perf_counter()
    if variant == "http_client_serial":
        bodies = serial(port, pages)
    elif variant == "thread_pool":
        bodies = thread_pool(port, pages, concurrency)
    elif variant == "asyncio_streams":
        bodies = asyncio.run(asyncio_streams(port, pages, concurrency))
    else:
        sys.exit(f"unknown variant {variant}")
    joined = b"".join(bodies)
    seconds = time.perf_counter() - t0
    checked = joined == b"".join(page_content(i, size) for i in range(pages))
    print(json.dumps({"seconds": seconds, "bytes": len(joined), "checked": checked}))


if __name__ == "__main__":
    main()
