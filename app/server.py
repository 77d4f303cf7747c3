"""The example service: `/` says hello, `/healthz` answers the load balancer and ECS health checks.

Python standard library only. Reads PORT (default 8080), logs one line per request to stdout, and on SIGTERM
(what ECS sends when it stops a task) stops accepting connections, lets in-flight requests finish, and exits 0.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType

LOG = logging.getLogger("app")


class Handler(BaseHTTPRequestHandler):
    """Two routes; everything else is 404."""

    server_version = "ecsdelivery-example/1.0"
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        if self.path == "/healthz":
            self._reply(200, {"status": "ok"})
        elif self.path == "/":
            self._reply(
                200,
                {
                    "message": "hello from ecsdelivery",
                    "environment": os.environ.get("APP_ENV", "local"),
                    "version": os.environ.get("APP_VERSION", "dev"),
                },
            )
        else:
            self._reply(404, {"error": "not found"})

    def _reply(self, status: int, body: dict[str, str]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        # stdout, not stderr: the awslogs driver ships both, but one stream keeps the lines in order.
        LOG.info("%s %s", self.address_string(), format % args)


class Server(ThreadingHTTPServer):
    """Threads are not daemons, so `server_close()` waits for in-flight requests (the drain)."""

    daemon_threads = False
    block_on_close = True


def make_server(host: str = "0.0.0.0", port: int = 8080) -> Server:
    """Bind the server (port 0 picks a free port); call `serve_forever()` to run it."""
    return Server((host, port), Handler)


def serve(server: Server) -> None:
    """Serve until SIGTERM or SIGINT, then drain and close."""

    def stop(signum: int, _frame: FrameType | None) -> None:
        LOG.info("received %s, draining", signal.Signals(signum).name)
        # shutdown() blocks until serve_forever() returns, so it must run off the serving thread.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    host, port = server.server_address[:2]
    LOG.info("listening on %s:%s", host, port)
    server.serve_forever()
    server.server_close()
    LOG.info("stopped")


def main() -> int:
    logging.basicConfig(stream=sys.stdout, level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    port = int(os.environ.get("PORT", "8080"))
    serve(make_server(os.environ.get("HOST", "0.0.0.0"), port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
