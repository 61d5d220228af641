#!/usr/bin/env python3
"""A fault-injecting HTTP(S) server on 127.0.0.1 for the downloader's tests.

Python 3 standard library only; tests/servers/fault_server.{h,cc} start it
under /usr/bin/python3.

  fault_server.py --root DIR --port-file FILE --log FILE [--port N]
                  [--tls-cert CERT --tls-key KEY]

Serves the files under --root for GET and HEAD (HTTP/1.1, keep-alive, one
thread per connection). The bound port is written to --port-file (atomically,
through FILE.tmp) once the server listens. SIGTERM stops it.

What each response does is chosen by the request's query parameters, which
combine; the file served is the URL path without the query. "n" below is the
request's number among all requests (GET and HEAD) for the exact same path
and query since the server started, counting from 1, so adding an unused
parameter (e.g. "&case=3") gives a fresh count.

  status=N        answer N with a short text body (no file content)
  retry_after=S   with status: add "Retry-After: S"
  fail_first=K    requests n <= K get the status answer (503 unless status=
                  says otherwise); later ones are served normally
  redirect=URL    answer 302 with "Location: URL" (percent-encode URL)
  redirect_status=301|302|303|307|308   the code for redirect= / redirect_loop=
  redirect_loop=1 answer 302 to the request's own URL, forever
  reset_after=B   send the headers (true Content-Length) and B body bytes,
                  then reset the connection (RST)            \\
  stall_after=B   send B body bytes, then sleep stall_s      | only while
                  seconds (default 30) and close             | n <= fault_times
  short_by=B      send B fewer body bytes than Content-Length| (default 1)
                  says, then close cleanly (FIN)             /
  fault_times=K   how many requests get the three faults above
  fault_range=S   the three faults only hit requests whose Range starts at
                  byte S (counted apart: the first fault_times of those), so
                  one range of a parallel download fails and no other
  no_length=1     no Content-Length: body, then close (Connection: close)
  chunked=1       Transfer-Encoding: chunked
  ranges=0|1      honour "Range: bytes=N-", "bytes=N-M", "bytes=-S" with 206
                  (default 1); 0 ignores Range and sends no Accept-Ranges.
                  Unsatisfiable: 416 with "Content-Range: bytes */SIZE".
                  "If-Range" not matching the ETag / Last-Modified: 200.
  ranges_for=K    requests n > K ignore Range (200, the whole file) though
                  Accept-Ranges still says "bytes": a server that stops
                  honouring ranges half-way
  range_short_by=B  a 206 answer covers B bytes fewer than asked (at least
                  one), its Content-Range and Content-Length saying so
  change_after=K  requests n > K are served PATH.v2 (its own validators)
  delay_ms=M      sleep M ms before the headers
  rate=B          send the body at about B bytes per second
  echo_headers=1  answer 200 with a JSON object of the request's headers
                  (names lowercased) instead of a file

A file named with the query ("branches?per_page=100&page=2") is served for
that exact URL, which is how GitHub-shaped API pages are laid out; a URL
ending in "/" that names a directory is served its index.html; a file
"PATH.http-status" holding a number makes PATH answer with that status, and
"PATH.auth-http-status" does so only for requests with an Authorization
header.

File responses carry a strong ETag ('"' + 16 hex of the content's sha256 +
'"') and Last-Modified (the file's mtime).

--log gets one JSON object per line for every request, written after the
response has ended or been cut off, so lines can come out of order: seq
(the request's number in order of arrival, from 1), method, path, query,
range (the Range header or null), status, bytes_sent (body bytes written),
host, authorization (or null), user_agent (or null), and the server's own
timing on its monotonic clock, in seconds since the request was read:
sent_s (when the status line and headers had been written, or null when
none were) and duration_s (when the response ended or was cut off). They
are what shows that delay_ms=, rate= and stall_s= really held the answer
back, whatever the client's clock and however busy the machine.

--arrivals, when given, gets one JSON line per request as soon as its
request line and headers are read, before any answer: seq, method, path,
query. A client that has seen an answer is therefore always counted there,
so counts read after the client's call returns are exact.
"""

import argparse
import email.utils
import fcntl
import hashlib
import http.server
import json
import os
import signal
import socket
import ssl
import struct
import sys
import termios
import threading
import time
import urllib.parse

CHUNK = 64 * 1024


class Counters:
    """Requests seen in all and per exact path+query, thread-safe."""

    def __init__(self):
        self._lock = threading.Lock()
        self._total = 0
        self._counts = {}

    def arrived(self):
        """The next request's number among all requests (from 1)."""
        with self._lock:
            self._total += 1
            return self._total

    def next(self, key):
        """The next request's number among those for `key` (from 1)."""
        with self._lock:
            n = self._counts.get(key, 0) + 1
            self._counts[key] = n
            return n


