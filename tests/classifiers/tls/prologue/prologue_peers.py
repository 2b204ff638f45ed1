#!/usr/bin/env python3
"""The server side of make_prologue_capture.sh: cleartext dialogues that lead to TLS.

    prologue_peers.py ADDRESS CERT KEY TLS_HOST TLS_PORT

Listens on ADDRESS with one dialogue per port, then wraps the socket with python's ssl
module (the certificate given) and answers one line inside TLS:
  25   SMTP: 220 greeting, EHLO, STARTTLS -> 220 (MAIL, RCPT, DATA for plain sessions)
  587  SMTP that refuses STARTTLS with 454
  2525 SMTP whose EHLO answer is longer than the prologue bound (5 KB)
  143  IMAP: CAPABILITY, STARTTLS -> tag OK
  110  POP3: CAPA, STLS -> +OK
  21   FTP: FEAT, AUTH TLS -> 234
  5222 XMPP: stream header and features, <starttls/> -> <proceed/>
  3128 HTTP proxy: CONNECT -> 200, then relays to TLS_HOST:TLS_PORT
  3129 HTTP proxy that answers every request 407
  1080 SOCKS 5 (no authentication): CONNECT -> success, then relays to TLS_HOST:TLS_PORT
"""

import socket
import socketserver
import ssl
import sys
import threading

ADDRESS, CERT, KEY, TLS_HOST, TLS_PORT = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(
    sys.argv[5])
CONTEXT = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
CONTEXT.load_cert_chain(CERT, KEY)


class Dialogue(socketserver.StreamRequestHandler):
    timeout = 10

    def send(self, text):
        self.wfile.write(text.encode())
        self.wfile.flush()

    def words(self):
        line = self.rfile.readline(8192)
        if not line:
            return None
        return line.decode(errors="replace").split()

    def tls(self):
        # The client waits for the go-ahead before it sends its hello: nothing is buffered.
        try:
            inner = CONTEXT.wrap_socket(self.request, server_side=True)
            if inner.recv(4096):
                inner.sendall(b"ok\r\n")
            inner.close()
        except (ssl.SSLError, OSError):
            pass


class Smtp(Dialogue):
    def handle(self):
        port = self.server.server_address[1]
        self.send("220 mail.example.org ESMTP ottscope test\r\n")
        while True:
            words = self.words()
            if words is None:
                return
            verb = words[0].upper() if words else ""
            if verb in ("EHLO", "HELO"):
                padding = "".join("250-X-PAD-%02d %s\r\n" % (i, "x" * 80) for i in range(60)) \
                    if port == 2525 else ""
                self.send("250-mail.example.org\r\n" + padding +
                          "250-PIPELINING\r\n250-STARTTLS\r\n250 8BITMIME\r\n")
            elif verb == "STARTTLS":
                if port == 587:
                    self.send("454 4.7.0 TLS not available due to local problem\r\n")
                    continue
                self.send("220 2.0.0 Ready to start TLS\r\n")
                self.tls()
                return
            elif verb == "DATA":
                self.send("354 End data with <CR><LF>.<CR><LF>\r\n")
                while self.rfile.readline(8192) not in (b".\r\n", b".\n", b""):
                    pass
                self.send("250 2.0.0 Ok: queued\r\n")
            elif verb == "QUIT":
                self.send("221 2.0.0 Bye\r\n")
                return
            elif verb in ("MAIL", "RCPT", "RSET", "NOOP"):
                self.send("250 2.1.0 Ok\r\n")
            else:
                self.send("502 5.5.2 Error: command not recognized\r\n")


class Imap(Dialogue):
    def handle(self):
        self.send("* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] ottscope test ready\r\n")
        while True:
            words = self.words()
            if not words or len(words) < 2:
                return
            tag, command = words[0], words[1].upper()
            if command == "CAPABILITY":
                self.send("* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED\r\n"
                          "%s OK CAPABILITY completed\r\n" % tag)
            elif command == "STARTTLS":
                self.send("%s OK Begin TLS negotiation now\r\n" % tag)
                self.tls()
                return
            elif command == "LOGOUT":
                self.send("* BYE\r\n%s OK LOGOUT completed\r\n" % tag)
                return
            else:
                self.send("%s BAD unknown\r\n" % tag)


