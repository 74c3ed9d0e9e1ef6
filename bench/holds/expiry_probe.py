#!/usr/bin/env python3
"""Hold expiry after a restart (issue 16): starts ledgerd on a data directory whose open holds
have expired while it was down, and prints how many the sweep has released (the
ledger_holds_total{outcome="expired"} counter of /metrics) every 250 ms until it stops
growing for 3 s, then ledgerd's CPU time by thread (utime + stime from /proc, from the start:
the sweep and its flushes and compactions; a less noisy measure than the time it took).
docs/performance.md ("Sessions") has the run that fills the directory.

usage: expiry_probe.py LEDGERD_BINARY DATA_DIR
"""
import collections
import os
import re
import subprocess
import sys
import threading
import time
import urllib.request


def cpu_by_thread(pid):
    """{thread name: CPU seconds} of a running process, threads of one name summed."""
    ticks = os.sysconf("SC_CLK_TCK")
    seconds = collections.Counter()
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as stat:
                text = stat.read()
        except FileNotFoundError:
            continue  # the thread ended
        name = text[text.index("(") + 1:text.rindex(")")]
        fields = text[text.rindex(")") + 2:].split()
        seconds[name] += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return seconds


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    ledgerd, data_dir = sys.argv[1], sys.argv[2]
    server = subprocess.Popen(
        [ledgerd, f"--ledger.data-dir={data_dir}", "--net.stream-port=0", "--net.http-port=0",
         "--net.admin-port=0", "--http.open-access"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    started = time.time()
    port = None
    for line in server.stdout:
        if "ready " in line:
            port = int(re.search(r"http=(\d+)", line).group(1))
            break
    if port is None:
        sys.exit("ledgerd stopped before it was ready")
    # Keep reading its log: a full pipe would block ledgerd's next log line (and its stop).
    threading.Thread(target=lambda: [None for _ in server.stdout], daemon=True).start()
    print(f"ready after {time.time() - started:.2f} s")
    last, last_change = -1, time.time()
    try:
        while time.time() - last_change <= 3:
            body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics").read().decode()
            found = re.search(r'ledger_holds_total\{outcome="expired"\} (\d+)', body)
            expired = int(found.group(1)) if found else 0
            if expired != last:
                print(f"{time.time() - started:6.2f} s  expired {expired}")
                last, last_change = expired, time.time()
            time.sleep(0.25)
        seconds = cpu_by_thread(server.pid)
        threads = ", ".join(f"{name} {cpu:.2f}" for name, cpu in seconds.most_common())
        print(f"ledgerd CPU {sum(seconds.values()):.2f} s: {threads}")
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