class Log:
    """Appends one JSON line per request; lines never interleave."""

    def __init__(self, path):
        self._lock = threading.Lock()
        self._file = open(path, "a", encoding="utf-8")

    def write(self, record):
        line = json.dumps(record) + "\n"
        with self._lock:
            self._file.write(line)
            self._file.flush()


class FileInfo:
    """A file's bytes and validators, cached by (path, inode, size, mtime)."""

    _lock = threading.Lock()
    _cache = {}

    def __init__(self, data, etag, last_modified):
        self.data = data
        self.etag = etag
        self.last_modified = last_modified

    @classmethod
    def load(cls, path):
        st = os.stat(path)
        key = (path, st.st_ino, st.st_size, st.st_mtime_ns)
        with cls._lock:
            info = cls._cache.get(key)
        if info is not None:
            return info
        with open(path, "rb") as f:
            data = f.read()
        etag = '"%s"' % hashlib.sha256(data).hexdigest()[:16]
        last_modified = email.utils.formatdate(st.st_mtime, usegmt=True)
        info = cls(data, etag, last_modified)
        with cls._lock:
            cls._cache[key] = info
        return info


class BadRequest(Exception):
    pass


def parse_range(header, size):
    """Returns (start, end_exclusive), "unsatisfiable", or None to ignore."""
    if not header or not header.startswith("bytes=") or "," in header:
        return None
    spec = header[len("bytes="):].strip()
    first, dash, last = spec.partition("-")
    if not dash:
        return None
    first, last = first.strip(), last.strip()
    try:
        if first == "":
            if not last.isdigit():
                return None
            suffix = int(last)
            if suffix == 0 or size == 0:
                return "unsatisfiable"
            return (max(0, size - suffix), size)
        if not first.isdigit() or (last and not last.isdigit()):
            return None
        start = int(first)
        end = int(last) + 1 if last else None
    except ValueError:
        return None
    if end is not None and end <= start:
        return None  # "bytes=5-2" is invalid: ignored, as RFC 9110 says.
    if start >= size:
        return "unsatisfiable"
    return (start, size if end is None else min(end, size))


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FaultServer/1"
    # Idle keep-alive connections end after this long.
    timeout = 120

    # --- plumbing -----------------------------------------------------------

    def setup(self):
        if isinstance(self.request, ssl.SSLSocket):
            self.request.settimeout(30)
            self.request.do_handshake()  # failures end this connection only
        super().setup()

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        pass

    def do_GET(self):
        self._serve("GET")

    def do_HEAD(self):
        self._serve("HEAD")

    def _refuse_method(self):
        self._serve(self.command)

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _refuse_method

    def _serve(self, method):
        seq = self.server.counters.arrived()
        self._arrived = time.monotonic()
        self._sent = None
        self._status = 0
        self._bytes_sent = 0
        url = urllib.parse.urlsplit(self.path)
        if self.server.arrivals is not None:
            self.server.arrivals.write({"seq": seq, "method": method,
                                        "path": url.path, "query": url.query})
        try:
            self._respond(method, url)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError,
                socket.timeout, ssl.SSLError):
            self.close_connection = True
        finally:
            self.server.log.write({
                "seq": seq,
                "method": method,
                "path": url.path,
                "query": url.query,
                "range": self.headers.get("Range"),
                "status": self._status,
                "bytes_sent": self._bytes_sent,
                "host": self.headers.get("Host"),
                "authorization": self.headers.get("Authorization"),
                "user_agent": self.headers.get("User-Agent"),
                "sent_s": self._sent,
                "duration_s": time.monotonic() - self._arrived,
            })

    def _start(self, status, headers):
        self._status = status
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self._sent = time.monotonic() - self._arrived

    def _send_simple(self, method, status, extra_headers=(), body=None):
        """Answers `status` with a short text body (none for 204 and 304)."""
        if status in (204, 304):
            self._start(status, list(extra_headers))
            return
        if body is None:
            body = ("%d %s\n" % (status, self.responses.get(status, ("",))[0])).encode()
        headers = [("Content-Type", "text/plain; charset=utf-8"),
                   ("Content-Length", str(len(body)))]
        self._start(status, headers + list(extra_headers))
        if method != "HEAD":
            self.connection.sendall(body)
            self._bytes_sent = len(body)

    # --- the response ---------------------------------------------------------

    def _respond(self, method, url):
        try:
            q = {k: v[-1] for k, v in
                 urllib.parse.parse_qs(url.query, keep_blank_values=True).items()}

            def num(name, default=None):
                if name not in q:
                    return default
                try:
                    return int(q[name])
                except ValueError:
                    raise BadRequest("%s=%r is not an integer" % (name, q[name]))

            n = self.server.counters.next(self.path)
            status = num("status")
            if status is not None and not 200 <= status <= 599:
                raise BadRequest("status=%d is not a final status" % status)
            fail_first = num("fail_first")
            retry_after = q.get("retry_after")
            redirect_status = num("redirect_status", 302)
            fault_times = num("fault_times", 1)
            reset_after = num("reset_after")
            stall_after = num("stall_after")
            stall_s = float(q.get("stall_s", "30"))
            short_by = num("short_by")
            range_short_by = num("range_short_by", 0)
            change_after = num("change_after")
            delay_ms = num("delay_ms", 0)
            rate = num("rate", 0)
            ranges = num("ranges", 1) != 0
            ranges_for = num("ranges_for")
            fault_range = num("fault_range")
            no_length = num("no_length", 0) != 0
            chunked = num("chunked", 0) != 0
        except (BadRequest, ValueError) as e:
            self._send_simple(method, 400, body=("%s\n" % e).encode())
            return

        if delay_ms > 0:
            time.sleep(delay_ms / 1000.0)

        if method not in ("GET", "HEAD"):
            # A request body would be left unread: end the connection.
            self.close_connection = True
            self._send_simple(method, 405, [("Allow", "GET, HEAD"), ("Connection", "close")])
            return

        if fail_first is not None and n <= fail_first:
            answer = status if status is not None else 503
        elif fail_first is None and status is not None:
            answer = status
        else:
            answer = None
        if answer is not None:
            extra = [("Retry-After", retry_after)] if retry_after is not None else []
            self._send_simple(method, answer, extra)
            return

        if "redirect" in q or q.get("redirect_loop") == "1":
            if "redirect" in q:
                location = q["redirect"]
            else:
                scheme = "https" if self.server.tls else "http"
                host = self.headers.get("Host") or "127.0.0.1:%d" % self.server.port
                location = "%s://%s%s" % (scheme, host, self.path)
            self._send_simple(method, redirect_status, [("Location", location)])
            return

        if q.get("echo_headers") == "1":
            headers = {}
            for name, value in self.headers.items():
                name = name.lower()
                headers[name] = headers[name] + ", " + value if name in headers else value
            body = (json.dumps(headers, sort_keys=True) + "\n").encode()
            self._start(200, [("Content-Type", "application/json"),
                              ("Content-Length", str(len(body)))])
            if method == "GET":
                self._send_body(body, rate=rate)
            return

        path = self._file_path(url.path)
        if path is not None and change_after is not None and n > change_after:
            path = path + ".v2"
        if path is not None and url.query and os.path.isfile(path + "?" + url.query):
            # A file named with the query ("branches?per_page=100&page=2")
            # stands for that exact URL: API pages.
            path = path + "?" + url.query
        elif path is not None and os.path.isdir(path) and url.path.endswith("/"):
            # "tree/main/": a directory answers with its index.html.
            path = os.path.join(path, "index.html")
        if (path is not None and self.headers.get("Authorization")
                and os.path.isfile(path + ".auth-http-status")):
            # "PATH.auth-http-status": that answer when a token is sent
            # (an API refusing a token that lacks permissions).
            with open(path + ".auth-http-status") as f:
                self._send_simple(method, int(f.read().strip()))
            return
        if path is not None and os.path.isfile(path + ".http-status"):
            # "PATH.http-status" holding e.g. "300": that answer for PATH.
            with open(path + ".http-status") as f:
                self._send_simple(method, int(f.read().strip()))
            return
        if path is None or not os.path.isfile(path):
            self._send_simple(method, 404)
            return
        info = FileInfo.load(path)
        size = len(info.data)

        headers = [("Content-Type", "application/octet-stream"),
                   ("ETag", info.etag), ("Last-Modified", info.last_modified)]
        status = 200
        body = info.data
        if ranges:
            headers.append(("Accept-Ranges", "bytes"))
            wanted = parse_range(self.headers.get("Range"), size)
            if_range = self.headers.get("If-Range")
            if wanted is not None and if_range is not None and \
                    if_range.strip() not in (info.etag, info.last_modified):
                wanted = None
            if ranges_for is not None and n > ranges_for:
                wanted = None
            if wanted == "unsatisfiable":
                self._send_simple(method, 416, [("Content-Range", "bytes */%d" % size)])
                return
            if wanted is not None:
                start, end = wanted
                # A well-formed answer for less than was asked (never empty).
                end = max(start + 1, end - range_short_by)
                status = 206
                body = info.data[start:end]
                headers.append(("Content-Range", "bytes %d-%d/%d" % (start, end - 1, size)))

        faulty = n <= fault_times
        if fault_range is not None:
            start = wanted[0] if ranges and isinstance(wanted, tuple) else None
            faulty = start == fault_range and self.server.counters.next(
                "%s#range=%d" % (self.path, fault_range)) <= fault_times
        if chunked:
            headers.append(("Transfer-Encoding", "chunked"))
        elif no_length:
            headers.append(("Connection", "close"))
            self.close_connection = True
        else:
            headers.append(("Content-Length", str(len(body))))
        self._start(status, headers)
        if method == "HEAD":
            return

        if faulty and reset_after is not None:
            self._send_body(body[:reset_after], rate=rate, chunked=chunked, last=False)
            self._reset()
        elif faulty and stall_after is not None:
            self._send_body(body[:stall_after], rate=rate, chunked=chunked, last=False)
            self._wait_until_sent()
            time.sleep(stall_s)
            self._close_cleanly()
        elif faulty and short_by is not None:
            self._send_body(body[:max(0, len(body) - short_by)], rate=rate,
                            chunked=chunked, last=False)
            self._close_cleanly()
        else:
            self._send_body(body, rate=rate, chunked=chunked)
            if no_length:
                self._close_cleanly()

    def _file_path(self, url_path):
        """The file under --root that `url_path` names, or None if outside."""
        root = self.server.root
        relative = urllib.parse.unquote(url_path).lstrip("/")
        if "\0" in relative:
            return None
        path = os.path.realpath(os.path.join(root, relative))
        if path != root and not path.startswith(root + os.sep):
            return None
        return path

    def _send_body(self, body, rate=0, chunked=False, last=True):
        """Writes `body` in pieces (chunk-encoded if asked), at `rate` B/s."""
        piece = CHUNK if rate <= 0 else max(1, min(CHUNK, rate // 20))
        started = time.monotonic()
        view = memoryview(body)
        for offset in range(0, len(body), piece):
            data = view[offset:offset + piece]
            if chunked:
                self.connection.sendall(b"%x\r\n" % len(data) + bytes(data) + b"\r\n")
            else:
                self.connection.sendall(data)
            self._bytes_sent += len(data)
            if rate > 0:
                ahead = started + self._bytes_sent / rate - time.monotonic()
                if ahead > 0:
                    time.sleep(ahead)
        if chunked and last:
            self.connection.sendall(b"0\r\n\r\n")

    def _wait_until_sent(self, limit_s=2.0):
        """Waits (a while at most) until the peer has acknowledged all we sent."""
        deadline = time.monotonic() + limit_s
        while time.monotonic() < deadline:
            try:
                buf = fcntl.ioctl(self.connection.fileno(), termios.TIOCOUTQ,
                                  struct.pack("i", 0))
            except OSError:
                return
            if struct.unpack("i", buf)[0] == 0:
                return
            time.sleep(0.005)

    def _reset(self):
        """Drops the connection with an RST (no FIN, no TLS close_notify)."""
        self.close_connection = True
        self._wait_until_sent()
        sock = self.connection
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        # The descriptor is closed (and the RST sent) only once nothing else
        # refers to the socket: rfile (a makefile()) does. SSLSocket.close()
        # sends no close_notify.
        self.rfile.close()
        sock.close()

    def _close_cleanly(self):
        """Ends the connection with a FIN (and TLS close_notify)."""
        self.close_connection = True
        if isinstance(self.connection, ssl.SSLSocket):
            try:
                self.connection.settimeout(2)
                self.connection.unwrap()
            except (OSError, ValueError):
                pass


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def handle_error(self, request, client_address):
        error = sys.exc_info()[1]
        if isinstance(error, (ssl.SSLError, ConnectionError, socket.timeout, OSError)):
            return  # a client that went away or failed the handshake
        super().handle_error(request, client_address)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", required=True)
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--arrivals")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--tls-cert")
    parser.add_argument("--tls-key")
    args = parser.parse_args()
    if bool(args.tls_cert) != bool(args.tls_key):
        parser.error("--tls-cert and --tls-key go together")

    def stop(signum, frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    server = Server(("127.0.0.1", args.port), Handler)
    server.root = os.path.realpath(args.root)
    server.counters = Counters()
    server.log = Log(args.log)
    server.arrivals = Log(args.arrivals) if args.arrivals else None
    server.port = server.server_address[1]
    server.tls = bool(args.tls_cert)
    if server.tls:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.tls_cert, args.tls_key)
        # The handshake happens in the connection's thread (Handler.setup).
        server.socket = context.wrap_socket(server.socket, server_side=True,
                                            do_handshake_on_connect=False)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % server.port)
    os.rename(tmp, args.port_file)
    try:
        server.serve_forever()
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
