"""Files: the images and files the sandbox stores for bots and users, ``getFile`` and the download URL."""

from __future__ import annotations

import base64
import mimetypes
import struct
import zlib

from aiohttp import web

from .faults import bad
from .params import MB, Params, api
from .state import TOKEN_RE, BotState


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of a PNG, GIF or JPEG, or None when it is not a readable image."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        return struct.unpack(">II", data[16:24])
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        return struct.unpack("<HH", data[6:10])
    if data[:2] == b"\xff\xd8":
        i = 2
        while i + 9 < len(data) and data[i] == 0xFF:
            marker = data[i + 1]
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                height, width = struct.unpack(">HH", data[i + 5:i + 9])
                return width, height
            i += 2 + struct.unpack(">H", data[i + 2:i + 4])[0]
    return None


def make_png(width: int, height: int, rgb: tuple[int, int, int] = (70, 130, 180)) -> bytes:
    """A real solid-colour PNG, so bots can open the photos that sandbox users send."""
    def chunk(tag: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + tag + payload + struct.pack(">I", zlib.crc32(tag + payload))
    raw = (b"\x00" + bytes(rgb) * width) * height
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


class FileMethods:
    """Mixed into ``SandboxServer``: files kept in its world."""

    async def _handle_file(self, request: web.Request) -> web.Response:
        rec = self.world.paths.get(request.match_info["path"])
        if rec is None or not TOKEN_RE.fullmatch(request.match_info["token"]):
            return web.Response(status=404, text="Not Found")
        return web.Response(body=rec.content(), content_type=rec.obj.get("mime_type", "application/octet-stream"))

    def photo_sizes(self, width: int, height: int, data: bytes | None, size: int) -> list[dict]:
        """PhotoSize list like Telegram's thumbnails: up to 90/320/800 px and the photo (≤1280 px)."""
        longest = max(width, height)
        sides = [s for s in (90, 320, 800) if s < longest] + [min(longest, 1280)]
        group: list[dict] = []
        for side in sides:
            scale = side / longest
            approx = size if side == sides[-1] else max(100, int(size * scale * scale))
            rec = self.world.add_file("photo", approx, {"width": max(1, round(width * scale)),
                                                        "height": max(1, round(height * scale))}, data, "jpg")
            rec.group = group
            group.append(rec.obj)
        return group

    def new_file(self, kind: str, filename: str | None, data: bytes | None, size: int, extra: dict) -> dict:
        ext = (filename or "").rpartition(".")[2] if filename and "." in filename else \
            {"voice": "oga", "video": "mp4", "sticker": "webp"}.get(kind, "bin")
        obj = {"document": {"file_name": filename or "file.bin"},
               "voice": {"duration": 1, "mime_type": "audio/ogg"},
               "video": {"width": 640, "height": 360, "duration": 1, "mime_type": "video/mp4"},
               "sticker": {"type": "regular", "width": 512, "height": 512, "is_animated": False, "is_video": False},
               }[kind]
        if kind == "document":
            obj["mime_type"] = mimetypes.guess_type(filename or "")[0] or "application/octet-stream"
        obj.update({k: v for k, v in extra.items() if v is not None})
        return self.world.add_file(kind, size, obj, data, ext).obj

    @api("getFile")
    def get_file(self, bot: BotState, p: Params):
        rec = self.world.files.get(p.string("file_id", required=True))
        if rec is None:
            raise bad("invalid file_id")
        if rec.size > 20 * MB:
            raise bad("file is too big")
        return {"file_id": rec.file_id, "file_unique_id": rec.unique_id, "file_size": rec.size, "file_path": rec.path}

    def user_file(self, kind: str, spec: dict) -> dict | list[dict]:
        """Media a sandbox user sends: real bytes from ``content_b64``, a generated PNG, or filler of ``file_size``."""
        data = base64.b64decode(spec["content_b64"]) if spec.get("content_b64") else None
        if kind == "photo":
            width, height = (data and image_size(data)) or (spec.get("width", 1280), spec.get("height", 960))
            if data is None and not spec.get("file_size"):
                data = make_png(width, height)
            return self.photo_sizes(width, height, data, spec.get("file_size") or len(data))
        size = spec.get("file_size") or (len(data) if data is not None else 1024)
        extra = {k: v for k, v in spec.items() if k not in ("content_b64", "file_size", "file_name")}
        return self.new_file(kind, spec.get("file_name"), data, size, extra)
