"""Secrets never reach a log line, wherever they hide."""

from __future__ import annotations

import io
import logging

from bot.runtime.logs import REDACTED, RedactingFormatter
from testing.harness import TOKEN


def test_tokens_are_removed_from_messages_arguments_and_tracebacks() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(RedactingFormatter("%(levelname)s %(message)s", [TOKEN, "hook-secret"]))
    log = logging.getLogger("test.redaction")
    log.addHandler(handler)
    log.propagate = False
    try:
        log.warning("POST https://api.telegram.org/bot%s/getMe", TOKEN)
        try:
            raise ConnectionError(
                f"failed: https://api.telegram.org/bot{TOKEN}/sendMessage hook-secret"
            )
        except ConnectionError:
            log.exception("request failed")
    finally:
        log.removeHandler(handler)

    output = stream.getvalue()
    assert TOKEN not in output
    assert "hook-secret" not in output
    assert output.splitlines()[0] == f"WARNING POST https://api.telegram.org/bot{REDACTED}/getMe"
    assert output.splitlines()[-1].endswith(f"bot{REDACTED}/sendMessage {REDACTED}")
    assert "ConnectionError" in output  # the details stay
