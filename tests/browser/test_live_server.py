"""The browser tests' own server: a browser resetting a connection must not leak a file.

No browser here: a raw socket does what Chromium did in CI (it sent more than the request,
read the response, then reset the connection while werkzeug drained the rest).
"""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Iterator

from werkzeug.serving import make_server

from tests.browser.conftest import _buffered, _QuietRequestHandler


def _response_closed_after_reset(wrap) -> bool:
    closed = threading.Event()

    class Body:
        def __iter__(self) -> Iterator[bytes]:
            yield b"x" * 100

        def close(self) -> None:
            closed.set()

    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "100")])
        return Body()

    server = make_server("127.0.0.1", 0, wrap(app), threaded=True,
                         request_handler=_QuietRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with socket.create_connection(("127.0.0.1", server.server_port), timeout=5) as client:
            client.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\nleftover")
            received = b""
            while b"\r\n\r\n" not in received:
                received += client.recv(4096)
            assert received.startswith(b"HTTP/1.1 200")
            # Close with RST instead of FIN: the server's drain of "leftover" sees a reset.
            client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        return closed.wait(timeout=3)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_a_reset_connection_still_closes_the_response() -> None:
    # Without `_buffered` (werkzeug 3.1 alone) the response is never closed here.
    assert _response_closed_after_reset(_buffered)

