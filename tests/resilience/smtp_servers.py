"""SMTP servers that misbehave on purpose: one refuses every session with 554, one accepts the connection and
never says a word (a tarpit). Each counts the connections it got: one per delivery attempt."""

from __future__ import annotations

import socket
import threading
import time


class FaultySmtp:
    def __init__(self, mode: str) -> None:
        assert mode in ("refuse", "tarpit")
        self.mode = mode
        self.attempts: list[float] = []
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self.port = self._listener.getsockname()[1]
        self._held: list[socket.socket] = []
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            self.attempts.append(time.monotonic())
            if self.mode == "refuse":
                client.sendall(b"554 5.7.1 Service refused\r\n")
                client.close()
            else:
                self._held.append(client)  # never answers: the client waits for a greeting

    def close(self) -> None:
        self._listener.close()
        for client in self._held:
            client.close()
