"""A JSON API for netns_capture.sh: answers POSTs with a small JSON document and serves
files for GETs (python3's http.server, HTTP/1.1 with Content-Length)."""
import http.server
import sys


class Handler(http.server.SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        self.rfile.read(length)
        body = b'{"status":"ok","stored":1}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


address, port, root = sys.argv[1], int(sys.argv[2]), sys.argv[3]
handler = lambda *a, **k: Handler(*a, directory=root, **k)
http.server.ThreadingHTTPServer((address, port), handler).serve_forever()
