#!/usr/bin/python3
"""TLS peers for the behavioural SIP-over-TLS negatives (make_tls_negatives.sh): a server
that answers HTTP long-polls, WebSocket chat and line chat, and a WebSocket client. Only the
python3 standard library (ssl); the other clients are curl and openssl s_client.

    tls_peer.py server ADDRESS PORT CERT KEY [--client-ca CA] [--tls12]
    tls_peer.py ws-client ADDRESS PORT [--cert CERT --key KEY] MESSAGES PAUSE

Server, per connection, by its first bytes:
  GET /poll...     long-poll: each request is held 2.5 s (real ones: tens of seconds), then
                   a small JSON event
  GET /api...      the same JSON event at once (a device polling an API)
  GET /chat (Upgrade: websocket)
                   WebSocket (RFC 6455): every client text frame is answered with a short
                   acknowledgement and, every other time, a pushed message
  anything else    line chat: every line is echoed as "<n> ok: line"
"""

import base64
import hashlib
import os
import socket
import ssl
import struct
import sys
import threading
import time

WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC11B85"
BROWSER_HEADERS = (
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Gecko/20100101 Firefox/115.0\r\n"
    "Accept: application/json, text/plain, */*\r\n"
    "Accept-Language: en-GB,en;q=0.5\r\n"
    "Accept-Encoding: gzip, deflate, br\r\n"
    "Cookie: session=7f3c2a9be41d4c0f8a5e6b1d2c3f4a5b; consent=yes\r\n")


def read_head(conn):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            return data
        data += chunk
    return data


def serve_poll(conn, head):
    n = 0
    while head:
        n += 1
        if head.startswith(b"GET /poll"):
            time.sleep(2.5)
        body = ('{"events":[{"id":%d,"type":"presence","user":"u%04d","state":"online"}],'
                '"next":"%s"}' % (n, n * 37 % 10000, hashlib.sha1(bytes([n])).hexdigest()[:16]))
        conn.sendall(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                      "Cache-Control: no-store\r\nContent-Length: %d\r\n\r\n%s"
                      % (len(body), body)).encode())
        head = read_head(conn)


def ws_frame(payload, mask=False):
    data = payload.encode() if isinstance(payload, str) else payload
    header = bytes([0x81])
    key = os.urandom(4) if mask else b""
    length = len(data)
    if length < 126:
        header += bytes([(0x80 if mask else 0) | length])
    else:
        header += bytes([(0x80 if mask else 0) | 126]) + struct.pack("!H", length)
    if mask:
        data = bytes(b ^ key[i % 4] for i, b in enumerate(data))
    return header + key + data


def ws_read(conn):
    head = b""
    while len(head) < 2:
        chunk = conn.recv(2 - len(head))
        if not chunk:
            return None
        head += chunk
    length = head[1] & 0x7F
    if length == 126:
        length = struct.unpack("!H", conn.recv(2))[0]
    key = conn.recv(4) if head[1] & 0x80 else b""
    data = b""
    while len(data) < length:
        chunk = conn.recv(length - len(data))
        if not chunk:
            return None
        data += chunk
    if key:
        data = bytes(b ^ key[i % 4] for i, b in enumerate(data))
    if head[0] & 0x0F == 8:
        return None
    return data


def serve_ws(conn, head):
    key = [l.split(b":", 1)[1].strip() for l in head.split(b"\r\n")
           if l.lower().startswith(b"sec-websocket-key:")][0]
    accept = base64.b64encode(hashlib.sha1(key + WS_GUID.encode()).digest()).decode()
    conn.sendall(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                  "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n" % accept).encode())
    n = 0
    while True:
        message = ws_read(conn)
        if message is None:
            return
        n += 1
        conn.sendall(ws_frame('{"ack":%d}' % n))
        if n % 2 == 0:
            time.sleep(0.3)
            conn.sendall(ws_frame('{"from":"bob","text":"sounds good, see you at %d"}' % n))


def serve_lines(conn, first):
    n = 0
    buffered = first
    while True:
        while b"\n" in buffered:
            line, buffered = buffered.split(b"\n", 1)
            n += 1
            conn.sendall(b"%d ok: %s\n" % (n, line.strip()))
        chunk = conn.recv(4096)
        if not chunk:
            return
        buffered += chunk


def handle(conn):
    try:
        first = conn.recv(4096)
        if first.startswith(b"GET "):
            while b"\r\n\r\n" not in first:
                first += conn.recv(4096)
            if b"websocket" in first.lower():
                serve_ws(conn, first)
            else:
                serve_poll(conn, first)
        else:
            serve_lines(conn, first)
    except (OSError, ssl.SSLError, IndexError):
        pass
    finally:
        try:
            conn.close()
        except OSError:
            pass


def server(args):
    address, port, cert, key = args[0], int(args[1]), args[2], args[3]
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    if "--client-ca" in args:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(args[args.index("--client-ca") + 1])
    if "--tls12" in args:
        context.maximum_version = ssl.TLSVersion.TLSv1_2
    listener = socket.create_server((address, port))
    while True:
        raw, _ = listener.accept()
        try:
            conn = context.wrap_socket(raw, server_side=True)
        except (OSError, ssl.SSLError):
            raw.close()
            continue
        threading.Thread(target=handle, args=(conn,), daemon=True).start()


def ws_client(args):
    address, port = args[0], int(args[1])
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    if "--cert" in args:
        context.load_cert_chain(args[args.index("--cert") + 1], args[args.index("--key") + 1])
    rest = [a for i, a in enumerate(args[2:], 2)
            if a not in ("--cert", "--key") and args[i - 1] not in ("--cert", "--key")]
    messages, pause = int(rest[0]), float(rest[1])
    conn = context.wrap_socket(socket.create_connection((address, port)))
    key = base64.b64encode(os.urandom(16)).decode()
    conn.sendall(("GET /chat HTTP/1.1\r\nHost: chat.example.test\r\nUpgrade: websocket\r\n"
                  "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
                  "Origin: https://chat.example.test\r\n%s\r\n" % (key, BROWSER_HEADERS)).encode())
    read_head(conn)
    texts = ["hi", "are we still on for tonight?", "great", "I'll bring the slides",
             "ok", "running 5 min late, sorry", "here now", "bye"]
    for i in range(messages):
        conn.sendall(ws_frame('{"to":"bob","text":"%s"}' % texts[i % len(texts)], mask=True))
        time.sleep(pause)
    conn.sendall(bytes([0x88, 0x80]) + os.urandom(4))
    time.sleep(0.5)
    conn.close()


if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in ("server", "ws-client"):
        sys.exit(__doc__)
    (server if sys.argv[1] == "server" else ws_client)(sys.argv[2:])
