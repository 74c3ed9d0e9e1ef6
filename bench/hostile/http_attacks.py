#!/usr/bin/env python3
# HTTP attacks against a running ledgerd (issue 21; docs/security.md "HTTP connections"):
# endless headers, an endless chunked body, then 250 connections from 127.0.0.2 trickling
# one byte per 100 ms while /healthz is timed from 127.0.0.1, then 1,024 connections from four
# addresses trickling a byte a second (the request deadline). Prints what was sent before
# the server cut each attack off, and ledgerd's resident memory before, after and during.
#   python3 bench/hostile/http_attacks.py HTTP_PORT LEDGERD_PID
import socket, sys, time, os
port=int(sys.argv[1]); pid=int(sys.argv[2])
def rss():
    for l in open(f"/proc/{pid}/status"):
        if l.startswith("VmRSS"): return int(l.split()[1])
def endless(start, chunk):
    s=socket.create_connection(("127.0.0.1",port)); s.sendall(start); sent=len(start)
    s.settimeout(2)
    try:
        while sent < 400<<20:
            s.sendall(chunk); sent+=len(chunk)
    except Exception as e: pass
    try: answer=s.recv(200).split(b"\r\n")[0]
    except Exception as e: answer=str(e).encode()
    return sent, answer
print("rss before", rss(), "KiB")
print("endless headers: sent", *endless(b"GET /healthz HTTP/1.1\r\n", b"X-Endless: "+b"a"*1000+b"\r\n"))
print("endless chunked body: sent", *endless(b"POST /v1/login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", b"400\r\n"+b"b"*1024+b"\r\n"))
time.sleep(1)
print("rss after", rss(), "KiB")
# slow clients
conns=[]
for i in range(250):
    s=socket.create_connection(("127.0.0.1",port), source_address=("127.0.0.2",0)); s.sendall(b"GET /healthz HTTP/1.1\r\nX-Slow: "); conns.append(s)
lat=[]
import http.client
for i in range(20):
    t=time.time(); c=http.client.HTTPConnection("127.0.0.1",port,timeout=10); c.request("GET","/healthz"); r=c.getresponse(); r.read(); lat.append((time.time()-t)*1000); c.close()
    for s in conns: 
        try: s.send(b"a")
        except: pass
    time.sleep(0.1)
print("250 trickling (from 127.0.0.2) connections: healthz p50 %.1f ms max %.1f ms" % (sorted(lat)[10], max(lat)))
print("rss with them", rss(), "KiB")
for s in conns: s.close()
# Whole-request deadline: 4 addresses x 256 connections (every slot) each trickling a byte of
# its headers every second. Prints how long the server let them live (the deadline, 10 s by
# default), and how long /healthz from 127.0.0.1 took meanwhile: with every slot taken an
# honest client waits in the listen backlog until the deadline frees one.
import select
slow=[]
for a in range(4):
    for i in range(256):
        s=socket.create_connection(("127.0.0.1",port), source_address=("127.0.0.%d" % (10+a),0))
        s.setblocking(False); slow.append((s, time.time()))
lived=[]; open_={s.fileno(): (s, t) for s, t in slow}; lat=[]; started=time.time(); last_probe=0
import threading
def probe():  # /healthz from 127.0.0.1, one after the other, while the attack lasts
    while open_ and time.time()-started < 30:
        t=time.time()
        try:
            c=http.client.HTTPConnection("127.0.0.1",port,timeout=30); c.request("GET","/healthz"); c.getresponse().read(); c.close()
            lat.append((time.time()-t)*1000)
        except Exception as e: lat.append(float("inf"))
        time.sleep(0.5)
prober=threading.Thread(target=probe); prober.start()
poller=select.poll()
for fd in open_: poller.register(fd, select.POLLIN)
while open_ and time.time()-started < 30:
    for s,_ in open_.values():
        try: s.send(b"X")
        except OSError: pass
    end=time.time()+1
    while open_ and time.time() < end:
        for fd,_ in poller.poll(max(0, int((end-time.time())*1000))):
            if fd not in open_: continue
            s,t0=open_[fd]
            try: got=s.recv(100)
            except OSError: got=b""
            if not got:
                lived.append(time.time()-t0); poller.unregister(fd); del open_[fd]; s.close()
prober.join()
lived.sort()
print("1024 connections trickling 1 byte/s from 4 addresses: %d closed by the server within 30 s, lifetime min %.1f s median %.1f s max %.1f s; still open %d" % (len(lived), lived[0] if lived else 0, lived[len(lived)//2] if lived else 0, lived[-1] if lived else 0, len(open_)))
print("/healthz meanwhile (one after the other): %s ms" % ", ".join("%.0f" % x for x in lat))
c=http.client.HTTPConnection("127.0.0.1",port,timeout=10); c.request("GET","/metrics"); m=c.getresponse().read().decode(); c.close()
print([l for l in m.splitlines() if l.startswith("ledger_http_connections_closed_total") or l.startswith("ledger_http_connections_refused_total")])
for s,_ in open_.values(): s.close()
