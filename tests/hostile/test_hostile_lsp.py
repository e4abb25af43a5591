"""`pol lsp` on a careless or broken client: a header it cannot read is skipped and the next message answered; a
request whose params do not fit, whose method is unknown, or whose body is not JSON gets the JSON-RPC error."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from typing import Any


def _frame(message: Any) -> bytes:
    data = json.dumps(message, ensure_ascii=False).encode("utf-8")
    return b"Content-Length: %d\r\n\r\n" % len(data) + data


class _Server:
    """`pol lsp` in a child process, its answers collected by id as they come."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pol", "lsp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        self.answers: dict[Any, dict] = {}
        self.arrived = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        out = self.process.stdout
        assert out is not None
        while True:
            length = None
            while (line := out.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            if not line or length is None:
                return
            message = json.loads(out.read(length))
            with self.arrived:
                if "id" in message and "method" not in message:
                    self.answers[message["id"]] = message
                self.arrived.notify_all()

    def send(self, data: bytes) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(data)
        self.process.stdin.flush()

    def answer(self, msg_id: Any, timeout: float = 30) -> dict:
        with self.arrived:
            assert self.arrived.wait_for(lambda: msg_id in self.answers, timeout), f"no answer to {msg_id}"
            return self.answers[msg_id]

    def close(self) -> str:
        self.send(_frame({"jsonrpc": "2.0", "method": "exit"}))
        try:
            self.process.wait(timeout=10)
        finally:
            self.process.kill()
        assert self.process.stderr is not None
        return self.process.stderr.read().decode("utf-8", "replace")


def test_every_request_gets_an_answer_and_a_broken_header_does_not_deafen_the_server() -> None:
    server = _Server()
    try:
        server.send(_frame({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}}))
        assert "capabilities" in server.answer(1)["result"]
        server.send(_frame({"jsonrpc": "2.0", "method": "initialized", "params": {}}))
        # Lengths that are no length, then a body glued to the next header: the next request is still answered.
        server.send(b"Content-Length: abc\r\n\r\n{}")
        server.send(b"Content-Length: -5\r\n\r\n")
        server.send(b"Content-Length: 99999999999\r\n\r\n")
        server.send(_frame({"jsonrpc": "2.0", "id": 2, "method": "textDocument/documentSymbol", "params": {}}))
        assert server.answer(2)["error"]["code"] == -32602  # params without the document
        server.send(_frame({"jsonrpc": "2.0", "id": 3, "method": "textDocument/hover", "params": [1, 2]}))
        assert server.answer(3)["error"]["code"] == -32602
        server.send(_frame({"jsonrpc": "2.0", "id": 4, "method": "pol/noSuchThing", "params": {}}))
        assert server.answer(4)["error"]["code"] == -32601
        server.send(b"Content-Length: 9\r\n\r\n{not json")
        assert server.answer(None)["error"]["code"] == -32700
        server.send(_frame({"jsonrpc": "2.0", "id": 5, "method": "shutdown"}))
        assert server.answer(5)["result"] is None
    finally:
        stderr = server.close()
    assert server.process.returncode == 0, stderr
