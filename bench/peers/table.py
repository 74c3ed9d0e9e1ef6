#!/usr/bin/python3
"""Prints bench/peers/run.sh's results (one JSON object a line) as a Markdown table with the
ratio of ours to each peer at the same durability."""
import json
import sys

rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
ours = {r["label"]: r["debits_per_second"] for r in rows if r["peer"] == "ours"}
settings = {
    ("ours", "process"): "durability=process",
    ("ours", "fsync"): "durability=fsync",
    ("postgres", "process"): "fsync=off, synchronous_commit=on",
    ("postgres", "fsync"): "fsync=on, synchronous_commit=on",
    ("redis", "process"): "appendonly yes, appendfsync no",
    ("redis", "fsync"): "appendonly yes, appendfsync always",
}
print("| system | durability | settings | debits/s | batch p50 ms | batch p99 ms | ours / this |")
print("|---|---|---|---:|---:|---:|---:|")
for r in sorted(rows, key=lambda r: (r["label"], r["peer"] != "ours", r["peer"])):
    lat = r["batch_latency"]
    setting = settings.get((r["peer"], r["label"]), "")
    if r.get("options", {}).get("coalesce"):
        setting += ", coalesced writes"
    ratio = ours.get(r["label"], 0) / r["debits_per_second"] if r["debits_per_second"] else 0
    print("| {} | {} | {} | {:,.0f} | {:.2f} | {:.2f} | {:.1f}x |".format(
        r["peer"], r["label"], setting,
        r["debits_per_second"], lat["p50_us"] / 1000, lat["p99_us"] / 1000, ratio))
