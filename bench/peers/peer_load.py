#!/usr/bin/python3
"""The ledger-bench workload against a peer: PostgreSQL (a batched server-side function) or
Redis (a Lua function). N worker processes (one connection each, no GIL sharing), closed
loop, one batch in flight per connection (the call is synchronous and the batch is one
transaction / one atomic function call). Prints one JSON line: throughput and batch latency
percentiles from the exact sorted samples. bench/peers/run.sh starts and configures the peers.
"""
import argparse
import json
import multiprocessing as mp
import random
import time


def make_batch(rng, worker, counter, accounts, batch, amount):
    acc, ids, amts = [], [], []
    for _ in range(batch):
        acc.append(1 + rng.randrange(accounts))
        # Time-ordered, like ledger-bench's default (--debit-ids ordered): the counter in
        # the high bits, the connection in the low 8.
        ids.append((counter << 8) | worker)
        amts.append(amount)
        counter += 1
    return acc, ids, amts, counter


def pg_caller(port):
    import psycopg2
    conn = psycopg2.connect(host="127.0.0.1", port=port, dbname="ledger", user="postgres")
    conn.autocommit = False
    cur = conn.cursor()

    def call(acc, ids, amts):
        cur.execute("SELECT code FROM debit_batch(%s::bigint[], %s::bigint[], %s::bigint[])",
                    (acc, ids, amts))
        codes = [row[0] for row in cur.fetchall()]
        conn.commit()  # returns after the commit's WAL write (and fsync when configured)
        return codes
    return call


def redis_caller(port, pipeline):
    import redis
    client = redis.Redis(host="127.0.0.1", port=port)

    def call(acc, ids, amts):
        args = []
        for a, d, m in zip(acc, ids, amts):
            args += (a, d, m)
        flat = client.fcall("debit_batch", 0, *args)
        return flat[0::2]

    def call_pipelined(acc, ids, amts):
        # `pipeline` calls of len(acc) / pipeline debits each, sent in one round trip
        # (redis-py's pipeline without MULTI): Redis's best shape for unbatched debits.
        per_call = len(acc) // pipeline
        pipe = client.pipeline(transaction=False)
        for k in range(pipeline):
            args = []
            for i in range(k * per_call, (k + 1) * per_call):
                args += (acc[i], ids[i], amts[i])
            pipe.execute_command("FCALL", "debit_batch", 0, *args)
        codes = []
        for flat in pipe.execute():
            codes += flat[0::2]
        return codes
    return call_pipelined if pipeline > 1 else call


def worker(index, args, start_at, results):
    call = (pg_caller(args.port) if args.peer == "postgres"
            else redis_caller(args.port, args.pipeline))
    rng = random.Random(args.seed * 1000 + index)
    counter = 1
    measure_from = start_at + args.warmup
    measure_until = measure_from + args.duration
    while time.time() < start_at:
        time.sleep(0.001)
    latencies, debits, codes = [], 0, {}
    while True:
        acc, ids, amts, counter = make_batch(rng, index + 1, counter, args.accounts,
                                             args.batch * args.pipeline, args.amount_micros)
        sent = time.time()
        if sent >= measure_until:
            break
        answer = call(acc, ids, amts)
        done = time.time()
        if sent >= measure_from and done < measure_until:
            latencies.append(done - sent)
            debits += len(answer)
            for code in answer:
                codes[code] = codes.get(code, 0) + 1
    results.put((latencies, debits, codes))


def quantile(sorted_values, q):
    if not sorted_values:
        return 0.0
    rank = max(1, int(-(-q * len(sorted_values) // 1)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--peer", choices=["postgres", "redis"], required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--accounts", type=int, default=100000)
    parser.add_argument("--amount-micros", type=int, default=100)
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--duration", type=float, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pipeline", type=int, default=1,
                        help="redis: calls of --batch debits sent per round trip")
    parser.add_argument("--label", default="")
    args = parser.parse_args()
    results = mp.Queue()
    start_at = time.time() + 2  # every worker connected before the clock starts
    procs = [mp.Process(target=worker, args=(i, args, start_at, results))
             for i in range(args.connections)]
    for p in procs:
        p.start()
    latencies, debits, codes = [], 0, {}
    for _ in procs:
        lat, n, c = results.get()
        latencies += lat
        debits += n
        for k, v in c.items():
            codes[k] = codes.get(k, 0) + v
    for p in procs:
        p.join()
    latencies.sort()
    us = lambda s: round(s * 1e6, 1)
    print(json.dumps({
        "peer": args.peer, "label": args.label, "connections": args.connections,
        "batch_size": args.batch, "pipeline": args.pipeline, "accounts": args.accounts, "duration_seconds": args.duration,
        "debits_per_second": debits / args.duration, "debits": debits,
        "batches": len(latencies),
        "batch_latency": {"p50_us": us(quantile(latencies, 0.5)),
                          "p99_us": us(quantile(latencies, 0.99)),
                          "p999_us": us(quantile(latencies, 0.999)),
                          "max_us": us(latencies[-1] if latencies else 0)},
        "results": {str(k): v for k, v in sorted(codes.items())},
    }))


if __name__ == "__main__":
    main()
