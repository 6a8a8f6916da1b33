"""A fake Discord on 127.0.0.1: the REST routes and the websocket gateway a discord.py bot uses.

It speaks the real protocol (so the real discord.py client is under test, not a mock), enforces
Discord's rules (3 s acknowledgement, single acknowledgement, message limits, empty messages,
command schema, buttons) and records every request. Broken rules are answered with Discord's
error codes *and* collected in ``violations`` so a test can assert there were none.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import discord.http
import yarl
from aiohttp import web
from discord.gateway import DiscordWebSocket

__all__ = [
    "FakeDiscord",
    "FakeInteraction",
    "Fault",
    "Recorded",
    "buttons",
    "permissions",
    "pointed_at",
]

ACK_DEADLINE = 3.0
FOLLOWUP_WINDOW = 15 * 60
EPHEMERAL = 64
ADMINISTRATOR = 1 << 3
MANAGE_GUILD = 1 << 5
ALL_PERMISSIONS = (1 << 51) - 1
MESSAGE_CONTENT = 1 << 15  # the privileged gateway intent
# view channel, send messages, embed links, read message history, use application commands
MEMBER_PERMISSIONS = (1 << 10) | (1 << 11) | (1 << 14) | (1 << 16) | (1 << 31)
NAME = re.compile(r"^[-_\w]{1,32}$")
BODY: web.RequestKey[Any] = web.RequestKey("body", object)


def permissions(*, manage_guild: bool = False, administrator: bool = False) -> int:
    """A member's permission bits: an ordinary member, plus Manage Server or Administrator."""
    bits = MEMBER_PERMISSIONS
    if manage_guild:
        bits |= MANAGE_GUILD
    if administrator:
        bits |= ADMINISTRATOR
    return bits


