#!/usr/bin/env python3
# HTTP attacks against a running ledgerd (issue 21; docs/security.md "HTTP connections"):
# endless headers, an endless chunked body, then 250 connections from 127.0.0.2 trickling
# one byte per 100 ms while /healthz is timed from 127.0.0.1. Prints what was sent before
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
