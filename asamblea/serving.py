"""How Asamblea is served: uvicorn, with httptools and uvloop, and one change to how it writes.

uvicorn writes an answer's status line and headers with one ``transport.write`` and its body with
another. uvloop sends each write at once, so every answer costs two ``send`` calls, and on the
machine's loopback or a LAN two wake-ups of the reader. Measured under the voter's path
(``bench/voter_flow.py``, py-spy on the workers), these two writes were a quarter of a worker's
busy time. :class:`HttpToolsProtocol` hands uvicorn a transport that gathers the writes made
during one turn of the event loop and sends them with one call at the end of that turn (or at
once, before the connection is closed, upgraded or half-closed). Nothing else changes: the same
bytes in the same order, the same flow control, the same closing.

``asamblea serve`` and the benchmarks run the server through :func:`run`, so what is measured is
what is served::

    python -m asamblea.serving asamblea.asgi:application --port 8000 --workers 2
"""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as _UvicornHttpTools

PROTOCOL = "asamblea.serving:HttpToolsProtocol"


class GatheringTransport:
    """A transport whose writes within one turn of the event loop leave in one ``write``."""

    __slots__ = ("_transport", "_loop", "_pending")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] = []

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not data:
            return
        if not self._pending:
            self._loop.call_soon(self.flush)
        self._pending.append(bytes(data))

    def writelines(self, chunks: Any) -> None:
        for chunk in chunks:
            self.write(chunk)

    def flush(self) -> None:
        """Send what was gathered (nothing if the connection is already closing)."""
        if not self._pending:
            return
        data = self._pending[0] if len(self._pending) == 1 else b"".join(self._pending)
        self._pending = []
        if not self._transport.is_closing():
            self._transport.write(data)

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + sum(map(len, self._pending))

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def write_eof(self) -> None:
        self.flush()
        self._transport.write_eof()

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self.flush()
        self._transport.set_protocol(protocol)

    def abort(self) -> None:
        self._pending = []
        self._transport.abort()

    def __getattr__(self, name: str) -> Any:
        # is_closing, get_extra_info, pause_reading, resume_reading, get_protocol, ...
        return getattr(self._transport, name)


class HttpToolsProtocol(_UvicornHttpTools):
    """uvicorn's httptools protocol, writing through a :class:`GatheringTransport`."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        gathering = GatheringTransport(transport, self.loop)
        super().connection_made(gathering)  # type: ignore[arg-type]


def run(app: str, *, host: str, port: int, workers: int, **options: Any) -> None:
    """uvicorn.run with Asamblea's protocol, uvloop, and no trust in X-Forwarded-For."""
    import uvicorn

    uvicorn.run(
        app,
        host=host,
        port=port,
        workers=workers,
        http=PROTOCOL,
        loop="uvloop",
        # Never let uvicorn rewrite the client address from X-Forwarded-For: it trusts the
        # header from any loopback peer. asamblea.ratelimit.client_address reads it, only
        # behind a configured proxy and only for TRUSTED_PROXY_COUNT hops.
        proxy_headers=False,
        **options,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve an ASGI application as Asamblea does.")
    parser.add_argument("app", help="import string, e.g. asamblea.asgi:application")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--log-level", default="warning")
    parser.add_argument("--no-access-log", action="store_true")
    parser.add_argument("--timeout-graceful-shutdown", type=int, default=None)
    args = parser.parse_args(argv)
    run(
        args.app,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=args.log_level,
        access_log=not args.no_access_log,
        timeout_graceful_shutdown=args.timeout_graceful_shutdown,
    )


if __name__ == "__main__":
    main()
