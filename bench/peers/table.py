#!/usr/bin/python3
"""Prints bench/peers/run.sh's results (ledger-bench's JSON reports, one a line, each marked
with its system and durability label) as a Markdown table with the ratio of ours to each
peer at the same durability, and each peer's consistency check."""
import json
import sys

rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
ours = {r["label"]: r["debits_per_second"] for r in rows if r["peer"] == "ours"}
settings = {
    ("ours", "process"): "durability=process",
    ("ours", "fsync"): "durability=fsync",
    ("postgres", "process"): "fsync=off, synchronous_commit=on",
    ("postgres", "fsync"): "fsync=on, synchronous_commit=on",
    ("redis", "process"): "appendonly yes, appendfsync no, AOF rewrite at 8 GB",
    ("redis", "fsync"): "appendonly yes, appendfsync always, AOF rewrite at 8 GB",
}
if rows:
    o = rows[0]["options"]
    print("{} connections, batch {}, depth {}{}, {} accounts {}, debit ids {}, rate {}, "
          "{:g} s measured after {:g} s".format(
              o["connections"], o["batch_size"], o["pipeline_depth"],
              " (coalesced writes)" if o.get("coalesce") else "", o["accounts"],
              o["distribution"], o.get("debit_ids", "ordered"),
              "{:,.0f}/s".format(o["rate_debits_per_second"]) if o["rate_debits_per_second"]
              else "max (closed loop)", o["duration_seconds"], o["warmup_seconds"]))
    print()
print("| system | durability | settings | debits/s | batch p50 ms | batch p99 ms | ours / this "
      "| consistency |")
print("|---|---|---|---:|---:|---:|---:|---|")
for r in sorted(rows, key=lambda r: (r["label"], r["peer"] != "ours", r["peer"])):
    lat = r["batch_latency"]
    ratio = ours.get(r["label"], 0) / r["debits_per_second"] if r["debits_per_second"] else 0
    if "consistency" in r:
        consistency = "holds" if r["consistency"]["holds"] else "**FAILS**"
    else:
        consistency = ""
    if r.get("error"):
        consistency += " run failed: " + r["error"]
    print("| {} | {} | {} | {:,.0f} | {:.2f} | {:.2f} | {:.2f}x | {} |".format(
        r["peer"], r["label"], settings.get((r["peer"], r["label"]), ""),
        r["debits_per_second"], lat["p50_us"] / 1000, lat["p99_us"] / 1000, ratio,
        consistency))
