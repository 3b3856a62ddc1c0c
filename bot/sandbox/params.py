"""What every Bot API method gets: its parameters (``Params``) and the table of methods by name
(``METHODS``, filled by ``@api`` in the method modules)."""

from __future__ import annotations

import functools
import json

from aiohttp import web

from .faults import bad

MB = 1024 * 1024
dumps = functools.partial(json.dumps, ensure_ascii=False)
METHODS: dict[str, tuple[str, callable]] = {}  # lower-case name -> (name, handler); Telegram ignores case


def api(name: str):
    def register(fn):
        METHODS[name.lower()] = (name, fn)
        return fn
    return register


class Params:
    """Bot API parameters from the query string and a JSON, urlencoded or multipart body.

    Form encodings carry every value as a string (objects JSON-encoded), so getters coerce.
    """

    def __init__(self, values: dict, files: dict[str, tuple[str, bytes, str]]) -> None:
        self.values, self.files = values, files

    @classmethod
    async def read(cls, request: web.Request) -> Params:
        values: dict = dict(request.query)
        files: dict[str, tuple[str, bytes, str]] = {}
        if request.body_exists:
            if request.content_type == "application/json":
                try:
                    body = await request.json()
                except ValueError:
                    raise bad("can't parse JSON object") from None
                if not isinstance(body, dict):
                    raise bad("can't parse JSON object")
                values.update(body)
            elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
                for key, value in (await request.post()).items():
                    if isinstance(value, web.FileField):
                        files[key] = (value.filename, value.file.read(), value.content_type)
                    else:
                        values[key] = value if isinstance(value, str) else bytes(value).decode()
        return cls(values, files)

    def _get(self, name: str, required: bool):
        value = self.values.get(name)
        if (value is None or value == "") and required:
            raise bad(f"{name} is empty")
        return None if value == "" else value

    def string(self, name: str, required: bool = False) -> str | None:
        value = self._get(name, required)
        return None if value is None else str(value)

    def integer(self, name: str, default: int | None = None, required: bool = False) -> int | None:
        value = self._get(name, required)
        if value is None:
            return default
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad(f"invalid {name} specified") from None

    def number(self, name: str, default: float | None = None, required: bool = False) -> float | None:
        value = self._get(name, required)
        if value is None:
            return default
        try:
            return float(value)
        except (TypeError, ValueError):
            raise bad(f"invalid {name} specified") from None

    def flag(self, name: str) -> bool:
        return self.values.get(name) in (True, 1, "true", "True", "1")

    def obj(self, name: str, required: bool = False):
        value = self._get(name, required)
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise bad(f"can't parse {name} JSON object") from None
        return value

    def chat_id(self, name: str = "chat_id") -> int | str:
        value = self._get(name, True)
        if isinstance(value, str) and value.startswith("@"):
            return value
        return self.integer(name)

    def input_file(self, name: str) -> tuple[str, bytes, str] | str | None:
        """An upload (filename, bytes, content type) or a file_id/URL string."""
        if name in self.files:  # PTB names the part after the parameter
            return self.files[name]
        value = self.string(name)
        if value and value.startswith("attach://"):  # aiogram refers to a separately named part
            if value[9:] not in self.files:
                raise bad(f"can't find attached file \"{value[9:]}\"")
            return self.files[value[9:]]
        return value

    def summary(self) -> dict:
        files = {k: f"<file {name!r}, {len(data)} bytes>" for k, (name, data, _) in self.files.items()}
        return {**self.values, **files}

