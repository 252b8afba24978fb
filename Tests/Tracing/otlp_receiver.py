"""A stand-in OpenTelemetry collector for the trace test: OTLP/HTTP with JSON bodies.

    otlp_receiver.py

Listens on a free loopback port, prints `listening PORT`, then for every `POST /v1/traces` one line:
the request's JSON body, compacted. Answers 200 with an empty export response.
"""

import http.server
import json
import sys


class Receiver(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.path == "/v1/traces":
            print(json.dumps(json.loads(body), separators=(",", ":")), flush=True)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, format, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
print(f"listening {server.server_address[1]}", flush=True)
server.serve_forever()
