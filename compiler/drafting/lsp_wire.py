"""The LSP base protocol as `pol lsp` reads it: every request gets an answer, and a malformed message is skipped.

pygls's own loop reads a header only when it is exactly `Content-Length: N`: after one that is not (a length
of `abc`, `-5`), it waits for a line that never comes and the server goes deaf; and a request whose params do
not fit, or whose method it does not know, gets a window message instead of the error response JSON-RPC
requires, so the editor waits for an answer for ever. This loop finds the next `Content-Length` header after
anything it cannot read, and answers every request it cannot handle with the JSON-RPC error that says why.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import sys
import threading
from typing import Any

from pygls.exceptions import (
    JsonRpcException,
    JsonRpcInvalidParams,
    JsonRpcInvalidRequest,
    JsonRpcMethodNotFound,
    JsonRpcParseError,
)
from pygls.io_ import StdinAsyncReader, StdoutWriter
from pygls.protocol import JsonRPCProtocol
from pygls.server import JsonRPCServer

log = logging.getLogger("pol.lsp")

# Found anywhere in a line, so that a header right after the remains of a message that could not be read
# (its body has no line break of its own) is found again.
_LENGTH = re.compile(rb"Content-Length:[ \t]*([0-9]{1,12})[ \t]*\r?\n?", re.IGNORECASE)
MAX_MESSAGE = 64 * 1024 * 1024  # no editor sends a document near this; a larger length is a broken header


def _error(protocol: JsonRPCProtocol, msg_id: Any, error: JsonRpcException, why: str) -> None:
    """Answer with a JSON-RPC error; its `id` is null when the request's could not be read, as the spec says
    (pygls's own response type leaves a null id out)."""
    log.error("%s", why)
    message = {"jsonrpc": "2.0", "id": msg_id, "error": {"code": error.CODE, "message": f"{error.MESSAGE}: {why}"}}
    protocol._send_data(message)


def dispatch(protocol: JsonRPCProtocol, body: bytes) -> None:
    """Handle one message's body; a request that cannot be handled gets the JSON-RPC error saying why."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        _error(protocol, None, JsonRpcParseError(), f"the message is not JSON ({exc})")
        return
    if not isinstance(data, dict) or not isinstance(data.get("method", ""), str):
        _error(protocol, None, JsonRpcInvalidRequest(), "the message is not a JSON-RPC object")
        return
    msg_id = data.get("id")
    method = data.get("method")
    is_request = method is not None and "id" in data
    try:
        message = protocol.structure_message(data)
    except JsonRpcException as exc:
        if not is_request:  # a notification or a response: there is no one to answer
            log.error("skipped a message that does not fit its method %r", method)
            return
        known = protocol.get_message_type(str(method)) is not None or method in protocol.fm.features
        if not known:
            _error(protocol, msg_id, JsonRpcMethodNotFound(), f"pol lsp has no method {method!r}")
        elif isinstance(exc, JsonRpcInvalidParams) or exc.__cause__ is not None:
            _error(protocol, msg_id, JsonRpcInvalidParams(), f"the params of {method!r} do not fit it")
        else:
            _error(protocol, msg_id, JsonRpcInvalidRequest(), f"the request for {method!r} cannot be read")
        return
    protocol.handle_message(message)


async def run(stop: threading.Event, reader: StdinAsyncReader, protocol: JsonRPCProtocol) -> None:
    """Read messages until the input ends: headers up to a blank line, then the body of the length they give."""
    length: int | None = None
    while not stop.is_set():
        line = await reader.readline()
        if not line:
            break
        if line.strip() == b"":
            if length is None:
                continue  # a blank line outside a header, or a header without a length: keep looking
            size, length = length, None
            body = await reader.readexactly(size)
            if size and not body:
                break
            try:
                dispatch(protocol, body)
            except Exception:  # a bug in a handler's dispatch: logged, and the server reads on
                log.exception("could not handle a message")
            continue
        found = _LENGTH.search(line)
        if found is None:
            continue  # Content-Type, or what is left of a message that could not be read
        if found.start() > 0:
            log.error("skipped %d bytes that were no message", found.start())
        size = int(found.group(1))
        if size > MAX_MESSAGE:
            log.error("skipped a header giving a length of %d bytes, more than a message can have", size)
            length = None
            continue
        length = size
    log.info("the input ended")


def start_io(server: JsonRPCServer) -> None:
    """Serve on standard input and output, as pygls's start_io does, with this loop."""
    server._stop_event = stop = threading.Event()
    reader = StdinAsyncReader(sys.stdin.buffer, server.thread_pool)
    server.protocol.set_writer(StdoutWriter(sys.stdout.buffer))
    try:
        asyncio.run(run(stop, reader, server.protocol))
    except BrokenPipeError:
        log.error("the editor closed the connection")
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.shutdown()
