"""Downloading a regional OSM extract as Geofabrik publishes it: resumable, verified, placed atomically.

Geofabrik publishes next to every ``<name>.osm.pbf`` a ``<name>.osm.pbf.md5`` holding
``"<hex>  <name>.osm.pbf\\n"``; any mirror that does the same works. The file is
downloaded to ``<target>.part`` (with ``<target>.part.json`` recording the URL and
the published MD5 it belongs to); a dropped connection is retried with backoff
and resumed with an HTTP Range request from the bytes already there, also in a
later run. Only when the whole file's MD5 equals the published one is the part
file renamed to ``target``; on a mismatch it is deleted. A server that publishes
no ``.md5`` is an error unless the caller accepts an unverified file
(``require_md5=False``, ``siting fetch-osm --no-md5``).
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import re
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from siting.errors import SitingError
from siting.io import write_json

USER_AGENT = "siting fetch-osm (Python urllib)"
_BLOCK = 1 << 20
_MD5 = re.compile(r"^[0-9a-f]{32}$")
_CONTENT_RANGE = re.compile(r"bytes\s+(?:(\d+)-(\d+)|\*)/(\d+|\*)")


@dataclass
class Download:
    """What :func:`download_extract` did."""

    path: Path
    url: str
    md5: str
    md5_verified: bool  # False only when the server published no .md5 and that was accepted
    size: int
    downloaded_at: str  # UTC, ISO 8601
    resumed: int  # requests that asked for the rest of a partial download (HTTP Range)
    attempts: int  # requests for the file, the first included
    reused: bool  # the target already held the published file: nothing downloaded

    def as_dict(self) -> dict[str, Any]:
        """The fields recorded in the clip sidecar."""
        return {"url": self.url, "downloaded_at": self.downloaded_at, "md5": self.md5,
                "md5_verified": self.md5_verified, "bytes": self.size, "resumed": self.resumed,
                "reused_existing_file": self.reused}


class _Interrupted(Exception):
    """A transfer that stopped early; retried."""


def file_md5(path: str | Path) -> str:
    """Hex MD5 of a file, read in 1 MB blocks."""
    h = hashlib.md5(usedforsecurity=False)
    with Path(path).open("rb") as fh:
        for block in iter(lambda: fh.read(_BLOCK), b""):
            h.update(block)
    return h.hexdigest()


def _request(url: str, *, method: str = "GET", start: int = 0) -> urllib.request.Request:
    headers = {"User-Agent": USER_AGENT}
    if start:
        headers["Range"] = f"bytes={start}-"
    return urllib.request.Request(url, headers=headers, method=method)


def _not_found(url: str) -> SitingError:
    return SitingError(
        f"{url} answers 404 Not Found: no extract at that address. Check fetch.url in the scenario (or --url): "
        "Geofabrik's Chinese provinces are listed at https://download.geofabrik.de/asia/china.html "
        "(e.g. .../asia/china/guangxi-latest.osm.pbf); or download the file yourself and pass it with --input")


def _http_error(url: str, exc: urllib.error.HTTPError) -> Exception:
    """A SitingError to stop on, or an _Interrupted to retry (server errors)."""
    if exc.code == 404:
        return _not_found(url)
    if exc.code >= 500:
        return _Interrupted(f"HTTP {exc.code} {exc.reason}")
    return SitingError(f"{url} answers HTTP {exc.code} {exc.reason}")


def published_md5(url: str, timeout: float = 60.0) -> str | None:
    """The MD5 published at ``url + '.md5'`` (Geofabrik's format), or None when there is none (404).

    Raises a :class:`SitingError` when ``url`` itself answers 404 or the ``.md5`` is not a checksum.
    """
    try:
        with urllib.request.urlopen(_request(url + ".md5"), timeout=timeout) as resp:  # noqa: S310
            text = resp.read(4096).decode("ascii", errors="replace")
    except urllib.error.HTTPError as exc:
        if exc.code != 404:
            raise _http_error(url + ".md5", exc) from exc
        try:  # no .md5: is the extract itself there?
            urllib.request.urlopen(_request(url, method="HEAD"), timeout=timeout).close()  # noqa: S310
        except urllib.error.HTTPError as head_exc:
            raise _http_error(url, head_exc) from head_exc
        except (OSError, http.client.HTTPException) as head_exc:
            raise _Interrupted(str(head_exc)) from head_exc
        return None
    except (OSError, http.client.HTTPException) as exc:  # refused, reset, timed out: retried
        raise _Interrupted(str(exc)) from exc
    token = (text.split() or [""])[0].lower()
    if not _MD5.match(token):
        raise SitingError(f"{url}.md5 does not hold an MD5 checksum (it starts {text[:60]!r})")
    return token


def _transfer(url: str, part: Path, timeout: float, bar: Any) -> None:
    """One request continuing ``part`` (Range from its size), or restarting it if the server
    answers with the whole file.

    Raises :class:`_Interrupted` when the connection ends before the announced length.
    """
    start = part.stat().st_size if part.exists() else 0
    try:
        resp = urllib.request.urlopen(_request(url, start=start), timeout=timeout)  # noqa: S310
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and start:  # nothing left after `start`: complete, or a stale longer part
            m = _CONTENT_RANGE.match(exc.headers.get("Content-Range", ""))
            if m and m.group(3) == str(start):
                return
            part.unlink()
            raise _Interrupted(f"the server has fewer than the {start:,} bytes already downloaded") from exc
        raise _http_error(url, exc) from exc
    except (OSError, http.client.HTTPException) as exc:
        raise _Interrupted(str(exc)) from exc
    with resp:
        resumed = start > 0 and resp.status == 206
        if resumed:
            m = _CONTENT_RANGE.match(resp.headers.get("Content-Range", ""))
            if not m or m.group(1) != str(start):
                raise SitingError(f"{url} answered a range request with the wrong range "
                                  f"({resp.headers.get('Content-Range')!r} for bytes {start}-)")
        else:
            start = 0  # a full answer (the server ignored the range, or nothing was there yet)
        length = resp.headers.get("Content-Length")
        expected = int(length) if length is not None else None
        bar.reset(total=None if expected is None else start + expected)
        bar.n = bar.last_print_n = bar.initial = start  # bytes already there: in the size, not the rate
        received = 0
        with part.open("ab" if resumed else "wb") as fh:
            try:
                for block in iter(lambda: resp.read(_BLOCK), b""):
                    fh.write(block)
                    received += len(block)
                    bar.update(len(block))
            except (OSError, http.client.HTTPException) as exc:
                raise _Interrupted(f"after {start + received:,} bytes: {exc}") from exc
            finally:
                fh.flush()
                os.fsync(fh.fileno())
    if expected is not None and received < expected:
        raise _Interrupted(f"connection closed after {start + received:,} of {start + expected:,} bytes")


def _start_part(part: Path, meta: Path, url: str, md5: str | None) -> None:
    """Keep ``part`` only if it belongs to this URL and this published file (else a stale file version)."""
    try:
        recorded = json.loads(meta.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        recorded = None
    if recorded != {"url": url, "md5": md5}:
        part.unlink(missing_ok=True)
        write_json(meta, {"url": url, "md5": md5})


def _with_retries(action: Callable[[], Any], retries: int, backoff_s: float, say: Callable[[str], None],
                  give_up: Callable[[int, Exception], str]) -> Any:
    """``action()``, retried after each :class:`_Interrupted` with exponential backoff (at most 60 s)."""
    attempts = 0
    while True:
        attempts += 1
        try:
            return action()
        except _Interrupted as exc:
            if attempts > retries:
                raise SitingError(give_up(attempts, exc)) from exc
            delay = min(backoff_s * 2 ** (attempts - 1), 60.0)
            say(f"interrupted ({exc}); retrying in {delay:g} s")
            time.sleep(delay)


def download_extract(url: str, target: str | Path, *, require_md5: bool = True, retries: int = 5,
                     backoff_s: float = 1.0, timeout: float = 60.0, progress: bool = False,
                     log: Callable[[str], None] | None = None) -> Download:
    """Download ``url`` to ``target``, resuming, verifying its MD5 and renaming only when it matches.

    Parameters
    ----------
    require_md5
        Stop when the server publishes no ``<url>.md5``; when False, keep the file unverified.
    retries
        Dropped connections (and server errors) tolerated; after each the download waits
        ``backoff_s * 2**k`` seconds (at most 60) and resumes where it stopped.
    progress
        Show a progress bar (size and rate) on standard error, if it is a terminal.
    log
        Called with one-line notices (resuming, retrying, no ``.md5`` published, already there).
    """
    from tqdm import tqdm

    say = log or (lambda _msg: None)
    dest = Path(target)
    md5 = _with_retries(lambda: published_md5(url, timeout), retries, backoff_s, say,
                        lambda n, exc: f"could not reach {url} ({n} tries, last: {exc}). Check the internet "
                        "connection or the mirror, or download the file yourself and pass it with --input")
    if md5 is None:
        if require_md5:
            raise SitingError(f"{url}.md5 answers 404: the server publishes no MD5 checksum, so the download "
                              "cannot be verified. Use a mirror that publishes <file>.md5 as Geofabrik does, "
                              "or accept an unverified file with --no-md5")
        say(f"warning: {url}.md5 not found: the download will not be verified")
    if md5 and dest.exists() and file_md5(dest) == md5:
        say(f"{dest} already holds the published file (MD5 {md5})")
        return Download(dest, url, md5, True, dest.stat().st_size, _now(), 0, 0, True)
    dest.parent.mkdir(parents=True, exist_ok=True)
    part, meta = dest.with_name(dest.name + ".part"), dest.with_name(dest.name + ".part.json")
    _start_part(part, meta, url, md5)
    if part.exists():
        say(f"resuming {part} from {part.stat().st_size:,} bytes")
    tally = {"attempts": 0, "resumed": 0}

    def attempt() -> None:
        tally["attempts"] += 1
        tally["resumed"] += part.exists() and part.stat().st_size > 0
        _transfer(url, part, timeout, bar)

    def notice(message: str) -> None:  # clear the progress bar for the line, then redraw it
        with tqdm.external_write_mode(file=sys.stderr):
            say(message)

    with tqdm(unit="B", unit_scale=True, unit_divisor=1024, desc=dest.name, file=sys.stderr,
              disable=not progress or not sys.stderr.isatty()) as bar:
        _with_retries(attempt, retries, backoff_s, notice,
                      lambda n, exc: f"the download of {url} was interrupted {n} times (last: {exc}); the partial "
                      f"file {part} is kept: run the same command again to resume")
    got = file_md5(part)
    if md5 is not None and got != md5:
        part.unlink()
        meta.unlink(missing_ok=True)
        raise SitingError(f"the file downloaded from {url} is corrupt: its MD5 is {got}, the server publishes "
                          f"{md5}. The partial download was deleted; run the command again to download afresh")
    os.replace(part, dest)
    meta.unlink(missing_ok=True)
    return Download(dest, url, got, md5 is not None, dest.stat().st_size, _now(), tally["resumed"],
                    tally["attempts"], False)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