class Pop3(Dialogue):
    def handle(self):
        self.send("+OK ottscope test POP3 ready\r\n")
        while True:
            words = self.words()
            if not words:
                return
            command = words[0].upper()
            if command == "CAPA":
                self.send("+OK Capability list follows\r\nSTLS\r\nUSER\r\n.\r\n")
            elif command == "STLS":
                self.send("+OK Begin TLS negotiation\r\n")
                self.tls()
                return
            elif command == "QUIT":
                self.send("+OK bye\r\n")
                return
            else:
                self.send("-ERR unknown\r\n")


class Ftp(Dialogue):
    def handle(self):
        self.send("220 ottscope test FTP ready\r\n")
        while True:
            words = self.words()
            if not words:
                return
            command = words[0].upper()
            if command == "AUTH":
                self.send("234 AUTH TLS successful\r\n")
                self.tls()
                return
            if command == "FEAT":
                self.send("211-Features:\r\n AUTH TLS\r\n PBSZ\r\n211 End\r\n")
            elif command == "QUIT":
                self.send("221 Goodbye.\r\n")
                return
            else:
                self.send("500 unknown\r\n")


class Xmpp(Dialogue):
    def element(self):
        data = b""
        while not data.endswith(b">"):
            byte = self.rfile.read(1)
            if not byte:
                return None
            data += byte
        return data.decode(errors="replace")

    def handle(self):
        header = self.element()
        while header is not None and "stream:stream" not in header:
            header = self.element()
        if header is None:
            return
        self.send("<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
                  "xmlns:stream='http://etherx.jabber.org/streams' id='ottscope1' "
                  "from='example.org' version='1.0'><stream:features>"
                  "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>"
                  "</stream:features>")
        while True:
            element = self.element()
            if element is None:
                return
            if element.lstrip().startswith("<starttls"):
                self.send("<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
                self.tls()
                return


def relay(client, upstream):
    def pump(source, sink):
        try:
            while True:
                data = source.recv(16384)
                if not data:
                    break
                sink.sendall(data)
        except OSError:
            pass
        for sock in (source, sink):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    other = threading.Thread(target=pump, args=(upstream, client), daemon=True)
    other.start()
    pump(client, upstream)
    other.join(5)


class Proxy(Dialogue):
    def handle(self):
        request = self.words()
        while True:  # the headers, up to the blank line
            line = self.rfile.readline(8192)
            if line in (b"\r\n", b"\n", b""):
                break
        if self.server.server_address[1] == 3129 or not request or request[0] != "CONNECT":
            self.send("HTTP/1.1 407 Proxy Authentication Required\r\n"
                      "Proxy-Authenticate: Basic realm=\"ottscope\"\r\n"
                      "Content-Length: 0\r\nConnection: close\r\n\r\n")
            return
        upstream = socket.create_connection((TLS_HOST, TLS_PORT), timeout=10)
        self.send("HTTP/1.1 200 Connection established\r\n\r\n")
        relay(self.request, upstream)


class Socks5(Dialogue):
    def handle(self):
        greeting = self.rfile.read(2)
        if len(greeting) < 2 or greeting[0] != 5:
            return
        self.rfile.read(greeting[1])
        self.wfile.write(b"\x05\x00")
        self.wfile.flush()
        head = self.rfile.read(4)
        if len(head) < 4:
            return
        if head[3] == 1:
            self.rfile.read(4)
        elif head[3] == 3:
            self.rfile.read(self.rfile.read(1)[0])
        elif head[3] == 4:
            self.rfile.read(16)
        self.rfile.read(2)
        upstream = socket.create_connection((TLS_HOST, TLS_PORT), timeout=10)
        self.wfile.write(b"\x05\x00\x00\x01\x00\x00\x00\x00\x00\x00")
        self.wfile.flush()
        relay(self.request, upstream)


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


HANDLERS = {25: Smtp, 587: Smtp, 2525: Smtp, 143: Imap, 110: Pop3, 21: Ftp, 5222: Xmpp,
            3128: Proxy, 3129: Proxy, 1080: Socks5}

servers = [Server((ADDRESS, port), handler) for port, handler in HANDLERS.items()]
for server in servers[1:]:
    threading.Thread(target=server.serve_forever, daemon=True).start()
print("listening", flush=True)
servers[0].serve_forever()
