"""Can the Bot API be reached, before the bot starts: one ``getMe`` request, and when it
fails one line that names the URL asked (the token shown as ``<token>``) and what answered:
an HTTP status, a refused connection, a TLS failure, an unknown host or no answer in time.

Only Telegram's 401 Unauthorized blames the token; anything else (a 404 from a wrong
``KANNUSTIN_API_BASE_URL``, a proxy's error page) is about the URL. A library traceback is
never shown: the request is made here with httpx (PTB's own HTTP client), not through PTB,
which logs one for an answer that is not JSON.
"""

from __future__ import annotations

import json
import socket
import ssl
from http import HTTPStatus
from typing import Any

import httpx

from bot.cli.common import EXIT_USAGE, Failure

TIMEOUT = 15.0  # seconds for the whole request
HIDDEN_TOKEN = "<token>"  # noqa: S105 - what is shown in the token's place


async def bot_username(bot_api_url: str, token: str, *, wait: float = TIMEOUT) -> str:
    """The bot's @username from ``getMe`` at ``bot_api_url`` (PTB's base URL, ending in
    ``/bot``); raises ``Failure`` with one line if the Bot API cannot be had."""
    shown = f"{bot_api_url}{HIDDEN_TOKEN}/getMe"
    try:
        async with httpx.AsyncClient(timeout=wait, follow_redirects=False) as client:
            response = await client.post(f"{bot_api_url}{token}/getMe")
    except httpx.TimeoutException:
        raise Failure(f"the Bot API at {shown} did not answer within {wait:g} s") from None
    except httpx.HTTPError as error:
        raise Failure(f"the Bot API at {shown} {_unreachable(error, token)}") from None
    answer = _json(response)
    if response.status_code == HTTPStatus.UNAUTHORIZED:
        raise Failure(
            f"KANNUSTIN_BOT_TOKEN: Telegram rejected the token ({shown} answered HTTP 401 "
            "Unauthorized)",
            EXIT_USAGE,
        )
    if response.status_code != HTTPStatus.OK:
        said = f": {_description(answer)}" if _description(answer) else ""
        raise Failure(
            f"the Bot API at {shown} answered HTTP {response.status_code} "
            f"{response.reason_phrase}{said} (check KANNUSTIN_API_BASE_URL)"
        )
    result = answer.get("result") if isinstance(answer, dict) else None
    if not isinstance(result, dict) or not isinstance(result.get("username"), str):
        raise Failure(
            f"the Bot API at {shown} answered HTTP 200 but not as the Bot API does "
            "(check KANNUSTIN_API_BASE_URL)"
        )
    return str(result["username"])


def _unreachable(error: httpx.HTTPError, token: str) -> str:
    """What went wrong below HTTP, in a few words."""
    causes: list[BaseException] = []
    cause: BaseException | None = error
    while cause is not None and len(causes) < 10:
        causes.append(cause)
        cause = cause.__cause__ or cause.__context__
    if any(isinstance(c, ConnectionRefusedError) for c in causes):
        return "refused the connection (nothing listens there)"
    if any(isinstance(c, ssl.SSLError) for c in causes) or "SSL" in str(error):
        return f"failed in TLS: {str(causes[-1]).replace(token, HIDDEN_TOKEN)}"
    if any(isinstance(c, socket.gaierror) for c in causes):
        return "could not be found (unknown host name)"
    detail = str(causes[-1]) or type(causes[-1]).__name__
    return f"could not be reached: {detail.replace(token, HIDDEN_TOKEN)}"


def _json(response: httpx.Response) -> Any:
    try:
        return json.loads(response.content)
    except ValueError:
        return None


def _description(answer: Any) -> str:
    """Telegram's description of an error, shortened; '' for an answer that has none."""
    if isinstance(answer, dict) and isinstance(answer.get("description"), str):
        return str(answer["description"])[:200]
    return ""
