"""Sandbox Telegram Bot API server for end-to-end tests, the offline demo and benchmarks."""

from .client import SandboxClient, SandboxError, SbChat, SbMessage, SbUser
from .faults import ApiError, Fault
from .server import SandboxServer
from .state import Limits

__all__ = ["SandboxServer", "Limits", "Fault", "ApiError", "SandboxClient", "SandboxError", "SbUser", "SbChat",
           "SbMessage"]