@dataclass
class Recorded:
    """One HTTP request the bot made."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    at: float

    @property
    def message(self) -> dict[str, Any] | None:
        """The message payload carried by this request, if any."""
        if not isinstance(self.body, dict):
            return None
        if self.path.endswith("/callback"):
            data = self.body.get("data")
            return data if self.body.get("type") in (4, 7) and isinstance(data, dict) else None
        if self.path.endswith("/threads"):  # a thread's name and settings, not a message
            return None
        if "/messages" in self.path or self.path.startswith("/api/v10/webhooks/"):
            return self.body if self.method in ("POST", "PATCH") else None
        return None


@dataclass
class Fault:
    """An error the fake answers instead of serving a request: to those whose method is
    ``method`` and whose path matches ``path`` (a regular expression, searched), ``times`` times
    (None: every time)."""

    method: str
    path: str
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    times: int | None = None
    served: int = 0

    def matches(self, request: web.Request) -> bool:
        left = self.times is None or self.served < self.times
        return left and request.method == self.method and bool(re.search(self.path, request.path))


@dataclass
class FakeInteraction:
    """What happened to one interaction the fake sent."""

    id: int
    token: str
    name: str
    user_id: int
    created: float
    ack_at: float | None = None
    ack_type: int | None = None
    ephemeral: bool = False
    original: dict[str, Any] | None = None
    original_deleted: bool = False
    edits: list[tuple[float, dict[str, Any]]] = field(default_factory=list)
    followups: list[dict[str, Any]] = field(default_factory=list)
    choices: list[dict[str, Any]] | None = None
    target: dict[str, Any] | None = None  # the message whose button was pressed

    @property
    def ack_delay(self) -> float | None:
        return None if self.ack_at is None else self.ack_at - self.created

    @property
    def answered(self) -> bool:
        """Whether the user sees something besides a "thinking…" placeholder."""
        if self.ack_type in (7, 8) or (self.ack_type == 6 and self.edits):
            return True
        loading = self.original is not None and self.original.get("_loading")
        return bool(self.followups) or (self.original is not None and not loading)

    @property
    def messages(self) -> list[dict[str, Any]]:
        """Everything the user sees: the original response (unless deleted), then follow-ups."""
        shown = [] if self.original is None or self.original_deleted else [self.original]
        return [m for m in shown if not m.get("_loading")] + self.followups

    @property
    def text(self) -> str:
        """Contents and embed texts of every visible message, for assertions."""
        parts = []
        for message in self.messages:
            parts.append(message.get("content") or "")
            for embed in message.get("embeds") or []:
                parts += [embed.get("title") or "", embed.get("description") or ""]
                parts += [(embed.get("footer") or {}).get("text") or ""]
                parts += [f.get("value", "") for f in embed.get("fields") or []]
        return "\n".join(parts)


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    # discord.py parses JSON only when Content-Type is exactly application/json (no charset).
    return web.Response(
        body=json.dumps(data).encode(),
        status=status,
        headers={**(headers or {}), "Content-Type": "application/json"},
    )


def _error(
    status: int, code: int, message: str, errors: dict[str, Any] | None = None
) -> web.Response:
    body: dict[str, Any] = {"code": code, "message": message}
    if errors:
        body["errors"] = errors
    return _json(body, status)


def _now_iso() -> str:
    return datetime.now(timezone.utc).isoformat()


@contextlib.contextmanager
def pointed_at(port: int) -> Iterator[None]:
    """Point discord.py's REST base and gateway at a fake on 127.0.0.1:``port`` (in any
    process, so a bot may run apart from its fake); restore them afterwards."""
    route, gateway = discord.http.Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    set_version = discord.http._set_api_version
    discord.http.Route.BASE = f"http://127.0.0.1:{port}/api/v10"
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(f"ws://127.0.0.1:{port}/gateway")
    discord.http._set_api_version = lambda value: None  # would reset Route.BASE
    try:
        yield
    finally:
        discord.http.Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = route, gateway
        discord.http._set_api_version = set_version


class FakeDiscord:
    """Start with ``await fake.start()``; ``with fake.patched():`` points discord.py at it."""

    def __init__(
        self,
        *,
        token: str | None = None,
        ack_deadline: float = ACK_DEADLINE,
        message_content_intent: bool = True,
    ) -> None:
        self.token = token or f"MTA.fake-{secrets.token_hex(12)}"
        self.message_content_intent = message_content_intent  # enabled in the developer portal
        self.ack_deadline = ack_deadline
        self._ids = itertools.count(1_200_000_000_000_000_000)
        self.app_id = self.snowflake()
        self.guild_id = self.snowflake()
        self.channel_id = self.snowflake()
        self.dm_channel_id = self.snowflake()
        self.owner_id = self.snowflake()
        self.bot_user = self.user(self.app_id, "newsbot", bot=True)
        self.requests: list[Recorded] = []
        self.violations: list[str] = []
        self.commands: dict[int | None, list[dict[str, Any]]] = {}
        self.interactions: dict[int, FakeInteraction] = {}
        self.channel_messages: list[dict[str, Any]] = []
        self.threads: dict[int, dict[str, Any]] = {}  # by id: threads the bot started
        self.dm_channels: dict[int, int] = {}  # user id -> the bot's DM channel with them
        self.faults: list[Fault] = []
        self.identify: dict[str, Any] | None = None
        self.ready = asyncio.Event()
        self._by_token: dict[str, FakeInteraction] = {}
        self._attachments: dict[int, tuple[str, bytes]] = {}
        self._ws: web.WebSocketResponse | None = None
        self.connected = asyncio.Event()  # the bot's gateway is up (identified or resumed)
        self._resumable = True  # whether a dropped session may be resumed
        self.resumes = self.identifies = 0
        self._seq = itertools.count(1)
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # --- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(middlewares=[self._record], client_max_size=64 * 1024 * 1024)
        app.router.add_get("/gateway", self._gateway)
        app.router.add_get("/attachments/{id}/{name}", self._attachment)
        api = "/api/v10"
        routes = [
            ("GET", "/users/@me", self._me),
            ("GET", "/oauth2/applications/@me", self._application),
            ("GET", "/gateway", self._gateway_url),
            ("GET", "/gateway/bot", self._gateway_url),
            ("PUT", "/applications/{app}/commands", self._put_commands),
            ("PUT", "/applications/{app}/guilds/{guild}/commands", self._put_commands),
            ("GET", "/applications/{app}/commands", self._get_commands),
            ("GET", "/applications/{app}/guilds/{guild}/commands", self._get_commands),
            ("POST", "/interactions/{id}/{token}/callback", self._callback),
            ("POST", "/webhooks/{app}/{token}", self._followup),
            ("GET", "/webhooks/{app}/{token}/messages/{message}", self._get_webhook_message),
            ("PATCH", "/webhooks/{app}/{token}/messages/{message}", self._edit_webhook_message),
            ("DELETE", "/webhooks/{app}/{token}/messages/{message}", self._delete_webhook_message),
            ("POST", "/channels/{channel}/messages", self._channel_message),
            ("POST", "/channels/{channel}/messages/{message}/threads", self._start_thread),
            ("POST", "/channels/{channel}/typing", self._typing),
            ("POST", "/users/@me/channels", self._open_dm),
        ]
        for method, path, handler in routes:
            app.router.add_route(method, api + path, handler)
        app.router.add_route("*", "/{tail:.*}", self._unknown)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def patched(self) -> contextlib.AbstractContextManager[None]:
        """Point discord.py's REST base and gateway at this fake; restore them afterwards."""
        return pointed_at(self.port)

    # --- objects ---------------------------------------------------------------------------

    def snowflake(self) -> int:
        return next(self._ids)

    def user(self, user_id: int, name: str, *, bot: bool = False) -> dict[str, Any]:
        return {
            "id": str(user_id),
            "username": name,
            "discriminator": "0",
            "global_name": name,
            "avatar": None,
            "bot": bot,
            "public_flags": 0,
        }

    def member(self, user_id: int, perms: int) -> dict[str, Any]:
        """A guild member; like Discord, an Administrator's computed permissions are all of them."""
        if perms & ADMINISTRATOR:
            perms = ALL_PERMISSIONS
        return {
            "user": self.user(user_id, f"user{user_id % 10_000}"),
            "roles": [],
            "nick": None,
            "joined_at": _now_iso(),
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "permissions": str(perms),
        }

    def channel(self) -> dict[str, Any]:
        return {
            "id": str(self.channel_id),
            "type": 0,
            "guild_id": str(self.guild_id),
            "name": "news",
            "position": 0,
            "permission_overwrites": [],
            "nsfw": False,
            "topic": None,
            "last_message_id": None,
            "rate_limit_per_user": 0,
        }

    def guild(self) -> dict[str, Any]:
        everyone = {
            "id": str(self.guild_id),
            "name": "@everyone",
            "permissions": str(MEMBER_PERMISSIONS),
            "position": 0,
            "color": 0,
            "hoist": False,
            "managed": False,
            "mentionable": False,
            "flags": 0,
        }
        return {
            "id": str(self.guild_id),
            "name": "Test Server",
            "icon": None,
            "owner_id": str(self.owner_id),
            "roles": [everyone],
            "channels": [self.channel()],
            "members": [],
            "threads": [],
            "member_count": 3,
            "emojis": [],
            "stickers": [],
            "features": [],
            "large": False,
            "unavailable": False,
            "joined_at": _now_iso(),
            "voice_states": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "premium_tier": 0,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "preferred_locale": "en-US",
            "system_channel_flags": 0,
        }

    def _message(
        self, payload: dict[str, Any], *, channel_id: int, author: dict[str, Any], kind: int = 0
    ) -> dict[str, Any]:
        message = {
            "id": str(self.snowflake()),
            "channel_id": str(channel_id),
            "guild_id": str(self.guild_id),
            "author": author,
            "content": payload.get("content") or "",
            "timestamp": _now_iso(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": payload.get("embeds") or [],
            "pinned": False,
            "type": kind,
            "flags": payload.get("flags") or 0,
            "components": payload.get("components") or [],
        }
        if payload.get("message_reference"):
            message["message_reference"] = payload["message_reference"]
        return message

    # --- recording and rules ---------------------------------------------------------------

    @web.middleware
    async def _record(
        self, request: web.Request, handler: Callable[..., Any]
    ) -> web.StreamResponse:
        body: Any = None
        if request.can_read_body:
            if request.content_type == "multipart/form-data":
                form = await request.post()
                raw = form.get("payload_json")
                body = json.loads(raw) if isinstance(raw, str) else None
            else:
                text = await request.text()
                body = json.loads(text) if text else None
        request[BODY] = body
        if request.path != "/gateway":
            self.requests.append(
                Recorded(request.method, request.path, dict(request.query), body, time.monotonic())
            )
        fault = next((f for f in self.faults if f.matches(request)), None)
        response: web.StreamResponse
        if fault is not None:
            fault.served += 1
            response = _json(fault.body, fault.status, fault.headers)
        else:
            response = await handler(request)
        async with self._changed:
            self._changed.notify_all()
        return response

    def fail(
        self,
        method: str,
        path: str,
        status: int,
        code: int,
        message: str,
        *,
        times: int | None = None,
    ) -> Fault:
        """Answer the requests ``method`` ``path`` matches with Discord's error ``code``."""
        fault = Fault(method, path, status, {"code": code, "message": message}, times=times)
        self.faults.append(fault)
        return fault

    def rate_limit(
        self, method: str, path: str, *, retry_after: float = 0.05, times: int | None = None
    ) -> Fault:
        """Answer the requests ``method`` ``path`` matches with 429s, as Discord does (discord.py
        retries a 429 only when it came through Discord's proxy: the ``Via`` header)."""
        body = {
            "message": "You are being rate limited.",
            "retry_after": retry_after,
            "global": False,
        }
        headers = {"Via": "1.1 google", "Retry-After": str(retry_after)}
        fault = Fault(method, path, 429, body, headers, times=times)
        self.faults.append(fault)
        return fault

    def _violation(self, text: str) -> None:
        self.violations.append(text)

    def _check_message(
        self, payload: dict[str, Any], where: str, *, edit: bool = False
    ) -> web.Response | None:
        """Discord's limits on a message; also flags any payload that could ping someone."""
        errors: dict[str, Any] = {}
        content = payload.get("content") or ""
        embeds = payload.get("embeds") or []
        if len(content) > 2000:
            errors["content"] = "Must be 2000 or fewer in length."
        if len(embeds) > 10:
            errors["embeds"] = "Must be 10 or fewer in length."
        total = 0
        for i, embed in enumerate(embeds):
            limits = [
                ("title", len(embed.get("title") or ""), 256),
                ("description", len(embed.get("description") or ""), 4096),
                ("fields", len(embed.get("fields") or []), 25),
                ("footer", len((embed.get("footer") or {}).get("text") or ""), 2048),
                ("author", len((embed.get("author") or {}).get("name") or ""), 256),
            ]
            for f in embed.get("fields") or []:
                limits += [
                    ("field name", len(f.get("name") or ""), 256),
                    ("field value", len(f.get("value") or ""), 1024),
                ]
                if not f.get("name") or not f.get("value"):
                    errors[f"embeds.{i}.fields"] = "Field name and value are required."
            for what, size, limit in limits:
                if size > limit:
                    errors[f"embeds.{i}.{what}"] = f"Must be {limit} or fewer in length."
            url = embed.get("url")
            if url is not None and not re.match(r"https?://\S+$", url):
                errors[f"embeds.{i}.url"] = "Not a well formed URL."
            total += sum(size for what, size, _ in limits if what not in ("fields",))
        if total > 6000:
            errors["embeds"] = "Embed size exceeds maximum size of 6000"
        problems = _component_problems(payload.get("components") or [])
        if problems:
            errors["components"] = problems
        if "content" in payload or "embeds" in payload:
            mentions = payload.get("allowed_mentions")
            if (
                not isinstance(mentions, dict)
                or mentions.get("parse") != []
                or mentions.get("users")
                or mentions.get("roles")
                or mentions.get("replied_user")
            ):
                self._violation(f"{where}: allowed_mentions would ping: {mentions!r}")
        if errors:
            self._violation(f"{where}: over Discord's limits: {errors}")
            return _error(400, 50035, "Invalid Form Body", errors)
        if not edit and not content.strip() and not embeds:
            self._violation(f"{where}: empty message")
            return _error(400, 50006, "Cannot send an empty message")
        return None

    # --- REST ------------------------------------------------------------------------------

    def _authorised(self, request: web.Request) -> bool:
        return request.headers.get("Authorization") == f"Bot {self.token}"

    async def _me(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return _error(401, 0, "401: Unauthorized")
        return _json(self.bot_user)

    async def _application(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return _error(401, 0, "401: Unauthorized")
        return _json(
            {
                "id": str(self.app_id),
                "name": "newsbot",
                "description": "",
                "icon": None,
                "bot_public": True,
                "bot_require_code_grant": False,
                "verify_key": "0" * 64,
                "owner": self.user(self.owner_id, "owner"),
                "flags": 0,
                "team": None,
            }
        )

    async def _gateway_url(self, request: web.Request) -> web.Response:
        return _json({"url": f"ws://127.0.0.1:{self.port}/gateway", "shards": 1})

    async def _put_commands(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return _error(401, 0, "401: Unauthorized")
        guild = request.match_info.get("guild")
        body = request[BODY]
        errors = {}
        for i, command in enumerate(body):
            for problem in _command_problems(command):
                errors[f"{i}"] = problem
        if errors:
            self._violation(f"command registration rejected: {errors}")
            return _error(400, 50035, "Invalid Form Body", errors)
        scope = int(guild) if guild else None
        registered = []
        for command in body:
            stored = dict(
                command,
                id=str(self.snowflake()),
                application_id=str(self.app_id),
                version=str(self.snowflake()),
            )
            stored.setdefault("description", "")  # Discord's answer always has one
            if guild:
                stored["guild_id"] = guild
            if stored.get("default_member_permissions") is not None:  # Discord answers a string
                stored["default_member_permissions"] = str(stored["default_member_permissions"])
            registered.append(stored)
        self.commands[scope] = registered
        return _json(registered)

    async def _get_commands(self, request: web.Request) -> web.Response:
        guild = request.match_info.get("guild")
        return _json(self.commands.get(int(guild) if guild else None, []))

    async def _callback(self, request: web.Request) -> web.Response:
        now = time.monotonic()
        inter = self.interactions.get(int(request.match_info["id"]))
        if inter is None or inter.token != request.match_info["token"]:
            return _error(404, 10062, "Unknown interaction")
        if inter.ack_type is not None:
            self._violation(f"/{inter.name}: acknowledged twice")
            return _error(400, 40060, "Interaction has already been acknowledged.")
        if now - inter.created > self.ack_deadline:
            self._violation(f"/{inter.name}: acknowledged after {now - inter.created:.2f} s")
            return _error(404, 10062, "Unknown interaction")
        body = request[BODY]
        kind, data = body.get("type"), body.get("data") or {}
        if kind in (6, 7) and inter.target is None:
            self._violation(f"/{inter.name}: a message update answers only a button")
            return _error(400, 40004, "Interaction response type not allowed here")
        if kind in (4, 7):
            problem = self._check_message(data, f"/{inter.name} response", edit=kind == 7)
            if problem is not None:
                return problem
        if kind == 8:
            choices = data.get("choices") or []
            if len(choices) > 25 or any(len(c["name"]) > 100 for c in choices):
                self._violation(f"/{inter.name}: bad autocomplete choices")
                return _error(400, 50035, "Invalid Form Body")
            inter.choices = choices
        inter.ack_at, inter.ack_type = now, kind
        inter.ephemeral = bool((data.get("flags") or 0) & EPHEMERAL)
        interaction: dict[str, Any] = {
            "id": str(inter.id),
            "type": 2 if inter.target is None else 3,
        }
        result: dict[str, Any] = {"interaction": interaction}
        if kind == 7 and inter.target is not None:  # the pressed message, updated in place
            self._update(inter, inter.target, data)
            interaction["response_message_id"] = inter.target["id"]
            result["resource"] = {"type": kind, "message": _public(inter.target)}
        if kind in (4, 5):
            inter.original = self._message(
                data, channel_id=self.channel_id, author=self.bot_user, kind=20
            )
            inter.original["_loading"] = kind == 5
            interaction.update(
                response_message_id=inter.original["id"],
                response_message_loading=kind == 5,
                response_message_ephemeral=inter.ephemeral,
            )
            result["resource"] = {"type": kind, "message": _public(inter.original)}
        return _json(result)

    def _webhook_interaction(self, request: web.Request) -> FakeInteraction | web.Response:
        inter = self._by_token.get(request.match_info["token"])
        if inter is None or request.match_info["app"] != str(self.app_id):
            return _error(404, 10015, "Unknown Webhook")
        if inter.ack_type not in (4, 5, 6, 7):
            self._violation(f"/{inter.name}: follow-up or edit before the acknowledgement")
            return _error(404, 10015, "Unknown Webhook")
        if time.monotonic() - inter.created > FOLLOWUP_WINDOW:
            return _error(401, 50027, "Invalid Webhook Token")
        return inter

    async def _followup(self, request: web.Request) -> web.Response:
        inter = self._webhook_interaction(request)
        if isinstance(inter, web.Response):
            return inter
        body = request[BODY]
        problem = self._check_message(body, f"/{inter.name} follow-up")
        if problem is not None:
            return problem
        message = self._message(body, channel_id=self.channel_id, author=self.bot_user, kind=20)
        if (
            inter.original is not None
            and inter.original.get("_loading")
            and not inter.original_deleted
        ):
            # The first follow-up after a defer replaces the "thinking…" placeholder.
            message.update(id=inter.original["id"], flags=EPHEMERAL if inter.ephemeral else 0)
            inter.original = message
        else:
            inter.followups.append(message)
        return _json(_public(message))

    def _find(self, inter: FakeInteraction, message_id: str) -> dict[str, Any] | None:
        if message_id == "@original" and inter.ack_type in (6, 7):  # a button's message
            return inter.target
        if message_id == "@original" or (inter.original and inter.original["id"] == message_id):
            return None if inter.original_deleted else inter.original
        return next((m for m in inter.followups if m["id"] == message_id), None)

    async def _get_webhook_message(self, request: web.Request) -> web.Response:
        inter = self._webhook_interaction(request)
        if isinstance(inter, web.Response):
            return inter
        message = self._find(inter, request.match_info["message"])
        return _json(_public(message)) if message else _error(404, 10008, "Unknown Message")

    async def _edit_webhook_message(self, request: web.Request) -> web.Response:
        inter = self._webhook_interaction(request)
        if isinstance(inter, web.Response):
            return inter
        message = self._find(inter, request.match_info["message"])
        if message is None:
            return _error(404, 10008, "Unknown Message")
        body = request[BODY]
        merged = {**message, **{k: v for k, v in body.items() if k in ("content", "embeds")}}
        problem = self._check_message(
            dict(body, content=merged.get("content"), embeds=merged.get("embeds")),
            f"/{inter.name} edit",
        )
        if problem is not None:
            return problem
        self._update(inter, message, body)
        return _json(_public(message))

    def _update(
        self, inter: FakeInteraction, message: dict[str, Any], body: dict[str, Any]
    ) -> None:
        """Edit ``message`` with what ``body`` changes, as ``inter``'s edit."""
        message.update(
            {k: v for k, v in body.items() if k in ("content", "embeds", "components")},
            edited_timestamp=_now_iso(),
            _loading=False,
        )
        inter.edits.append((time.monotonic(), dict(body)))

    async def _delete_webhook_message(self, request: web.Request) -> web.Response:
        inter = self._webhook_interaction(request)
        if isinstance(inter, web.Response):
            return inter
        message_id = request.match_info["message"]
        if self._find(inter, message_id) is None:
            return _error(404, 10008, "Unknown Message")
        if message_id == "@original" or (inter.original and inter.original["id"] == message_id):
            inter.original_deleted = True
        else:
            inter.followups = [m for m in inter.followups if m["id"] != message_id]
        return web.Response(status=204)

    async def _channel_message(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return _error(401, 0, "401: Unauthorized")
        body = request[BODY]
        problem = self._check_message(body, "channel message")
        if problem is not None:
            return problem
        message = self._message(
            body,
            channel_id=int(request.match_info["channel"]),
            author=self.bot_user,
            kind=19 if body.get("message_reference") else 0,
        )
        self.channel_messages.append(message)
        return _json(_public(message))

    async def _open_dm(self, request: web.Request) -> web.Response:
        """The bot's direct-message channel with a user (opened once, then the same)."""
        if not self._authorised(request):
            return _error(401, 0, "401: Unauthorized")
        user_id = int(request[BODY]["recipient_id"])
        channel_id = self.dm_channels.setdefault(user_id, self.snowflake())
        recipient = self.user(user_id, f"user{user_id % 10_000}")
        return _json({"id": str(channel_id), "type": 1, "recipients": [recipient]})

    def direct_messages(self, user_id: int) -> list[dict[str, Any]]:
        """The bot's direct messages to a user, oldest first."""
        channel_id = self.dm_channels.get(user_id)
        return [] if channel_id is None else self.messages_in(channel_id)

    async def _start_thread(self, request: web.Request) -> web.Response:
        """A thread started from one of the bot's channel messages; like Discord, the fake then
        sends THREAD_CREATE on the gateway before it answers."""
        if not self._authorised(request):
            return _error(401, 0, "401: Unauthorized")
        channel_id, message_id = int(request.match_info["channel"]), request.match_info["message"]
        body = request[BODY] or {}
        if channel_id != self.channel_id:
            self._violation(f"thread started in channel {channel_id}, not a text channel")
            return _error(400, 50024, "Cannot execute action on this channel type")
        if not any(m["id"] == message_id for m in self.channel_messages):
            return _error(404, 10008, "Unknown Message")
        if int(message_id) in self.threads:
            self._violation(f"a second thread started from message {message_id}")
            return _error(400, 160004, "A thread has already been created for this message")
        name = body.get("name") or ""
        if not 1 <= len(name) <= 100 or body.get("auto_archive_duration") not in (
            60, 1440, 4320, 10080,
        ):  # fmt: skip
            self._violation(f"bad thread: {body!r}")
            return _error(400, 50035, "Invalid Form Body")
        thread = {
            # Discord gives a thread started from a message that message's id
            "id": message_id,
            "type": 11,
            "guild_id": str(self.guild_id),
            "parent_id": str(channel_id),
            "owner_id": str(self.app_id),
            "name": name,
            "last_message_id": None,
            "message_count": 0,
            "member_count": 1,
            "rate_limit_per_user": 0,
            "flags": 0,
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": body["auto_archive_duration"],
                "archive_timestamp": _now_iso(),
                "locked": False,
                "create_timestamp": _now_iso(),
            },
        }
        self.threads[int(message_id)] = thread
        await self.dispatch("THREAD_CREATE", dict(thread, newly_created=True))
        return _json(thread)

    async def _typing(self, request: web.Request) -> web.Response:
        return web.Response(status=204)

    async def _attachment(self, request: web.Request) -> web.Response:
        name, data = self._attachments.get(int(request.match_info["id"]), ("", b""))
        if name != request.match_info["name"]:
            return web.Response(status=404)
        return web.Response(body=data, content_type="application/octet-stream")

    async def _unknown(self, request: web.Request) -> web.Response:
        self._violation(f"unexpected request {request.method} {request.path}")
        return _error(404, 0, "404: Not Found")

    # --- gateway ---------------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        await ws.send_str(
            json.dumps({"op": 10, "d": {"heartbeat_interval": 41250}, "s": None, "t": None})
        )
        async for msg in ws:
            data = json.loads(msg.data)
            if data["op"] == 1:
                await ws.send_str(json.dumps({"op": 11}))
            elif data["op"] == 2:
                if data["d"].get("token") != self.token:
                    await ws.close(code=4004, message=b"Authentication failed.")
                    break
                if (
                    data["d"].get("intents", 0) & MESSAGE_CONTENT
                    and not self.message_content_intent
                ):
                    await ws.close(code=4014, message=b"Disallowed intent(s).")
                    break
                self.identify = data["d"]
                self._ws, self._resumable = ws, True
                self.identifies += 1
                await self.dispatch(
                    "READY",
                    {
                        "v": 10,
                        "user": self.bot_user,
                        "session_id": "fake-session",
                        "resume_gateway_url": f"ws://127.0.0.1:{self.port}/gateway",
                        "guilds": [{"id": str(self.guild_id), "unavailable": True}],
                        "application": {"id": str(self.app_id), "flags": 0},
                        "private_channels": [],
                        "relationships": [],
                    },
                )
                await self.dispatch("GUILD_CREATE", self.guild())
                self.connected.set()
                self.ready.set()
            elif data["op"] == 6:  # RESUME after a drop
                if not self._resumable or data["d"].get("token") != self.token:
                    await ws.send_str(json.dumps({"op": 9, "d": False}))  # identify anew
                    continue
                self._ws = ws
                self.resumes += 1
                await ws.send_str(
                    json.dumps({"op": 0, "t": "RESUMED", "s": next(self._seq), "d": {}})
                )
                self.connected.set()
        return ws

    async def _until_connected(self) -> None:
        """Wait while the bot's gateway is down (and only then: waiting yields to the loop,
        which would reorder what a test sends against what the bot does)."""
        if not self.connected.is_set():
            await asyncio.wait_for(self.connected.wait(), 60)

    async def drop_gateway(self, *, resumable: bool = True) -> None:
        """Close the bot's gateway connection, as Discord does now and then: the bot comes back
        and resumes its session, or (``resumable`` False) finds it gone (op 9) and identifies
        anew. Members act again once it is back (``connected``)."""
        ws, self._ws = self._ws, None
        self.connected.clear()
        self._resumable = resumable
        if ws is not None:
            await ws.close(code=4000, message=b"Unknown error.")  # discord.py resumes

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send a gateway DISPATCH event to the connected bot."""
        assert self._ws is not None, "the bot has not identified"
        await self._ws.send_str(json.dumps({"op": 0, "t": event, "s": next(self._seq), "d": data}))

    # --- driving the bot -------------------------------------------------------------------

    def registered(self, name: str, guild: bool = True) -> dict[str, Any]:
        """The registered command called ``name`` (guild commands first, as Discord resolves)."""
        scopes = [self.guild_id, None] if guild else [None]
        for scope in scopes:
            for command in self.commands.get(scope, []):
                if command["name"] == name:
                    return command
        raise AssertionError(f"/{name} is not registered")

    def add_attachment(
        self, filename: str, data: bytes, content_type: str = "text/plain"
    ) -> dict[str, Any]:
        """Host a file the way Discord's CDN would and return its attachment object."""
        attachment_id = self.snowflake()
        self._attachments[attachment_id] = (filename, data)
        url = f"{self.base_url}/attachments/{attachment_id}/{filename}"
        return {
            "id": str(attachment_id),
            "filename": filename,
            "size": len(data),
            "url": url,
            "proxy_url": url,
            "content_type": content_type,
        }

    async def command(
        self,
        name: str,
        *,
        user_id: int,
        perms: int = MEMBER_PERMISSIONS,
        bypass_default_permissions: bool = False,
        autocomplete: str | None = None,
        dm: bool = False,
        subcommand: str | None = None,
        **options: Any,
    ) -> FakeInteraction:
        """Invoke a slash command as a member, like a Discord client would (validating options).

        ``bypass_default_permissions`` models a server that opened an admin command to everyone.
        With ``autocomplete="option"`` the interaction is the autocomplete request for that option.
        ``dm`` sends it from a direct message (only global commands exist there).
        ``subcommand`` names the subcommand of a command group (``/feeds add``).
        """
        command = self.registered(name, guild=not dm)
        required = command.get("default_member_permissions")
        if required is not None and not bypass_default_permissions and not dm:
            needed = int(required)
            if perms & needed != needed and not perms & ADMINISTRATOR:
                raise PermissionError(f"Discord does not show /{name} to this member")
        target = command
        if subcommand is not None:
            target = next(
                (
                    o
                    for o in command.get("options") or []
                    if o["name"] == subcommand and o["type"] == 1
                ),
                None,
            )
            assert target is not None, f"/{name} has no subcommand {subcommand!r}"
        schema = {o["name"]: o for o in target.get("options") or []}
        payload_options: list[dict[str, Any]] = []
        resolved: dict[str, dict[str, Any]] = {}
        for key, value in options.items():
            option = schema.get(key)
            assert option is not None, f"/{name} has no option {key!r}"
            payload_options.append(
                self._option(option, value, resolved, focused=key == autocomplete)
            )
        if autocomplete is None:
            missing = [
                o["name"] for o in schema.values() if o.get("required") and o["name"] not in options
            ]
            assert not missing, f"/{name} needs {missing}"
        if subcommand is not None:
            payload_options = [{"name": subcommand, "type": 1, "options": payload_options}]
        data: dict[str, Any] = {
            "id": command["id"],
            "name": name,
            "type": 1,
            "options": payload_options,
        }
        if not dm:
            data["guild_id"] = str(self.guild_id)
        if resolved:
            data["resolved"] = resolved
        label = f"{name} {subcommand}" if subcommand else name
        return await self._interact(4 if autocomplete else 2, label, data, user_id, perms, dm=dm)

    async def message_command(
        self,
        name: str,
        target: dict[str, Any],
        *,
        user_id: int,
        perms: int = MEMBER_PERMISSIONS,
        bypass_default_permissions: bool = False,
    ) -> FakeInteraction:
        """Choose the message command ``name`` (Apps in a message's menu) on ``target``, a
        message of the channel, as a member would."""
        command = self.registered(name)
        assert command.get("type") == 3, f"{name!r} is not a message command"
        required = command.get("default_member_permissions")
        if required is not None and not bypass_default_permissions:
            needed = int(required)
            if perms & needed != needed and not perms & ADMINISTRATOR:
                raise PermissionError(f"Discord does not show {name!r} to this member")
        data = {
            "id": command["id"],
            "name": name,
            "type": 3,
            "target_id": target["id"],
            "resolved": {"messages": {target["id"]: _public(target)}},
            "guild_id": str(self.guild_id),
        }
        return await self._interact(2, name, data, user_id, perms, dm=False)

    async def press(
        self, message: dict[str, Any], label: str, *, user_id: int, perms: int = MEMBER_PERMISSIONS
    ) -> FakeInteraction:
        """Press the button labelled ``label`` on ``message`` (one the bot sent, as it is now),
        as a member would; a disabled or missing button cannot be pressed."""
        button = next((b for b in buttons(message) if b.get("label") == label), None)
        assert button is not None, f"no button {label!r} on the message"
        assert not button.get("disabled"), f"button {label!r} is disabled"
        data = {"custom_id": button["custom_id"], "component_type": 2}
        return await self._interact(
            3, f"button {label}", data, user_id, perms, dm=False, target=message
        )

    def _option(
        self,
        option: dict[str, Any],
        value: Any,
        resolved: dict[str, dict[str, Any]],
        *,
        focused: bool,
    ) -> dict[str, Any]:
        kind = option["type"]
        out: dict[str, Any] = {"name": option["name"], "type": kind}
        if focused:
            return dict(out, value=str(value), focused=True)
        if kind == 3:
            assert isinstance(value, str)
            assert option.get("min_length", 0) <= len(value) <= option.get("max_length", 6000), (
                "length"
            )
        elif kind == 4:
            assert isinstance(value, int)
            assert option.get("min_value", -(2**53)) <= value <= option.get("max_value", 2**53), (
                "range"
            )
        elif kind == 7:  # a channel of this server, given by id
            assert value == self.channel_id, "the fake server has one channel"
            kinds = option.get("channel_types")
            assert kinds is None or 0 in kinds, "not a text channel option"
            resolved.setdefault("channels", {})[str(value)] = dict(
                self.channel(), permissions=str(ALL_PERMISSIONS)
            )
            value = str(value)
        elif kind == 11:
            resolved.setdefault("attachments", {})[value["id"]] = value
            value = value["id"]
        return dict(out, value=value)

    async def _interact(
        self,
        kind: int,
        name: str,
        data: dict[str, Any],
        user_id: int,
        perms: int,
        *,
        dm: bool,
        target: dict[str, Any] | None = None,
    ) -> FakeInteraction:
        await self._until_connected()  # a member acts while the bot is up
        inter = FakeInteraction(
            self.snowflake(),
            f"token-{self.snowflake()}",
            name,
            user_id,
            time.monotonic(),
            target=target,
        )
        self.interactions[inter.id] = inter
        self._by_token[inter.token] = inter
        payload = {
            "id": str(inter.id),
            "application_id": str(self.app_id),
            "type": kind,
            "data": data,
            "guild_id": str(self.guild_id),
            "channel_id": str(self.channel_id),
            "channel": self.channel(),
            "member": self.member(user_id, perms),
            "token": inter.token,
            "version": 1,
            "app_permissions": str(MEMBER_PERMISSIONS),
            "locale": "en-GB",
            "guild_locale": "en-GB",
            "entitlements": [],
            "authorizing_integration_owners": {"0": str(self.guild_id)},
            "context": 0,
            "attachment_size_limit": 10 * 1024 * 1024,
        }
        if target is not None:
            payload["message"] = _public(target)
        if dm:
            for key in ("guild_id", "member", "guild_locale"):
                del payload[key]
            payload["user"] = self.user(user_id, f"user{user_id % 10_000}")
            payload["channel"] = {"id": str(self.dm_channel_id), "type": 1, "recipients": []}
            payload["channel_id"] = str(self.dm_channel_id)
            payload["authorizing_integration_owners"] = {"1": str(user_id)}
            payload["context"] = 1
        await self.dispatch("INTERACTION_CREATE", payload)
        return inter

    async def message(
        self,
        content: str,
        *,
        user_id: int,
        mention_bot: bool = True,
        channel_id: int | None = None,
        reply_to: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A member posts in the channel (or the thread ``channel_id``); ``mention_bot`` adds the
        bot to the message's mentions, as a reply to the bot does by default. ``reply_to`` makes
        it a reply to that message, carried whole as Discord does."""
        await self._until_connected()
        message = {
            "id": str(self.snowflake()),
            "channel_id": str(channel_id or self.channel_id),
            "guild_id": str(self.guild_id),
            "author": self.user(user_id, f"user{user_id % 10_000}"),
            "member": {
                k: v for k, v in self.member(user_id, MEMBER_PERMISSIONS).items() if k != "user"
            },
            "content": content,
            "timestamp": _now_iso(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [self.bot_user] if mention_bot else [],
            "mention_roles": [],
            "attachments": [],
            "embeds": [],
            "pinned": False,
            "type": 0,
            "flags": 0,
        }
        if reply_to is not None:
            message["type"] = 19
            message["message_reference"] = {
                "type": 0,
                "message_id": reply_to["id"],
                "channel_id": reply_to["channel_id"],
                "guild_id": str(self.guild_id),
            }
            message["referenced_message"] = _public(reply_to)
        await self.dispatch("MESSAGE_CREATE", message)
        return message

    def thread_under(self, message: dict[str, Any]) -> dict[str, Any] | None:
        """The thread the bot started from ``message``, if any."""
        return self.threads.get(int(message["id"]))

    def messages_in(self, channel_id: int | str) -> list[dict[str, Any]]:
        """The bot's channel messages in one channel or thread, oldest first."""
        return [m for m in self.channel_messages if m["channel_id"] == str(channel_id)]

    def replies_to(self, message: dict[str, Any]) -> list[dict[str, Any]]:
        """The bot's channel messages that reply to ``message``."""
        return [
            m
            for m in self.channel_messages
            if str((m.get("message_reference") or {}).get("message_id")) == message["id"]
        ]

    async def wait_until(self, predicate: Callable[[], bool], timeout: float = 30.0) -> None:
        """Wait until ``predicate()`` holds, re-checking after every request the bot makes."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(predicate), timeout)

    def messages_sent(self) -> list[tuple[str, dict[str, Any]]]:
        """Every message payload the bot sent (responses, follow-ups, edits, channel messages)."""
        return [(f"{r.method} {r.path}", m) for r in self.requests if (m := r.message) is not None]


def _public(message: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in message.items() if not k.startswith("_")}


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    """The buttons of ``message``, row by row."""
    return [
        c
        for row in message.get("components") or []
        for c in row.get("components") or []
        if c.get("type") == 2
    ]


def _component_problems(rows: list[dict[str, Any]]) -> list[str]:
    """What Discord would reject in a message's action rows of buttons."""
    problems = []
    if len(rows) > 5:
        problems.append("more than 5 action rows")
    ids = []
    for row in rows:
        items = row.get("components") or []
        if row.get("type") != 1 or not 1 <= len(items) <= 5:
            problems.append("an action row holds 1 to 5 components")
        for item in items:
            if item.get("type") != 2:
                continue
            if len(item.get("label") or "") > 80:
                problems.append("a button label is at most 80 characters")
            if item.get("style") == 5:
                if not item.get("url") or "custom_id" in item:
                    problems.append("a link button has a url and no custom_id")
                continue
            custom_id = item.get("custom_id") or ""
            if not 1 <= len(custom_id) <= 100:
                problems.append("a button's custom_id is 1 to 100 characters")
            ids.append(custom_id)
    if len(ids) != len(set(ids)):
        problems.append("custom_ids must be unique within a message")
    return problems


def _command_problems(command: dict[str, Any]) -> list[str]:
    """What Discord would reject in a command's schema."""
    if command.get("type", 1) in (2, 3):  # a user or message command: a name, nothing more
        name = command.get("name") or ""
        if not 1 <= len(name) <= 32 or command.get("description") or command.get("options"):
            return [f"bad context menu command {name!r}"]
        return []
    problems = []
    if not NAME.match(command.get("name", "")) or command["name"] != command["name"].lower():
        problems.append(f"bad name {command.get('name')!r}")
    if not 1 <= len(command.get("description") or "") <= 100:
        problems.append(f"/{command.get('name')}: description must be 1-100 characters")
    problems += _option_problems(command.get("options") or [])
    return problems


def _option_problems(options: list[dict[str, Any]]) -> list[str]:
    """What Discord would reject in a list of options (subcommands' options included)."""
    problems = []
    if len(options) > 25:
        problems.append("more than 25 options")
    seen_optional = False
    for option in options:
        if option.get("type") == 1:
            problems += _command_problems(option)
            continue
        if not NAME.match(option.get("name", "")):
            problems.append(f"bad option name {option.get('name')!r}")
        if not 1 <= len(option.get("description") or "") <= 100:
            problems.append(f"option {option.get('name')}: description must be 1-100 characters")
        if option.get("required") and seen_optional:
            problems.append("required options must come before optional ones")
        seen_optional = seen_optional or not option.get("required")
    return problems
