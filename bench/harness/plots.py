#!/usr/bin/env python3
"""The plots of a `switchyard bench` run, from its results.json:
throughput against size for every reduction (log2 axis, the cache sizes and
the measured memory bandwidth marked), HTTP throughput against the number of
requests in flight, and the dispatcher's regret as a heat map (op x size).

    plots.py RESULTS_JSON OUT_DIR
prints the name of each file it wrote; says "warning: ..." on stderr for
what it could not draw. Needs matplotlib (Debian: python3-matplotlib).
"""
import json
import math
import os
import re
import statistics
import sys

try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker
except ImportError:
    print("warning: matplotlib is not installed (Debian: apt-get install python3-matplotlib)", file=sys.stderr)
    sys.exit(0)

TIMING_SUFFIX = re.compile(r"^(min_time:|min_warmup_time:|iterations:|repeats:|threads:|real_time$|manual_time$)")


def cases(suite):
    """{(family, variant, arg): [counter dicts per repetition]} for a suite's iteration runs."""
    out = {}
    for run in (suite or {}).get("results", {}).get("benchmarks", []):
        if run.get("run_type", "iteration") != "iteration" or run.get("error_occurred"):
            continue
        parts = [p for p in run.get("run_name", run["name"]).split("/") if not TIMING_SUFFIX.match(p)]
        family, rest = parts[0], parts[1:]
        arg = None
        variant = []
        for p in rest:
            if ":" in p:
                arg = float(p.split(":", 1)[1])
            else:
                variant.append(p)
        out.setdefault((family, "/".join(variant), arg), []).append(run)
    return out


def median(runs, key):
    values = [r[key] for r in runs if key in r]
    return statistics.median(values) if values else None


def size_label(b):
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if b >= scale:
            return f"{b / scale:g} {unit}"
    return f"{b:g} B"


def reduce_plots(results, out_dir):
    suite = results["suites"].get("reduce")
    data = cases(suite)
    caps = results["context"].get("caps", {})
    caches = caps.get("facts", {}).get("cpu", {}).get("caches", [])
    bandwidth = next((m["value"] for m in caps.get("measurements", []) if m["name"] == "memory_read_all_threads"), None)
    written = []
    ops = sorted({f for (f, _, a) in data if f.startswith("sweep_") and a is not None})
    for family in ops:
        op = family[len("sweep_"):]
        fig, ax = plt.subplots(figsize=(10, 5))
        variants = sorted({v for (f, v, _) in data if f == family})
        for v in variants:
            points = sorted((a, median(runs, "bytes_per_second")) for (f, w, a), runs in data.items() if f == family and w == v)
            points = [(a, y / 1e9) for a, y in points if y]
            if not points:
                continue
            style = "--" if v in ("accumulate_O2", "omp_simd_native", "std_reduce_par_unseq", "read_loop_all_cores") else "-"
            ax.plot([p[0] for p in points], [p[1] for p in points], style, marker="o", markersize=3, label=v)
        for c in caches:
            if c.get("type") == "Instruction":
                continue
            ax.axvline(c["size_bytes"], color="grey", linewidth=0.8, linestyle=":")
            ax.text(c["size_bytes"], 0.93, f" L{c['level']} {size_label(c['size_bytes'])}", color="grey", va="top",
                    fontsize=8, transform=ax.get_xaxis_transform())
        if bandwidth:
            ax.axhline(bandwidth, color="black", linewidth=0.8, linestyle="-.")
            ax.text(0.01, bandwidth, f"memory bandwidth (caps) {bandwidth:.1f} GB/s", va="bottom", fontsize=8,
                    transform=ax.get_yaxis_transform())
        ax.set_xscale("log", base=2)
        ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda x, _: size_label(x)))
        ax.set_xlabel("input size (float elements)")
        ax.set_ylim(bottom=0)
        ax.set_ylabel("GB/s (median)")
        accuracy = " (switchyard at its default accuracy; dashed: peers)" if op in ("sum", "dot") else " (dashed: peers)"
        ax.set_title(f"{op} of floats: throughput against size{accuracy}", fontsize=10)
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
        name = f"reduce_{op}.png"
        fig.tight_layout()
        fig.savefig(os.path.join(out_dir, name), dpi=110)
        plt.close(fig)
        written.append(name)
    return written


def io_plot(results, out_dir):
    data = cases(results["suites"].get("io"))
    series = {}
    for (family, variant, arg), runs in data.items():
        if family == "http_in_flight" and arg is not None:
            y = median(runs, "req_per_s")
            if y:
                series.setdefault(variant, []).append((arg, y))
    if not series:
        return []
    fig, ax = plt.subplots(figsize=(8, 5))
    for variant, points in sorted(series.items()):
        points.sort()
        ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", markersize=3, label=variant)
    ax.set_xscale("log", base=2)
    ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda x, _: f"{x:g}"))
    ax.set_xlabel("requests in flight")
    ax.set_ylabel("requests per second (median)")
    ax.set_title("4 KiB pages from nginx on loopback")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(os.path.join(out_dir, "io_in_flight.png"), dpi=110)
    plt.close(fig)
    return ["io_in_flight.png"]


def dispatch_plot(results, out_dir):
    suite = results["suites"].get("dispatch") or {}
    points = suite.get("results", {}).get("points", [])
    if not points:
        return []
    ops = sorted({p["op"] for p in points})
    sizes = sorted({p["bytes"] for p in points})
    worst = [[None] * len(sizes) for _ in ops]
    for p in points:
        i, j = ops.index(p["op"]), sizes.index(p["bytes"])
        worst[i][j] = max(worst[i][j] or 0, p["regret"])
    fig, ax = plt.subplots(figsize=(max(6, len(sizes) * 0.55), 1.2 + 0.5 * len(ops)))
    grid = [[v if v is not None else math.nan for v in row] for row in worst]
    image = ax.imshow(grid, cmap="Reds", vmin=1.0, vmax=max(1.5, max(max(v for v in row if v) for row in worst)), aspect="auto")
    for i, row in enumerate(worst):
        for j, v in enumerate(row):
            if v is not None:
                ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=7)
    ax.set_xticks(range(len(sizes)), [size_label(b) for b in sizes], rotation=60, fontsize=7)
    ax.set_yticks(range(len(ops)), ops)
    ax.set_title("dispatcher regret (chosen backend's time / best's), worst over types and locations")
    fig.colorbar(image, ax=ax)
    fig.tight_layout()
    fig.savefig(os.path.join(out_dir, "dispatch_regret.png"), dpi=110)
    plt.close(fig)
    return ["dispatch_regret.png"]


def main():
    with open(sys.argv[1]) as f:
        results = json.load(f)
    out_dir = sys.argv[2]
    for draw in (reduce_plots, io_plot, dispatch_plot):
        try:
            for name in draw(results, out_dir):
                print(name)
        except Exception as e:  # one plot's trouble leaves the others drawn
            print(f"warning: {draw.__name__}: {e!r}", file=sys.stderr)


if __name__ == "__main__":
    main()
