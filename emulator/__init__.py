"""A Telegram Bot API emulator for end-to-end tests and benchmarks."""

from emulator.limits import RateLimits
from emulator.server import WAIT_TIMEOUT, ApiCall, ApiError, BotApiEmulator, Chat

__all__ = ["WAIT_TIMEOUT", "ApiCall", "ApiError", "BotApiEmulator", "Chat", "RateLimits"]
