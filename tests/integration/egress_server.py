"""The egress tests' upstream: plain HTTP on 8080, HTTPS on 8443 (with
the certificate given), a raw TCP echo on 9000, all on 0.0.0.0 of the
network namespace it is started in (the test's server namespace, reached
only over a veth pair: nothing leaves the machine). Prints "ready"."""
import http.server
import json
import socket
import socketserver
import ssl
import sys
import threading

CHUNK = b"x" * (1 << 20)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def log_request(self, code="-", size="-"):
        # every request that reached us, for the tests that assert none did
        print("REQUEST " + self.requestline, flush=True)

    def send(self, code, body, headers=()):
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out = b""
            while True:
                n = int(self.rfile.readline().split(b";")[0], 16)
                if n == 0:
                    while self.rfile.readline() not in (b"\r\n", b""):
                        pass
                    return out
                out += self.rfile.read(n)
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length", 0)))

    def echo(self):
        data = self.body()
        self.send(200, json.dumps({
            "method": self.command, "path": self.path,
            "headers": dict(self.headers),
            "body": data.decode("latin-1")}).encode(),
            [("Content-Type", "application/json"),
             ("Set-Cookie", "session=s3cret-server")])

    def do_GET(self):
        if self.path == "/ok":
            self.send(200, b"hello from upstream\n",
                      [("Content-Type", "text/plain")])
        elif self.path.startswith("/big/"):
            n = int(self.path[5:])
            self.send_response(200)
            self.send_header("Content-Length", str(n))
            self.end_headers()
            while n > 0:
                k = min(n, len(CHUNK))
                self.wfile.write(CHUNK[:k])
                n -= k
        elif self.path == "/chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for part in (b"one ", b"two ", b"three\n"):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            self.wfile.write(b"0\r\n\r\n")
        else:
            self.echo()

    do_POST = do_PUT = do_HEAD = do_DELETE = echo


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, *a):
        pass


def echo_server(port):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("0.0.0.0", port))
    ls.listen(64)

    def serve(c):
        with c:
            while True:
                d = c.recv(65536)
                if not d:
                    return
                c.sendall(d)
    while True:
        c, _ = ls.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()


def main():
    crt, key = sys.argv[1], sys.argv[2]
    plain = Server(("0.0.0.0", 8080), Handler)
    tls = Server(("0.0.0.0", 8443), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(crt, key)
    tls.socket = ctx.wrap_socket(tls.socket, server_side=True)
    for s in (plain, tls):
        threading.Thread(target=s.serve_forever, daemon=True).start()
    threading.Thread(target=echo_server, args=(9000,), daemon=True).start()
    print("ready", flush=True)
    sys.stdin.read()  # until the test closes our stdin


main()
