"""Serving members' seeds (handlers/serving/): the guide's first version (guide.yaml: pages
missing by page and language are added, the office's texts kept) and the sample contact
directory (contacts.yaml: fictional entries, loaded into an empty directory only)."""

from __future__ import annotations

from pathlib import Path

import yaml

from handlers.serving import contacts, guide
from storage import serving as store


def _yaml(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {}


def guide_rows(seed_dir: Path) -> list[dict]:
    return guide.seed_rows(_yaml(seed_dir / "guide.yaml"))


def contact_rows(seed_dir: Path) -> list:
    return _yaml(seed_dir / "contacts.yaml").get("contacts") or []


async def load(conn, now, seed_dir: Path) -> dict[str, int]:
    pages, entries = guide_rows(seed_dir), contact_rows(seed_dir)
    await store.add_missing_guide_pages(conn, pages, now)
    await contacts.seed(conn, entries, now)
    return {"guide_pages": len(pages), "contacts": await store.contact_count(conn)}
