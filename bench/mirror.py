"""A loopback stand-in for Geofabrik's download server, for the tests and benchmarks.

``Mirror`` serves files from disk on 127.0.0.1 only (a free
port), each at ``/<name>`` with its checksum at ``/<name>.md5`` holding
``"<hex>  <name>\\n"`` as Geofabrik publishes it. It answers GET and HEAD,
single HTTP Range requests (206 with ``Content-Range``; 416 with
``Content-Range: bytes */<size>`` for a range it cannot satisfy) and can be
told to misbehave: drop the connection after ``drop_after`` bytes of the body
(for the first ``drops`` requests of a file), serve corrupted bytes (the
``.md5`` still describes the true file), publish no ``.md5``, or answer 404.
Every request is logged in ``requests``. It runs in a thread of the calling
process and is stopped when the ``with`` block ends::

    with Mirror({"guangxi.osm.pbf": path}, drop_after=1_000_000) as mirror:
        download_extract(mirror.url("guangxi.osm.pbf"), "out/guangxi.osm.pbf")
        assert mirror.range_requests("guangxi.osm.pbf")
"""

from __future__ import annotations

import hashlib
import re
import socket
import threading
from dataclasses import dataclass
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
_BLOCK = 1 << 20


@dataclass
class Request:
    """One request the mirror answered."""

    method: str
    path: str
    range: str | None
    status: int
    sent: int  # body bytes sent


class Mirror:
    """A Geofabrik-like HTTP server on 127.0.0.1 (see the module docstring).

    Parameters
    ----------
    files
        ``{name served: file on disk}``.
    drop_after
        Close the connection after this many body bytes of a file ...
    drops
        ... for the first ``drops`` GET requests of that file (then serve normally).
    corrupt
        Flip one byte in every megabyte served (the ``.md5`` stays that of the true file).
    md5
        Publish ``<name>.md5`` files.
    missing
        Names answered with 404 although present.
    """

    def __init__(self, files: dict[str, str | Path], *, drop_after: int | None = None, drops: int = 1,
                 corrupt: bool = False, md5: bool = True, missing: tuple[str, ...] = ()) -> None:
        self.files = {name: Path(p) for name, p in files.items()}
        self.drop_after, self.drops, self.corrupt = drop_after, drops, corrupt
        self.publish_md5, self.missing = md5, set(missing)
        self._requests: list[Request] = []
        self._active = 0  # requests being answered
        self._dropped: dict[str, int] = {}
        self._lock = threading.Condition()
        self._md5 = {name: _md5(p) for name, p in self.files.items()}
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> Mirror:
        mirror = self

        class Handler(_Handler):
            owner = mirror

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        assert self._server is not None and self._thread is not None
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    @property
    def port(self) -> int:
        assert self._server is not None, "use the mirror in a with block"
        return int(self._server.server_address[1])

    def url(self, name: str) -> str:
        """The URL of a served file."""
        return f"http://127.0.0.1:{self.port}/{name}"

    @property
    def requests(self) -> list[Request]:
        """The requests answered so far (waiting for those being answered: a client may have read
        a whole answer before the server thread has finished with it)."""
        with self._lock:
            self._lock.wait_for(lambda: self._active == 0, timeout=10)
            return list(self._requests)

    def range_requests(self, name: str) -> list[Request]:
        """The GET requests for ``name`` that carried a Range header."""
        return [r for r in self.requests if r.method == "GET" and r.path == "/" + name and r.range]

    def _begin(self) -> None:
        with self._lock:
            self._active += 1

    def _log(self, request: Request) -> None:
        with self._lock:
            self._requests.append(request)
            self._active -= 1
            self._lock.notify_all()

    def _should_drop(self, name: str) -> bool:
        with self._lock:
            if self.drop_after is None or self._dropped.get(name, 0) >= self.drops:
                return False
            self._dropped[name] = self._dropped.get(name, 0) + 1
            return True


def _md5(path: Path) -> str:
    h = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(_BLOCK), b""):
            h.update(block)
    return h.hexdigest()


class _Handler(BaseHTTPRequestHandler):
    owner: Mirror
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass  # requests are recorded in Mirror.requests instead

    def do_HEAD(self) -> None:  # noqa: N802 - http.server's naming
        self._answer(body=False)

    def do_GET(self) -> None:  # noqa: N802
        self._answer(body=True)

    def _answer(self, body: bool) -> None:
        self.owner._begin()
        try:
            self._respond(body)
        except BaseException:
            self.owner._log(Request(self.command, self.path, self.headers.get("Range"), 0, 0))
            raise

    def _respond(self, body: bool) -> None:
        """Answer the request and log it (exactly once)."""
        mirror, path = self.owner, self.path.split("?")[0]
        name = path.lstrip("/")
        rng = self.headers.get("Range")
        if name.endswith(".md5") and mirror.publish_md5 and name[:-4] in mirror.files and name[:-4] not in mirror.missing:
            data = f"{mirror._md5[name[:-4]]}  {name[:-4]}\n".encode()
            self._simple(200, data if body else b"", "text/plain", len(data))
            mirror._log(Request(self.command, path, rng, 200, len(data) if body else 0))
            return
        if name not in mirror.files or name in mirror.missing:
            self._simple(404, b"Not Found\n" if body else b"", "text/plain", 10)
            mirror._log(Request(self.command, path, rng, 404, 0))
            return
        file = mirror.files[name]
        size = file.stat().st_size
        start, end, status = 0, size - 1, 200
        if rng:
            m = _RANGE.match(rng.strip())
            first, last = (m.group(1), m.group(2)) if m else ("", "")
            if not m or (not first and not last):
                start = size  # unparsable: unsatisfiable
            elif first:
                start, end = int(first), min(int(last), size - 1) if last else size - 1
            else:  # suffix range: the last N bytes
                start = max(size - int(last), 0)
            if start >= size or start > end:
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{size}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                mirror._log(Request(self.command, path, rng, 416, 0))
                return
            status = 206
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Last-Modified", formatdate(file.stat().st_mtime, usegmt=True))
        self.send_header("ETag", f'"{mirror._md5[name]}"')
        self.send_header("Content-Length", str(end - start + 1))
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.end_headers()
        sent = self._send_file(file, start, end, name) if body else 0
        mirror._log(Request(self.command, path, rng, status, sent))

    def _simple(self, status: int, data: bytes, kind: str, length: int) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(length))
        self.end_headers()
        if data:
            self.wfile.write(data)

    def _send_file(self, file: Path, start: int, end: int, name: str) -> int:
        """Send bytes start..end; drop the connection midway or corrupt them if told to."""
        mirror = self.owner
        limit = end - start + 1
        drop = mirror.drop_after is not None and mirror.drop_after < limit and mirror._should_drop(name)
        if drop:
            limit = int(mirror.drop_after or 0)
        sent = 0
        try:
            with file.open("rb") as fh:
                fh.seek(start)
                while sent < limit:
                    block = bytearray(fh.read(min(_BLOCK, limit - sent)))
                    if not block:
                        break
                    if mirror.corrupt:
                        block[len(block) // 2] ^= 0xFF
                    self.wfile.write(block)
                    sent += len(block)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
            return sent
        if drop:  # cut the connection short of the announced Content-Length
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        return sent
