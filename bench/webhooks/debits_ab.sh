#!/usr/bin/env bash
# Used for docs/performance.md "Webhooks": needs /tmp/lbt100k (ledger-bench --seed-storage
# --template /tmp/lbt100k ...) and a receiver on 127.0.0.1:18556 (any HTTP server answering POST).
# A/B: ledger-bench against a ledgerd without and with a registered webhook endpoint.
set -u
L=/work/main/build
run() { # $1: label, $2: with_webhook (0/1)
  rm -rf /tmp/lb-run /tmp/lb-run-*; cp -r /tmp/lbt100k/data /tmp/lb-run
  $L/apps/ledgerd/ledgerd --ledger.data-dir=/tmp/lb-run --ledger.durability='"process"' \
    --net.stream-port=0 --net.http-port=0 --net.admin-port=0 --http.open-access > /tmp/lb-out.txt 2>/tmp/lb-err.txt &
  pid=$!
  for i in $(seq 50); do grep -q ready /tmp/lb-out.txt && break; sleep 0.2; done
  sp=$(grep -o "stream=[0-9]*" /tmp/lb-out.txt | cut -d= -f2); hp=$(grep -o "http=[0-9]*" /tmp/lb-out.txt | cut -d= -f2)
  if [ "$2" = 1 ]; then
    curl -s -X POST localhost:$hp/v1/webhooks -d '{"url":"http://127.0.0.1:18556/hook","secret":"0123456789abcdef0123"}' > /dev/null
  fi
  echo "== $1"
  $L/bench/ledger-bench/ledger-bench --connect 127.0.0.1:$sp --accounts 100000 --batch-size 1000 --duration 15 --warmup 3 --quiet 2>&1 | grep -E "throughput|p50"
  curl -s localhost:$hp/metrics | grep -E "^ledger_outbox_last_position|^ledger_webhook_delivered_total" 
  kill $pid; wait $pid 2>/dev/null
}
run "A no endpoint" 0
run "B endpoint registered" 1
run "A no endpoint" 0
run "B endpoint registered" 1
