"""The server's gathering transport (asamblea.serving): the writes of one turn of the event loop
leave in one send, in order, and nothing is lost or sent after a close."""

from __future__ import annotations

import asyncio
from typing import Any

from asamblea import serving


class Recording:
    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False
        self.protocol: Any = None

    def write(self, data: bytes) -> None:
        assert not self.closed, "written after close"
        self.writes.append(data)

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.closed = True

    def set_protocol(self, protocol: Any) -> None:
        self.protocol = protocol

    def get_write_buffer_size(self) -> int:
        return 0

    def get_extra_info(self, name: str) -> str:
        return f"info:{name}"


def test_writes_of_one_turn_leave_together_and_in_order() -> None:
    async def scenario() -> list[bytes]:
        inner = Recording()
        transport = serving.GatheringTransport(inner, asyncio.get_running_loop())  # type: ignore[arg-type]
        transport.write(b"HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\n")
        transport.write(b"")
        transport.write(b"body")
        assert inner.writes == []  # nothing sent yet within this turn
        assert transport.get_write_buffer_size() == 42
        await asyncio.sleep(0)
        transport.write(b"next")
        await asyncio.sleep(0)
        return inner.writes

    writes = asyncio.run(scenario())
    assert writes == [b"HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\nbody", b"next"]


def test_close_upgrade_and_abort() -> None:
    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        inner = Recording()
        transport = serving.GatheringTransport(inner, loop)  # type: ignore[arg-type]
        transport.write(b"last words")
        transport.close()  # sent before the close, not after
        assert inner.writes == [b"last words"] and inner.closed
        await asyncio.sleep(0)  # the scheduled flush finds nothing left
        assert inner.writes == [b"last words"]

        inner = Recording()
        transport = serving.GatheringTransport(inner, loop)  # type: ignore[arg-type]
        transport.write(b"before upgrade")
        transport.set_protocol("ws")  # type: ignore[arg-type]
        assert inner.writes == [b"before upgrade"] and inner.protocol == "ws"
        assert transport.get_extra_info("peername") == "info:peername"

        inner = Recording()
        transport = serving.GatheringTransport(inner, loop)  # type: ignore[arg-type]
        transport.write(b"dropped")
        transport.abort()
        await asyncio.sleep(0)
        assert inner.writes == [] and inner.closed

        inner = Recording()
        transport = serving.GatheringTransport(inner, loop)  # type: ignore[arg-type]
        transport.write(b"to a peer that left")
        inner.closed = True  # the peer went away before the turn ended
        await asyncio.sleep(0)
        assert inner.writes == []

    asyncio.run(scenario())


def test_a_real_server_answers_through_it(tmp_path: Any) -> None:
    """uvicorn with the protocol, on a socket: the answer arrives whole, keep-alive works."""
    import socket
    import threading

    import uvicorn

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        await send(
            {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"5")]}
        )
        await send({"type": "http.response.body", "body": b"hello"})

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(app, http=serving.PROTOCOL, lifespan="off", log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        while not server.started:
            thread.join(0.01)
        with socket.create_connection(sock.getsockname(), timeout=5) as client:
            for _ in range(2):  # the same connection twice
                client.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                answer = b""
                while not answer.endswith(b"hello"):
                    chunk = client.recv(4096)
                    assert chunk, "connection closed early"
                    answer += chunk
                assert answer.startswith(b"HTTP/1.1 200 OK\r\n")
    finally:
        server.should_exit = True
        thread.join(5)
