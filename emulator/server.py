"""A Telegram Bot API emulator: an aiohttp server that a real bot talks to over HTTP.

It answers the methods Kannustin uses with the JSON shapes of the Bot API specification,
accepts query-string, form-encoded, JSON and multipart requests, queues updates that a test
injects (for ``getUpdates`` long polling or pushed to a webhook), records every request so a
test can assert on what a person would have received, enforces Telegram's rate limits on
demand and injects faults (429, 5xx, delays, dropped connections, 403 blocked/kicked, 400 group
migrated). Native polls the bot sends are kept with who chose what, so a test lets people vote
(``vote``) and the bot sees the counts in ``poll`` updates and in ``stopPoll``; deleteMessage
keeps Telegram's 48-hour window (``age_message`` makes a message old).

Every request is checked against the specification and every answer the emulator builds is
checked too; problems are collected in ``violations`` (tests fail on any) and a bad request
is answered with a 400 as Telegram would.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import itertools
import json
import logging
import re
import secrets
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import BodyPartReader, ClientSession, ClientTimeout, web

from emulator.limits import RateLimiter, RateLimits
from emulator.spec import BotApiSpec

log = logging.getLogger(__name__)

Json = dict[str, Any]

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64
MENU_BUTTON_TEXT_LIMIT = 64  # characters of a menu button's text (the emulator's bound)
# Telegram opens only HTTPS Web Apps; the emulator also takes http on this machine, so a
# test's bot can serve its Mini App without a certificate (an emulator convenience)
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
CALLBACK_ANSWER_LIMIT = 200
# sendPoll as Bot API 10.0 states it ("1-12 answer options"; before, at least 2) and as TDLib
# counts: characters (code points), after trimming
POLL_QUESTION_LIMIT = 300
POLL_OPTION_LIMIT = 100
POLL_OPTIONS_MIN, POLL_OPTIONS_MAX = 1, 12
# "A message can only be deleted if it was sent less than 48 hours ago."
DELETE_WINDOW = 48 * 3600
MEDIA_METHODS = {
    "sendPhoto": "photo",
    "sendVideo": "video",
    "sendAnimation": "animation",
    "sendDocument": "document",
    "sendVoice": "voice",
    "sendAudio": "audio",
}
SEND_METHODS = {
    "sendMessage",
    "sendMediaGroup",
    "sendPoll",
    "copyMessage",
    "forwardMessage",
    *MEDIA_METHODS,
}
# Reads that count against the overall limit (not a chat's): is this person in the chat?
LOOKUP_METHODS = {"getChatMember"}
# Keys that make a message a person's content rather than a service message.
_CONTENT_KEYS = (
    "photo",
    "video",
    "animation",
    "document",
    "voice",
    "audio",
    "sticker",
    "video_note",
    "caption",
    "poll",
    "location",
    "contact",
)
# Statuses of a person who is in a chat.
IN_CHAT = ("member", "administrator", "creator")
# answerCallbackQuery's url: a bot without a game may only open itself with a start parameter
_START_URL = r"^(?:https?://)?t\.me/{username}\?start=[A-Za-z0-9_-]{{1,64}}$"
# How long a test waits for the bot's request before it fails. Generous: the tests run side
# by side (pytest-xdist) on a busy machine, and a wait returns as soon as the request comes,
# so a long limit costs nothing when the bot is right.
WAIT_TIMEOUT = 30.0
# Poll fields only the poll inside a Message carries ("for polls inside the Message object
# only"): stopPoll's answer and ``poll`` updates go without them.
_MESSAGE_ONLY_POLL_FIELDS = ("description", "description_entities", "media")
# Telegram sends these only when asked for by name in allowed_updates.
_OPT_IN_UPDATES = {"chat_member", "message_reaction", "message_reaction_count"}


class ConnectionDropped(Exception):
    """A fault closes the connection; ``result`` is what was delivered first, if anything."""

    def __init__(self, result: Any = None) -> None:
        super().__init__("connection dropped")
        self.result = result


class ApiError(Exception):
    """An error answer: ``{"ok": false, "error_code": ..., "description": ...}``."""

    def __init__(self, code: int, description: str, parameters: Json | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def body(self) -> Json:
        body: Json = {"ok": False, "error_code": self.code, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


@dataclass
class ApiCall:
    """One request the bot made, as the emulator understood it."""

    method: str
    params: Json
    files: dict[str, bytes]
    at: float
    result: Any = None
    error: Json | None = None
    # The connection was closed without an answer (the bot never learnt the result).
    dropped: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None and not self.dropped

    @property
    def chat_id(self) -> Any:
        return self.params.get("chat_id")

    @property
    def text(self) -> str | None:
        value = self.params.get("text", self.params.get("caption"))
        return None if value is None else str(value)

    def buttons(self) -> list[tuple[str, str]]:
        """(label, callback_data or url) of every inline button in the reply markup."""
        markup = self.params.get("reply_markup") or {}
        return [
            (
                button["text"],
                button.get("callback_data")
                or button.get("url")
                or (button.get("web_app") or {}).get("url")
                or "",
            )
            for row in markup.get("inline_keyboard", [])
            for button in row
        ]


@dataclass
class Fault:
    """A fault to inject into matching requests, ``times`` times (None: until removed)."""

    method: str | None
    chat_id: int | str | None
    times: int | None
    error: ApiError | None = None
    delay: float = 0.0
    # Close the connection without answering, as a network failure or a crash on the way.
    drop: bool = False
    # For a delay or a drop: perform the request first (the message is delivered) and then
    # stall or drop, as when Telegram got the message but the answer never reached the bot.
    deliver_first: bool = True
    # A hold: the request waits (before it is performed) until the test lets it go;
    # ``arrived`` is set when one has come.
    gate: asyncio.Event | None = None
    arrived: asyncio.Event | None = None

    def release(self) -> None:
        """Let a held request (and any later one it matches) go."""
        assert self.gate is not None
        self.gate.set()

    def matches(self, method: str, params: Json) -> bool:
        if self.times is not None and self.times <= 0:
            return False
        if self.method is not None and self.method != method:
            return False
        return self.chat_id is None or params.get("chat_id") == self.chat_id


@dataclass
class Chat:
    id: int
    type: str
    title: str | None = None
    user: Json | None = None
    bot_status: str = "member"
    migrated_to: int | None = None
    blocked: bool = False
    # A private chat exists for the bot only once the person has written to it (pressed Start).
    started: bool = False
    # A group's people by user id: member, administrator, creator, left or kicked (someone
    # never in it is absent, and Telegram says "left" of them)
    members: dict[int, str] = field(default_factory=dict)

    def is_member(self, user_id: int) -> bool:
        return self.members.get(user_id) in IN_CHAT

    def seen_in(self, user: Json) -> None:
        """The person wrote or pressed in the chat, so they are in it (Telegram lets nobody
        else): someone the chat did not know becomes a member."""
        if self.type != "private":
            self.members.setdefault(int(user["id"]), "member")

    def json(self) -> Json:
        if self.type == "private":
            assert self.user is not None
            chat: Json = {"id": self.id, "type": "private", "first_name": self.user["first_name"]}
            if "username" in self.user:
                chat["username"] = self.user["username"]
            return chat
        return {"id": self.id, "type": self.type, "title": self.title or ""}


@dataclass
class PollState:
    """A poll the bot sent, with each voter's choice: the counts come from it, and the Poll
    objects the bot gets show only the counts."""

    poll: Json  # the Poll object, the very one the message in ``messages`` carries
    chat_id: int
    message_id: int
    choices: dict[int, list[int]] = field(default_factory=dict)

    def recount(self) -> None:
        counts = [0] * len(self.poll["options"])
        for chosen in self.choices.values():
            for index in chosen:
                counts[index] += 1
        for option, count in zip(self.poll["options"], counts, strict=True):
            option["voter_count"] = count
        self.poll["total_voter_count"] = len(self.choices)

    def outside_message(self) -> Json:
        """The poll as stopPoll answers it and a ``poll`` update carries it: a copy (queued
        updates keep the state of their moment) without the message-only fields."""
        poll = copy.deepcopy(self.poll)
        for name in _MESSAGE_ONLY_POLL_FIELDS:
            poll.pop(name, None)
        return poll


@dataclass
class Webhook:
    url: str
    secret_token: str | None
    allowed_updates: list[str] | None


@dataclass
class _Counters:
    rate_limited: int = 0
    faults: int = 0


class BotApiEmulator:
    """Start with ``await emulator.start()``; point the bot at ``emulator.base_url``."""

    def __init__(
        self,
        token: str,
        *,
        bot_username: str = "kannustin_test_bot",
        bot_name: str = "Kannustin",
        rate_limits: RateLimits | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.token = token
        self.bot_id = int(token.split(":", 1)[0])
        self.bot_user: Json = {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": bot_name,
            "username": bot_username,
        }
        self.spec = BotApiSpec.load()
        # BotFather's "group privacy": on by default, the bot sees only commands and replies.
        self.privacy_mode = True
        self.calls: list[ApiCall] = []
        self.violations: list[str] = []
        self.counters = _Counters()
        self.rate_limiter = RateLimiter(rate_limits or RateLimits.off(), clock)
        self.commands: dict[tuple[str, str], list[Json]] = {}
        # menu buttons set with setChatMenuButton: by private chat, None for the bot's default
        self.menu_buttons: dict[int | None, Json] = {}
        self.descriptions: dict[tuple[str, str], str] = {}
        self.allowed_updates: list[str] | None = None
        self.webhook: Webhook | None = None
        self.chats: dict[int, Chat] = {}
        self.users: dict[int, Json] = {}
        self.messages: dict[tuple[int, int], Json] = {}
        # polls the bot sent, by poll id, oldest first
        self._polls: dict[str, PollState] = {}
        self.files: dict[str, bytes] = {}
        self.faults: list[Fault] = []
        self._open_queries: set[str] = set()
        self.dropped: list[Json] = []
        self._update_ids = itertools.count(1)
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._pending: list[Json] = []
        self._updates_changed = asyncio.Condition()
        self._watchers: list[tuple[Callable[[ApiCall], bool], asyncio.Future[ApiCall]]] = []
        self._runner: web.AppRunner | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        self.port = 0

    # Server lifecycle ---------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.*}", self._download)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        server = site._server
        assert server is not None
        sockets = getattr(server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1]
        self.host = host

    async def stop(self) -> None:
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._webhook_task
        async with self._updates_changed:
            self._updates_changed.notify_all()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # HTTP ---------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        method = self.spec.method_name(request.match_info["method"])
        if method is None:
            return web.json_response(
                {"ok": False, "error_code": 404, "description": "Not Found"},
                status=404,
            )
        try:
            params, files = await self._read_params(request, method)
        except ApiError as error:
            return web.json_response(error.body(), status=error.code)
        call = ApiCall(method, params, files, time.monotonic())
        try:
            result = await self._answer(call)
        except ConnectionDropped as dropped:
            call.result, call.dropped = dropped.result, True
            await self._record(call)
            assert request.transport is not None
            request.transport.abort()  # no status line, no body: the client sees a reset
            return web.Response()  # never written
        except ApiError as error:
            call.error = error.body()
            await self._record(call)
            return web.json_response(error.body(), status=error.code)
        call.result = result
        await self._record(call)
        return web.json_response({"ok": True, "result": result})

    async def _read_params(
        self, request: web.Request, method: str
    ) -> tuple[Json, dict[str, bytes]]:
        params: Json = {}
        files: dict[str, bytes] = {}
        raw: dict[str, str] = dict(request.query)
        content_type = request.content_type
        if request.method == "POST" and request.can_read_body:
            if content_type == "application/json":
                try:
                    body = await request.json()
                except json.JSONDecodeError:
                    raise ApiError(400, "Bad Request: can't parse JSON") from None
                if not isinstance(body, dict):
                    raise ApiError(400, "Bad Request: expected a JSON object")
                params.update(body)
            elif content_type == "multipart/form-data":
                reader = await request.multipart()
                while (part := await reader.next()) is not None:
                    if not isinstance(part, BodyPartReader):
                        continue  # nested multipart: Telegram does not use it
                    name = part.name or ""
                    if part.filename is not None:
                        files[name] = bytes(await part.read())
                    else:
                        raw[name] = await part.text()
            else:
                raw.update({key: str(value) for key, value in (await request.post()).items()})
        for name, value in raw.items():
            params[name] = self.spec.coerce_form_value(method, name, value)
        return params, files

    async def _download(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.Response(status=401)
        content = self.files.get(request.match_info["path"])
        if content is None:
            return web.Response(status=404)
        return web.Response(body=content)

    async def _record(self, call: ApiCall) -> None:
        self.calls.append(call)
        for matches, found in list(self._watchers):
            if not found.done() and matches(call):
                found.set_result(call)
                self._watchers.remove((matches, found))

    # Dispatch -----------------------------------------------------------------------------

    async def _answer(self, call: ApiCall) -> Any:
        method, params = call.method, call.params
        problems = self.spec.check_request(method, params, set(call.files))
        if problems:
            self.violations += [f"request {problem}" for problem in problems]
            raise ApiError(400, f"Bad Request: {problems[0]}")
        fault = next((fault for fault in self.faults if fault.matches(method, params)), None)
        if fault is not None:
            await self._before(fault)
        if method in SEND_METHODS or method in LOOKUP_METHODS:
            self._check_rate(params, kind="lookup" if method in LOOKUP_METHODS else None)
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            self.violations.append(f"the emulator does not implement {method}")
            raise ApiError(400, f"Bad Request: the emulator does not implement {method}")
        result = await handler(call) if asyncio.iscoroutinefunction(handler) else handler(call)
        if method != "getUpdates":  # updates were checked when injected (some on purpose bad)
            self._check_answer(method, result, self.spec.methods[method]["returns"])
        if fault is not None and fault.deliver_first:
            if fault.drop:
                raise ConnectionDropped(result)
            if fault.delay:
                await asyncio.sleep(fault.delay)
        return result

    async def _before(self, fault: Fault) -> None:
        """What a fault does before the request is performed."""
        if fault.times is not None:
            fault.times -= 1
        self.counters.faults += 1
        if fault.error is not None:
            raise fault.error
        if fault.gate is not None and fault.arrived is not None:
            fault.arrived.set()
            await fault.gate.wait()
        if not fault.deliver_first:
            if fault.drop:
                raise ConnectionDropped
            await asyncio.sleep(fault.delay)

    def _check_answer(self, method: str, result: Any, returns: list[str]) -> None:
        problems = self.spec._check_value(f"{method} answer", result, returns, set())
        self.violations += [f"emulator answer {problem}" for problem in problems]

    def _check_rate(self, params: Json, kind: str | None = None) -> None:
        chat = self.chats.get(_as_int(params.get("chat_id")))
        if kind is None:
            kind = "private" if chat is None or chat.type == "private" else "group"
        retry_after = self.rate_limiter.admit(params.get("chat_id"), kind)
        if retry_after is not None:
            self.counters.rate_limited += 1
            raise ApiError(
                429,
                f"Too Many Requests: retry after {retry_after}",
                {"retry_after": retry_after},
            )

    # Methods: the bot itself ----------------------------------------------------------------

    def _m_getMe(self, call: ApiCall) -> Json:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": not self.privacy_mode,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _m_logOut(self, call: ApiCall) -> bool:
        return True

    def _m_close(self, call: ApiCall) -> bool:
        return True

    def _m_setMyCommands(self, call: ApiCall) -> bool:
        commands = list(call.params["commands"])
        if len(commands) > 100:
            raise ApiError(400, "Bad Request: too many commands")
        for command in commands:
            name, description = command.get("command", ""), command.get("description", "")
            if not re.fullmatch(r"[a-z0-9_]{1,32}", name):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(description) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        self.commands[self._scoped_menu_key(call)] = commands
        return True

    def _scoped_menu_key(self, call: ApiCall) -> tuple[str, str]:
        """``_menu_key``; a chat's own menu is ``("chat:<id>", language)``, for a chat the
        bot knows (a private chat only once the person has started the bot)."""
        scope = call.params.get("scope") or {"type": "default"}
        if scope["type"] != "chat":
            return _menu_key(call)
        chat_id = _as_int(scope.get("chat_id"))
        chat = self.chats.get(chat_id)
        if chat is None or (chat.type == "private" and not chat.started):
            raise ApiError(400, "Bad Request: chat not found")
        return f"chat:{chat_id}", call.params.get("language_code") or ""

    def menu_of(self, chat_id: int, language_code: str | None = None) -> list[str]:
        """The command names Telegram shows in a private chat whose app speaks
        ``language_code``: the chat's own menu, else all private chats', else the default;
        in each, the one for that language before the one for everyone."""
        languages = [language_code, ""] if language_code else [""]
        for scope in (f"chat:{chat_id}", "all_private_chats", "default"):
            for language in languages:
                if (scope, language) in self.commands:
                    return [command["command"] for command in self.commands[(scope, language)]]
        return []

    def _m_getMyCommands(self, call: ApiCall) -> list[Json]:
        return self.commands.get(self._scoped_menu_key(call), [])

    def _m_deleteMyCommands(self, call: ApiCall) -> bool:
        self.commands.pop(self._scoped_menu_key(call), None)
        return True

    def _m_setChatMenuButton(self, call: ApiCall) -> bool:
        """A private chat's menu button (``chat_id``), or without one the bot's default:
        ``commands``, ``default`` (the bot's default) or a ``web_app`` with text and an
        HTTPS address."""
        button = call.params.get("menu_button") or {"type": "default"}
        kind = button.get("type")
        if kind not in ("default", "commands", "web_app"):
            raise ApiError(400, "Bad Request: unsupported menu button type")
        if kind == "web_app":
            if not 1 <= len(str(button.get("text") or "")) <= MENU_BUTTON_TEXT_LIMIT:
                raise ApiError(400, "Bad Request: menu button text is empty or too long")
            _check_web_app_url((button.get("web_app") or {}).get("url"))
        chat_id = self._menu_chat(call)
        if kind == "default":
            self.menu_buttons.pop(chat_id, None)
        else:
            self.menu_buttons[chat_id] = dict(button)
        return True

    def _m_getChatMenuButton(self, call: ApiCall) -> Json:
        chat_id = self._menu_chat(call)
        return self.menu_buttons.get(chat_id, {"type": "default" if chat_id else "commands"})

    def _menu_chat(self, call: ApiCall) -> int | None:
        """The private chat a menu button call names (one the person has started), or None."""
        if call.params.get("chat_id") is None:
            return None
        chat_id = _as_int(call.params.get("chat_id"))
        chat = self.chats.get(chat_id)
        if chat is None or chat.type != "private" or not chat.started:
            raise ApiError(400, "Bad Request: chat not found")
        return chat_id

    def menu_button_of(self, chat_id: int) -> Json:
        """The menu button a private chat shows: its own, else the bot's default, else the
        command list."""
        return self.menu_buttons.get(chat_id) or self.menu_buttons.get(None) or {"type": "commands"}

    def _m_setMyDescription(self, call: ApiCall) -> bool:
        return self._set_description(call, "description", 512)

    def _m_setMyShortDescription(self, call: ApiCall) -> bool:
        return self._set_description(call, "short_description", 120)

    def _m_getMyDescription(self, call: ApiCall) -> Json:
        return self._get_description(call, "description")

    def _m_getMyShortDescription(self, call: ApiCall) -> Json:
        return self._get_description(call, "short_description")

    def _set_description(self, call: ApiCall, field: str, limit: int) -> bool:
        """The bot's description or short description (``field``) in one language, at most
        ``limit`` characters."""
        text = str(call.params.get(field) or "")
        if len(text) > limit:
            raise ApiError(400, f"Bad Request: bot {field.replace('_', ' ')} is too long")
        self.descriptions[(field, call.params.get("language_code") or "")] = text
        return True

    def _get_description(self, call: ApiCall, field: str) -> Json:
        key = (field, call.params.get("language_code") or "")
        return {field: self.descriptions.get(key, "")}

    # Methods: updates -----------------------------------------------------------------------

    async def _m_getUpdates(self, call: ApiCall) -> list[Json]:
        if self.webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        params = call.params
        if "allowed_updates" in params:
            self.allowed_updates = list(params["allowed_updates"])
        offset = int(params.get("offset") or 0)
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        timeout = float(params.get("timeout") or 0)
        async with self._updates_changed:
            if offset:
                before = len(self._pending)
                if offset < 0:  # the last -offset updates; everything earlier is forgotten
                    self._pending = self._pending[offset:]
                else:
                    self._pending = [u for u in self._pending if u["update_id"] >= offset]
                if len(self._pending) != before:
                    self._updates_changed.notify_all()
            if not self._pending and timeout > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._updates_changed.wait(), timeout)
            return [dict(update) for update in self._pending[:limit]]

    async def _m_setWebhook(self, call: ApiCall) -> bool:
        params = call.params
        self.webhook = Webhook(
            url=str(params["url"]),
            secret_token=params.get("secret_token"),
            allowed_updates=params.get("allowed_updates"),
        )
        if "allowed_updates" in params:
            self.allowed_updates = list(params["allowed_updates"])
        if params.get("drop_pending_updates"):
            self._pending.clear()
        if self._webhook_task is None:
            self._webhook_task = asyncio.create_task(self._push_to_webhook())
        return True

    async def _m_deleteWebhook(self, call: ApiCall) -> bool:
        self.webhook = None
        if call.params.get("drop_pending_updates"):
            self._pending.clear()
        return True

    def _m_getWebhookInfo(self, call: ApiCall) -> Json:
        if self.webhook is None:
            return {
                "url": "",
                "has_custom_certificate": False,
                "pending_update_count": len(self._pending),
            }
        info: Json = {
            "url": self.webhook.url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }
        if self.webhook.allowed_updates is not None:
            info["allowed_updates"] = self.webhook.allowed_updates
        return info

    async def _push_to_webhook(self) -> None:
        """Deliver queued updates to the webhook one by one, as Telegram does."""
        async with ClientSession(timeout=ClientTimeout(total=10)) as session:
            while True:
                async with self._updates_changed:
                    while self.webhook is None or not self._pending:
                        await self._updates_changed.wait()
                    update = self._pending[0]
                    hook = self.webhook
                headers = {"Content-Type": "application/json"}
                if hook.secret_token:
                    headers["X-Telegram-Bot-Api-Secret-Token"] = hook.secret_token
                try:
                    async with session.post(
                        hook.url, data=json.dumps(update), headers=headers
                    ) as reply:
                        delivered = reply.status == 200
                except Exception as error:  # the bot is down: retry later, like Telegram
                    log.debug("webhook delivery failed: %r", error)
                    delivered = False
                if delivered:
                    async with self._updates_changed:
                        if self._pending and self._pending[0] is update:
                            self._pending.pop(0)
                else:
                    await asyncio.sleep(0.2)

    # Methods: messages ------------------------------------------------------------------------

    def _m_sendMessage(self, call: ApiCall) -> Json:
        params = call.params
        chat = self._target_chat(params["chat_id"])
        text = str(params["text"])
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if _utf16_length(text) > TEXT_LIMIT:
            raise ApiError(400, "Bad Request: message is too long")
        self._check_markup(params.get("reply_markup"), chat.type)
        replied = self._replied(chat, params.get("reply_parameters"))
        message = self._new_bot_message(chat, text=text, **replied)
        if params.get("entities"):
            message["entities"] = params["entities"]
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        return message

    def _send_media(self, call: ApiCall, kind: str) -> Json:
        params = call.params
        chat = self._target_chat(params["chat_id"])
        caption = params.get("caption")
        if caption is not None and _utf16_length(str(caption)) > CAPTION_LIMIT:
            raise ApiError(400, "Bad Request: message caption is too long")
        self._check_markup(params.get("reply_markup"), chat.type)
        message = self._new_bot_message(chat)
        message[kind] = self._media_object(kind, params.get(kind), call.files)
        if caption:
            message["caption"] = str(caption)
        if params.get("caption_entities"):
            message["caption_entities"] = params["caption_entities"]
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        return message

    def _m_sendPhoto(self, call: ApiCall) -> Json:
        return self._send_media(call, "photo")

    def _m_sendVideo(self, call: ApiCall) -> Json:
        return self._send_media(call, "video")

    def _m_sendAnimation(self, call: ApiCall) -> Json:
        return self._send_media(call, "animation")

    def _m_sendDocument(self, call: ApiCall) -> Json:
        return self._send_media(call, "document")

    def _m_sendVoice(self, call: ApiCall) -> Json:
        return self._send_media(call, "voice")

    def _m_sendAudio(self, call: ApiCall) -> Json:
        return self._send_media(call, "audio")

    def _m_sendMediaGroup(self, call: ApiCall) -> list[Json]:
        params = call.params
        chat = self._target_chat(params["chat_id"])
        media = params["media"]
        if not 2 <= len(media) <= 10:
            raise ApiError(400, "Bad Request: wrong number of media in the album")
        group_id = secrets.token_hex(6)
        sent = []
        for item in media:
            caption = item.get("caption")
            if caption is not None and _utf16_length(str(caption)) > CAPTION_LIMIT:
                raise ApiError(400, "Bad Request: message caption is too long")
            message = self._new_bot_message(chat, media_group_id=group_id)
            message[item["type"]] = self._media_object(item["type"], item["media"], call.files)
            if caption:
                message["caption"] = caption
            sent.append(message)
        return sent

    def _m_sendPoll(self, call: ApiCall) -> Json:
        """A native poll, checked as TDLib checks it; the question and the options are kept
        trimmed. Quizzes and media in polls are not emulated."""
        params = call.params
        chat = self._target_chat(params["chat_id"])
        kind = params.get("type") or "regular"
        if kind not in ("regular", "quiz"):
            raise ApiError(400, "Bad Request: unsupported poll type specified")
        for unsupported, what in (
            (kind == "quiz", "quiz polls"),
            ("media" in params or "explanation_media" in params, "media in polls"),
            (any("media" in option for option in params["options"]), "media in poll options"),
        ):
            if unsupported:
                self.violations.append(f"the emulator does not implement {what}")
                raise ApiError(400, f"Bad Request: the emulator does not implement {what}")
        question, options = _poll_texts(params)
        self._check_markup(params.get("reply_markup"), chat.type)
        message = self._new_bot_message(chat, poll=_new_poll(params, question, options))
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        self._polls[message["poll"]["id"]] = PollState(
            message["poll"], chat.id, message["message_id"]
        )
        return message

    async def _m_stopPoll(self, call: ApiCall) -> Json:
        """Close a poll the bot sent; the bot also gets the closed poll as a ``poll`` update.
        Like an edit, the message keeps only the keyboard given here."""
        params = call.params
        chat = self._known_chat(params["chat_id"])
        message = self.messages.get((chat.id, int(params["message_id"])))
        if message is None:
            raise ApiError(400, "Bad Request: message with poll to stop not found")
        if "poll" not in message:
            raise ApiError(400, "Bad Request: message is not a poll")
        if message["from"]["id"] != self.bot_id:
            raise ApiError(400, "Bad Request: poll can't be stopped")
        state = self._polls[message["poll"]["id"]]
        if state.poll["is_closed"]:
            raise ApiError(400, "Bad Request: poll has already been closed")
        self._check_markup(params.get("reply_markup"), chat.type)
        state.poll["is_closed"] = True
        message.pop("reply_markup", None)
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        await self.push_update("poll", state.outside_message())
        return state.outside_message()

    def _m_editMessageText(self, call: ApiCall) -> Json:
        message = self._existing_message(call.params)
        text = str(call.params["text"])
        if _utf16_length(text) > TEXT_LIMIT:
            raise ApiError(400, "Bad Request: message is too long")
        if message.get("text") == text and message.get("reply_markup") == call.params.get(
            "reply_markup"
        ):
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and reply "
                "markup are exactly the same as a current content and reply markup of the message",
            )
        self._check_markup(call.params.get("reply_markup"), message["chat"]["type"])
        message["text"] = text
        message["edit_date"] = int(time.time())
        message.pop("entities", None)
        if call.params.get("entities"):
            message["entities"] = call.params["entities"]
        message.pop("reply_markup", None)
        if call.params.get("reply_markup"):
            message["reply_markup"] = call.params["reply_markup"]
        return message

    def _m_editMessageReplyMarkup(self, call: ApiCall) -> Json:
        message = self._existing_message(call.params)
        if (message.get("reply_markup") or None) == (call.params.get("reply_markup") or None):
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and reply "
                "markup are exactly the same as a current content and reply markup of the message",
            )
        self._check_markup(call.params.get("reply_markup"), message["chat"]["type"])
        message.pop("reply_markup", None)
        if call.params.get("reply_markup"):
            message["reply_markup"] = call.params["reply_markup"]
        message["edit_date"] = int(time.time())
        return message

    def _m_deleteMessage(self, call: ApiCall) -> bool:
        """Only a message sent less than 48 hours ago (by the message's ``date``)."""
        key = (_as_int(call.params["chat_id"]), int(call.params["message_id"]))
        message = self.messages.get(key)
        if message is None:
            raise ApiError(400, "Bad Request: message to delete not found")
        if time.time() - message["date"] >= DELETE_WINDOW:
            raise ApiError(400, "Bad Request: message can't be deleted for everyone")
        del self.messages[key]
        return True

    def _m_answerCallbackQuery(self, call: ApiCall) -> bool:
        query_id = str(call.params["callback_query_id"])
        if query_id not in self._open_queries:
            raise ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        self._open_queries.discard(query_id)
        text = call.params.get("text")
        if text is not None and len(str(text)) > CALLBACK_ANSWER_LIMIT:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        url = call.params.get("url")
        allowed = _START_URL.format(username=re.escape(self.bot_user["username"]))
        if url is not None and not re.fullmatch(allowed, str(url)):
            raise ApiError(400, "Bad Request: URL_INVALID")
        return True

    # Methods: chats --------------------------------------------------------------------------

    def _m_leaveChat(self, call: ApiCall) -> bool:
        chat = self._known_chat(call.params["chat_id"])
        chat.bot_status = "left"
        return True

    def _m_getChat(self, call: ApiCall) -> Json:
        chat = self._known_chat(call.params["chat_id"])
        return {
            **chat.json(),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    def _m_getChatMember(self, call: ApiCall) -> Json:
        chat = self._known_chat(call.params["chat_id"])
        user_id = int(call.params["user_id"])
        if user_id == self.bot_id:
            return self._member_json(self.bot_user, chat.bot_status)
        if chat.type != "private" and chat.bot_status in ("left", "kicked"):
            raise ApiError(403, f"Forbidden: bot is not a member of the {chat.type} chat")
        user = self.users.get(user_id)
        if user is None:
            raise ApiError(400, "Bad Request: user not found")
        if chat.type == "private":
            return self._member_json(user, "member" if user_id == chat.id else "left")
        return self._member_json(user, chat.members.get(user_id, "left"))

    # Helpers for methods -------------------------------------------------------------------

    def _known_chat(self, chat_id: Any) -> Chat:
        chat = self.chats.get(_as_int(chat_id))
        if chat is None:
            raise ApiError(400, "Bad Request: chat not found")
        return chat

    def _target_chat(self, chat_id: Any) -> Chat:
        """The chat a message goes to, with Telegram's refusals for gone or blocked chats."""
        chat = self._known_chat(chat_id)
        if chat.migrated_to is not None:
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": chat.migrated_to},
            )
        if chat.type == "private" and chat.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if chat.type == "private" and not chat.started:
            raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        kind = "supergroup" if chat.type == "supergroup" else "group"
        if chat.type != "private" and chat.bot_status == "kicked":
            raise ApiError(403, f"Forbidden: bot was kicked from the {kind} chat")
        if chat.type != "private" and chat.bot_status == "left":
            raise ApiError(403, f"Forbidden: bot is not a member of the {kind} chat")
        return chat

    def _existing_message(self, params: Json) -> Json:
        chat_id = _as_int(params.get("chat_id"))
        message = self.messages.get((chat_id, int(params.get("message_id") or 0)))
        if message is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        return message

    def _check_markup(self, markup: Json | None, chat_type: str) -> None:
        """Inline buttons as Telegram checks them: callback data of 1-64 bytes; a Web App
        button (``web_app``) only in a private chat (else ``BUTTON_TYPE_INVALID``) and with
        an HTTPS address."""
        for row in (markup or {}).get("inline_keyboard", []):
            for button in row:
                data = button.get("callback_data")
                if data is not None and not 1 <= len(str(data).encode()) <= CALLBACK_DATA_LIMIT:
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
                if "web_app" in button:
                    if chat_type != "private":
                        raise ApiError(400, "Bad Request: BUTTON_TYPE_INVALID")
                    _check_web_app_url(button["web_app"].get("url"))

    def _media_object(self, kind: str, value: Any, files: dict[str, bytes]) -> Any:
        content: bytes | None = None
        if isinstance(value, str) and value.startswith("attach://"):
            content = files.get(value.removeprefix("attach://"))
        elif kind in files:
            content = files[kind]
        if content is not None:
            file_id = f"{kind}-{secrets.token_hex(8)}"
            self.files[file_id] = content
        else:
            file_id = str(value)
            if file_id not in self.files and not file_id.startswith(("http://", "https://")):
                raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
        unique = f"u{abs(hash(file_id)) % 10**12}"
        base: Json = {"file_id": file_id, "file_unique_id": unique}
        size = len(self.files.get(file_id, b""))
        if size:
            base["file_size"] = size
        if kind == "photo":
            return [{**base, "width": 800, "height": 600}]
        if kind in ("video", "animation"):
            return {**base, "width": 640, "height": 360, "duration": 5}
        if kind in ("voice", "audio"):
            return {**base, "duration": 5}
        return base

    def _member_json(self, user: Json, status: str) -> Json:
        if status == "administrator":
            return {
                "status": "administrator",
                "user": user,
                "can_be_edited": False,
                "is_anonymous": False,
                "can_manage_chat": True,
                "can_delete_messages": True,
                "can_manage_video_chats": False,
                "can_restrict_members": False,
                "can_promote_members": False,
                "can_change_info": False,
                "can_invite_users": True,
                "can_post_stories": False,
                "can_edit_stories": False,
                "can_delete_stories": False,
            }
        if status == "kicked":
            return {"status": "kicked", "user": user, "until_date": 0}
        if status == "creator":
            return {"status": "creator", "user": user, "is_anonymous": False}
        return {"status": status, "user": user}

    def _new_bot_message(self, chat: Chat, **content: Any) -> Json:
        message: Json = {
            "message_id": self._next_message_id(chat.id),
            "from": self.bot_user,
            "chat": chat.json(),
            "date": int(time.time()),
            **content,
        }
        self.messages[(chat.id, message["message_id"])] = message
        return message

    def _replied(self, chat: Chat, parameters: Json | None) -> Json:
        """A reply (``reply_parameters``) carries the message it answers, as Telegram's
        Message does (without that one's own ``reply_to_message``)."""
        if not parameters:
            return {}
        replied = self.messages.get((chat.id, int(parameters["message_id"])))
        if replied is None:
            if parameters.get("allow_sending_without_reply"):
                return {}
            raise ApiError(400, "Bad Request: message to be replied not found")
        return {"reply_to_message": {k: v for k, v in replied.items() if k != "reply_to_message"}}

    def _next_message_id(self, chat_id: int) -> int:
        counter = self._message_ids.setdefault(chat_id, itertools.count(1))
        return next(counter)

    # Test side: people and chats -----------------------------------------------------------

    def user(
        self,
        user_id: int,
        first_name: str,
        *,
        language_code: str | None = "fi",
        username: str | None = None,
        last_name: str | None = None,
        started: bool = False,
    ) -> Json:
        """A Telegram user. Their private chat with the bot opens when they first write to
        it; pass ``started`` for someone who did so before the test began."""
        user: Json = {"id": user_id, "is_bot": False, "first_name": first_name}
        if last_name:
            user["last_name"] = last_name
        if username:
            user["username"] = username
        if language_code:
            user["language_code"] = language_code
        self.users[user_id] = user
        chat = self.chats.setdefault(user_id, Chat(id=user_id, type="private", user=user))
        chat.started = chat.started or started
        return user

    def group(self, chat_id: int, title: str, *, supergroup: bool = False) -> Chat:
        if chat_id >= 0:
            raise ValueError("group chat ids are negative")
        chat = Chat(
            id=chat_id, type="supergroup" if supergroup else "group", title=title, bot_status="left"
        )
        self.chats[chat_id] = chat
        return chat

    def open_private_chat(self, user: Json) -> None:
        """The person pressed Start at some point: the bot may write to them."""
        self.chats[user["id"]].started = True

    def block_bot(self, user: Json) -> None:
        """The person blocks the bot: sends to them fail with 403 until unblocked."""
        self.chats[user["id"]].blocked = True

    def unblock_bot(self, user: Json) -> None:
        self.chats[user["id"]].blocked = False

    # Test side: injecting updates ------------------------------------------------------------

    async def push_update(self, kind: str, payload: Any, *, force: bool = False) -> Json | None:
        """Queue an update of any kind (also kinds the bot does not handle).

        Returns None, and keeps it in ``dropped``, when Telegram would not deliver it: a kind
        the bot did not ask for, or a group message the bot cannot see (privacy mode, or
        reactions and member updates in a group where it is not an administrator).
        ``force`` delivers it anyway: an update kind from a newer Bot API than the bot knows.
        """
        update = {"update_id": next(self._update_ids), kind: payload}
        if kind in self.spec.types["Update"]["fields"]:
            problems = self.spec.check_object("Update", update)
            self.violations += [f"injected update {problem}" for problem in problems]
        if not force and not (self._wanted(kind) and self._visible(kind, payload)):
            self.dropped.append(update)
            return None
        async with self._updates_changed:
            self._pending.append(update)
            self._updates_changed.notify_all()
        return update

    def _visible(self, kind: str, payload: Any) -> bool:
        """What a bot sees in a group it is a plain member of (BotFather's group privacy)."""
        if not isinstance(payload, dict) or "chat" not in payload:
            return True
        chat = self.chats.get(_as_int(payload["chat"].get("id")))
        if chat is None or chat.type == "private" or chat.bot_status == "administrator":
            return True
        if kind in ("chat_member", "message_reaction", "message_reaction_count"):
            return False  # Telegram sends these only to administrators
        if kind not in ("message", "edited_message") or not self.privacy_mode:
            return True
        text = payload.get("text")
        if text is None and not any(key in payload for key in _CONTENT_KEYS):
            return True  # service messages (members joining, migration) always arrive
        if text is not None and text.startswith("/"):
            command = text.split()[0]
            return "@" not in command or command.endswith("@" + self.bot_user["username"])
        replied = payload.get("reply_to_message") or {}
        return bool(replied.get("from", {}).get("id") == self.bot_id)

    def _wanted(self, kind: str) -> bool:
        allowed = self.allowed_updates
        if allowed:
            return kind in allowed
        return kind not in _OPT_IN_UPDATES

    async def send_text(
        self,
        user: Json,
        text: str,
        *,
        chat: Chat | None = None,
        reply_to: Json | None = None,
        edited: bool = False,
        entities: list[Json] | None = None,
    ) -> Json:
        """A person writes ``text`` in their private chat with the bot or in ``chat``.

        Commands get the ``bot_command`` entity Telegram adds, so PTB sees them as commands.
        """
        target = chat or self.chats[user["id"]]
        if target.type == "private":
            target.started = True
        target.seen_in(user)
        message: Json = {
            "message_id": self._next_message_id(target.id),
            "from": user,
            "chat": target.json(),
            "date": int(time.time()),
            "text": text,
        }
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            message["entities"] = [
                {"type": "bot_command", "offset": 0, "length": _utf16_length(command)}
            ]
        if entities:
            message["entities"] = [*message.get("entities", []), *entities]
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        if edited:
            message["edit_date"] = int(time.time())
        self.messages[(target.id, message["message_id"])] = message
        await self.push_update("edited_message" if edited else "message", message)
        return message

    async def send_media(
        self,
        user: Json,
        kind: str,
        *,
        caption: str | None = None,
        chat: Chat | None = None,
        media_group_id: str | None = None,
        size: int | None = None,
    ) -> Json:
        """A person sends a photo, video, animation, document, voice or audio message
        (``size``: the file's size Telegram reports, in bytes)."""
        target = chat or self.chats[user["id"]]
        if target.type == "private":
            target.started = True
        target.seen_in(user)
        file_id = f"{kind}-from-{user['id']}-{secrets.token_hex(4)}"
        self.files[file_id] = f"{kind} bytes".encode()
        message: Json = {
            "message_id": self._next_message_id(target.id),
            "from": user,
            "chat": target.json(),
            "date": int(time.time()),
            kind: self._media_object(kind, file_id, {}),
        }
        if size is not None:
            for item in message[kind] if kind == "photo" else [message[kind]]:
                item["file_size"] = size
        if kind == "animation":  # Telegram also fills document for animations
            message["document"] = {"file_id": file_id, "file_unique_id": f"u{file_id}"}
        if caption is not None:
            message["caption"] = caption
        if media_group_id is not None:
            message["media_group_id"] = media_group_id
        self.messages[(target.id, message["message_id"])] = message
        await self.push_update("message", message)
        return message

    async def press_button(self, user: Json, message: Json, data: str) -> str:
        """A person taps an inline button under ``message`` (data may be forged)."""
        query_id = str(secrets.randbelow(10**18))
        self._open_queries.add(query_id)
        current = self.messages.get((message["chat"]["id"], message["message_id"]), message)
        await self.push_update(
            "callback_query",
            {
                "id": query_id,
                "from": user,
                "message": current,
                "chat_instance": str(message["chat"]["id"]),
                "data": data,
            },
        )
        return query_id

    async def vote(self, user: Json, message: Json, option_ids: list[int]) -> Json:
        """A person answers the poll in ``message`` (as the bot's sendPoll returned it) with
        the options at ``option_ids``; answering again changes their answer, an empty list
        takes it back. The bot gets the new counts as a ``poll`` update (and, for a poll that
        is not anonymous, who chose what as ``poll_answer``). Returns the poll's new state.

        ``ValueError`` for what Telegram's apps do not let a person do: vote in a closed or
        deleted poll or in a chat they are not in, choose an unknown option, the same option
        twice or several in a single-answer poll, or change an answer the poll does not let
        them change.
        """
        key = (int(message["chat"]["id"]), int(message["message_id"]))
        current = self.messages.get(key)
        if current is None or current.get("poll", {}).get("id") not in self._polls:
            raise ValueError(f"no poll of the bot's in message {key} (deleted?)")
        state = self._polls[current["poll"]["id"]]
        poll = state.poll
        chat = self.chats[state.chat_id]
        chat.seen_in(user)
        user_id = int(user["id"])
        in_chat = chat.id == user_id if chat.type == "private" else chat.is_member(user_id)
        if not in_chat:
            raise ValueError(f"user {user_id} is not in chat {chat.id}")
        if poll["is_closed"]:
            raise ValueError("the poll is closed")
        if len(set(option_ids)) != len(option_ids):
            raise ValueError(f"an option chosen twice: {option_ids}")
        if any(not 0 <= index < len(poll["options"]) for index in option_ids):
            raise ValueError(f"no such option: {option_ids}")
        if len(option_ids) > 1 and not poll["allows_multiple_answers"]:
            raise ValueError("the poll takes one answer")
        if user_id in state.choices and not poll["allows_revoting"]:
            raise ValueError("the poll does not let an answer change")
        if not option_ids and user_id not in state.choices:
            raise ValueError("no answer to take back")
        if option_ids:
            state.choices[user_id] = sorted(option_ids)
        else:
            del state.choices[user_id]
        state.recount()
        await self.push_update("poll", state.outside_message())
        if not poll["is_anonymous"]:
            chosen = state.choices.get(user_id, [])
            await self.push_update(
                "poll_answer",
                {
                    "poll_id": poll["id"],
                    "user": user,
                    "option_ids": chosen,
                    "option_persistent_ids": [
                        poll["options"][index]["persistent_id"] for index in chosen
                    ],
                },
            )
        return state.outside_message()

    def age_message(self, chat_id: int, message_id: int, hours: float) -> Json:
        """The message was sent ``hours`` earlier than it was (its ``date`` moves back): an
        old message, without a clock. Returns the message."""
        message = self.messages[(chat_id, message_id)]
        message["date"] -= round(hours * 3600)
        return message

    async def bot_added(self, by: Json, chat: Chat, *, admin: bool = False) -> Json | None:
        """Someone adds the bot to a group: the bot gets ``my_chat_member``."""
        chat.seen_in(by)
        old = chat.bot_status
        chat.bot_status = "administrator" if admin else "member"
        return await self._my_chat_member(by, chat, old, chat.bot_status)

    async def bot_removed(self, by: Json, chat: Chat, *, kicked: bool = True) -> Json | None:
        old = chat.bot_status
        chat.bot_status = "kicked" if kicked else "left"
        return await self._my_chat_member(by, chat, old, chat.bot_status)

    async def _my_chat_member(self, by: Json, chat: Chat, old: str, new: str) -> Json | None:
        return await self.push_update(
            "my_chat_member",
            {
                "chat": chat.json(),
                "from": by,
                "date": int(time.time()),
                "old_chat_member": self._member_json(self.bot_user, old),
                "new_chat_member": self._member_json(self.bot_user, new),
            },
        )

    def add_member(self, user: Json, chat: Chat, status: str = "member") -> None:
        """The person is in the chat already (from before the test, or before the bot came):
        no update is sent."""
        chat.members[int(user["id"])] = status

    async def member_joined(self, user: Json, chat: Chat) -> None:
        """A person joins: a ``chat_member`` update and the service message Telegram posts."""
        old = chat.members.get(int(user["id"]), "left")
        chat.members[int(user["id"])] = "member"
        await self.push_update(
            "chat_member",
            {
                "chat": chat.json(),
                "from": user,
                "date": int(time.time()),
                "old_chat_member": self._member_json(user, old),
                "new_chat_member": self._member_json(user, "member"),
            },
        )
        await self._service_message(user, chat, new_chat_members=[user])

    async def member_left(self, user: Json, chat: Chat) -> None:
        """The person leaves: a ``chat_member`` update (only an administrator bot gets it)
        and Telegram's notice in the chat."""
        await self._member_out(user, chat, by=user, status="left")

    async def member_removed(self, user: Json, chat: Chat, *, by: Json) -> None:
        """An administrator removes (bans) the person: ``kicked``, with the same updates."""
        await self._member_out(user, chat, by=by, status="kicked")

    def member_left_unseen(self, user: Json, chat: Chat) -> None:
        """The person is no longer in the chat and the bot heard nothing of it (it is not an
        administrator, and the notice never reached it): only getChatMember can tell."""
        chat.members[int(user["id"])] = "left"

    async def _member_out(self, user: Json, chat: Chat, *, by: Json, status: str) -> None:
        old = chat.members.get(int(user["id"]), "member")
        chat.members[int(user["id"])] = status
        await self.push_update(
            "chat_member",
            {
                "chat": chat.json(),
                "from": by,
                "date": int(time.time()),
                "old_chat_member": self._member_json(user, old),
                "new_chat_member": self._member_json(user, status),
            },
        )
        await self._service_message(by, chat, left_chat_member=user)

    async def migrate_to_supergroup(
        self, chat: Chat, new_id: int, by: Json, *, into: Chat | None = None
    ) -> Chat:
        """The group becomes a supergroup: the old id refuses messages from now on.
        Pass ``into`` if the test already announced the bot joining the new chat."""
        supergroup = into or Chat(
            id=new_id, type="supergroup", title=chat.title, bot_status=chat.bot_status
        )
        self.chats[new_id] = supergroup
        chat.migrated_to = new_id
        await self._service_message(by, chat, migrate_to_chat_id=new_id)
        await self._service_message(by, supergroup, migrate_from_chat_id=chat.id)
        return supergroup

    async def reaction(
        self, user: Json, chat: Chat, message_id: int, *, old: list[str], new: list[str]
    ) -> Json | None:
        chat.seen_in(user)
        return await self.push_update(
            "message_reaction",
            {
                "chat": chat.json(),
                "message_id": message_id,
                "user": user,
                "date": int(time.time()),
                "old_reaction": [{"type": "emoji", "emoji": emoji} for emoji in old],
                "new_reaction": [{"type": "emoji", "emoji": emoji} for emoji in new],
            },
        )

    async def reaction_count(
        self, chat: Chat, message_id: int, counts: dict[str, int]
    ) -> Json | None:
        return await self.push_update(
            "message_reaction_count",
            {
                "chat": chat.json(),
                "message_id": message_id,
                "date": int(time.time()),
                "reactions": [
                    {"type": {"type": "emoji", "emoji": emoji}, "total_count": count}
                    for emoji, count in counts.items()
                ],
            },
        )

    async def _service_message(self, user: Json, chat: Chat, **content: Any) -> Json:
        message: Json = {
            "message_id": self._next_message_id(chat.id),
            "from": user,
            "chat": chat.json(),
            "date": int(time.time()),
            **content,
        }
        await self.push_update("message", message)
        return message

    # Test side: faults -----------------------------------------------------------------------

    def fail(
        self,
        *,
        method: str | None = None,
        chat_id: int | None = None,
        times: int | None = 1,
        status: int = 500,
        description: str = "Internal Server Error",
        retry_after: int | None = None,
        migrate_to_chat_id: int | None = None,
    ) -> Fault:
        parameters: Json = {}
        if retry_after is not None:
            status, description = 429, f"Too Many Requests: retry after {retry_after}"
            parameters["retry_after"] = retry_after
        if migrate_to_chat_id is not None:
            status = 400
            description = "Bad Request: group chat was upgraded to a supergroup chat"
            parameters["migrate_to_chat_id"] = migrate_to_chat_id
        fault = Fault(method, chat_id, times, error=ApiError(status, description, parameters))
        self.faults.append(fault)
        return fault

    def stall(
        self,
        seconds: float,
        *,
        method: str | None = None,
        chat_id: int | None = None,
        times: int | None = 1,
        deliver: bool = True,
    ) -> Fault:
        """Answer late. With ``deliver`` the message is delivered before the stall."""
        fault = Fault(method, chat_id, times, delay=seconds, deliver_first=deliver)
        self.faults.append(fault)
        return fault

    def hold(
        self, *, method: str | None = None, chat_id: int | None = None, times: int | None = 1
    ) -> Fault:
        """Keep matching requests waiting, unanswered and undelivered, until the test calls
        ``release()`` on the fault (``arrived`` tells when one came): a slow request,
        without a clock."""
        fault = Fault(method, chat_id, times, gate=asyncio.Event(), arrived=asyncio.Event())
        self.faults.append(fault)
        return fault

    def drop(
        self,
        *,
        method: str | None = None,
        chat_id: int | None = None,
        times: int | None = 1,
        deliver: bool = False,
    ) -> Fault:
        """Close the connection without answering. With ``deliver`` the message is
        delivered first (the answer is what gets lost)."""
        fault = Fault(method, chat_id, times, drop=True, deliver_first=deliver)
        self.faults.append(fault)
        return fault

    # Test side: reading what the bot did -----------------------------------------------------

    def sent(self, method: str | None = None, *, chat_id: int | None = None) -> list[ApiCall]:
        """Successful requests, optionally of one method and to one chat, oldest first."""
        return [
            call
            for call in self.calls
            if call.ok
            and (method is None or call.method == method)
            and (chat_id is None or _as_int(call.chat_id) == chat_id)
        ]

    async def wait_for(
        self,
        method: str,
        *,
        chat_id: int | None = None,
        where: Callable[[ApiCall], bool] | None = None,
        after: int = 0,
        timeout: float = WAIT_TIMEOUT,
    ) -> ApiCall:
        """The first successful matching request at index ``after`` or later in ``calls``;
        an ``AssertionError`` naming the last requests if none comes within ``timeout``."""

        def matches(call: ApiCall) -> bool:
            return (
                call.ok
                and call.method == method
                and (chat_id is None or _as_int(call.chat_id) == chat_id)
                and (where is None or where(call))
            )

        for call in self.calls[after:]:
            if matches(call):
                return call
        # Not there yet: each new call is offered to the waiting matchers once, so many
        # waiters cost one check per call each, not a rescan of the whole history.
        found: asyncio.Future[ApiCall] = asyncio.get_running_loop().create_future()
        watcher = (matches, found)
        self._watchers.append(watcher)
        try:
            return await asyncio.wait_for(found, timeout)
        except TimeoutError:
            seen = [f"{call.method}({call.params})" for call in self.calls[after:]][-10:]
            raise AssertionError(
                f"no {method} to {chat_id} within {timeout}s; last calls: {seen}"
            ) from None
        finally:
            if watcher in self._watchers:
                self._watchers.remove(watcher)

    def message(self, chat_id: int, message_id: int) -> Json:
        """A message as the chat shows it now: its text and buttons after every edit."""
        return self.messages[(chat_id, message_id)]

    def polls_sent(self, chat_id: int | None = None) -> list[Json]:
        """The bot's poll messages still in their chats (optionally one chat), oldest first,
        as the chats show them now: the current counts and whether each is closed."""
        return [
            self.messages[(state.chat_id, state.message_id)]
            for state in self._polls.values()
            if (state.chat_id, state.message_id) in self.messages
            and (chat_id is None or state.chat_id == chat_id)
        ]

    def mark(self) -> int:
        """A position in ``calls``; pass it as ``after`` to wait only for newer requests."""
        return len(self.calls)

    @property
    def pending_updates(self) -> int:
        return len(self._pending)


def _check_web_app_url(url: object) -> None:
    """A Web App's address: HTTPS (or, in the emulator only, http on this machine)."""
    parsed = urllib.parse.urlsplit(str(url or ""))
    local = parsed.scheme == "http" and parsed.hostname in LOCAL_HOSTS
    if not parsed.hostname or not (parsed.scheme == "https" or local):
        raise ApiError(
            400, f"Bad Request: Web App URL '{url}' is invalid: only HTTPS links are allowed"
        )


def _poll_texts(params: Json) -> tuple[str, list[str]]:
    """sendPoll's question and option texts, trimmed, with TDLib's refusals."""
    question = str(params["question"]).strip()
    if not question:
        raise ApiError(400, "Bad Request: text must be non-empty")
    if len(question) > POLL_QUESTION_LIMIT:
        raise ApiError(
            400, f"Bad Request: poll question length must not exceed {POLL_QUESTION_LIMIT}"
        )
    options = [str(option["text"]).strip() for option in params["options"]]
    if len(options) < POLL_OPTIONS_MIN:
        raise ApiError(400, "Bad Request: poll must have at least one answer option")
    if len(options) > POLL_OPTIONS_MAX:
        raise ApiError(400, f"Bad Request: poll can't have more than {POLL_OPTIONS_MAX} options")
    for text in options:
        if not text:
            raise ApiError(400, "Bad Request: text must be non-empty")
        if len(text) > POLL_OPTION_LIMIT:
            raise ApiError(
                400, f"Bad Request: poll options length must not exceed {POLL_OPTION_LIMIT}"
            )
    return question, options


def _new_poll(params: Json, question: str, options: list[str]) -> Json:
    """The Poll object of a new regular poll, with sendPoll's defaults."""
    poll: Json = {
        "id": str(secrets.randbelow(10**19)),
        "question": question,
        "options": [
            {"persistent_id": secrets.token_hex(4), "text": text, "voter_count": 0}
            for text in options
        ],
        "total_voter_count": 0,
        "is_closed": bool(params.get("is_closed", False)),
        "is_anonymous": bool(params.get("is_anonymous", True)),
        "type": "regular",
        "allows_multiple_answers": bool(params.get("allows_multiple_answers", False)),
        "allows_revoting": bool(params.get("allows_revoting", True)),
        "members_only": bool(params.get("members_only", False)),
    }
    if params.get("question_entities"):
        poll["question_entities"] = params["question_entities"]
    for option, given in zip(poll["options"], params["options"], strict=True):
        if given.get("text_entities"):
            option["text_entities"] = given["text_entities"]
    if params.get("description"):
        poll["description"] = str(params["description"])
        if params.get("description_entities"):
            poll["description_entities"] = params["description_entities"]
    # The Bot API server writes both or neither (its JsonPoll); TDLib turns a close_date into
    # an open period. The poll is not closed when the time comes: a test stops it.
    now = int(time.time())
    if params.get("open_period"):
        poll["open_period"] = int(params["open_period"])
        poll["close_date"] = now + poll["open_period"]
    elif params.get("close_date"):
        poll["close_date"] = int(params["close_date"])
        poll["open_period"] = max(poll["close_date"] - now, 0)
    return poll


def _as_int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _utf16_length(text: str) -> int:
    """Telegram measures text in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def _menu_key(call: ApiCall) -> tuple[str, str]:
    """Which command menu a call means: its scope's type and language ("" for everyone)."""
    scope = call.params.get("scope") or {"type": "default"}
    return scope["type"], call.params.get("language_code") or ""
