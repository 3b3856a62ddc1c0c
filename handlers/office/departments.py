"""Departments (承办单位) and reply templates, kept by the office: the departments a report is
transferred to (转办) and hears back from (反馈), and the texts liaisons may pick when they reply
or record an outcome. Every change is written to the audit log."""

from __future__ import annotations

import re

from handlers.core.errors import AdminError
from handlers.office.lookups import Reference, clean, resolve_codes
from handlers.reports.chain import OUTCOME_LABELS
from storage import audit
from storage import departments as department_store
from storage import outcomes as outcome_store

CODE = re.compile(r"^[a-z][a-z0-9_]{1,47}$")
TEMPLATE_KINDS = ("reply", *(kind for kind in OUTCOME_LABELS if kind != "duplicate"))


async def _find(conn, code: str):
    department = await department_store.by_code(conn, clean(code))
    if department is None:
        raise AdminError("no department with the code '{code}' (see `linkage department list --all`)",
                         code=clean(code))
    return department


def _names(name_zh: str, name_en: str) -> tuple[str, str]:
    name_zh, name_en = clean(name_zh), clean(name_en)
    if not name_zh or not name_en or len(name_zh) > 64 or len(name_en) > 128:
        raise AdminError("a department needs a Chinese name (up to 64 characters) and an English one (up to 128)")
    return name_zh, name_en


async def list_departments(conn, *, include_retired: bool = False) -> list:
    return await department_store.listed(conn, active_only=not include_retired)


async def add_department(conn, code: str, name_zh: str, name_en: str, now, *, district: str | None = None,
                         actor: str = "cli") -> int:
    code = clean(code)
    if not CODE.match(code):
        raise AdminError("a department code is lowercase letters, digits and _ (e.g. city_transport), not "
                         "'{code}'", code=code)
    if await department_store.by_code(conn, code) is not None:
        raise AdminError("the department code '{code}' is taken (rename it, or retire it and pick another "
                         "code)", code=code)
    name_zh, name_en = _names(name_zh, name_en)
    district_code = (await resolve_codes(await Reference.load(conn), district=district))["district"]
    department_id = await department_store.add(conn, now, code=code, name_zh=name_zh, name_en=name_en,
                                               district_code=district_code)
    await audit.record(conn, actor, "department.add", {"code": code, "name_zh": name_zh, "name_en": name_en,
                                                       "district": district_code}, now)
    return department_id


async def rename_department(conn, code: str, name_zh: str, name_en: str, now, *, actor: str = "cli") -> None:
    """A new name (an institutional reform renames a bureau): chains already recorded show it too."""
    department = await _find(conn, code)
    name_zh, name_en = _names(name_zh, name_en)
    await department_store.change(conn, department.id, name_zh=name_zh, name_en=name_en)
    await audit.record(conn, actor, "department.rename", {"code": department.code, "from": department.name_zh,
                                                          "to": name_zh, "name_en": name_en}, now)


async def retire_department(conn, code: str, now, *, actor: str = "cli") -> bool:
    """No longer offered to liaisons; kept for the chains that name it. False: it already was."""
    department = await _find(conn, code)
    if not department.active:
        return False
    await department_store.change(conn, department.id, active=False)
    await audit.record(conn, actor, "department.retire", {"code": department.code}, now)
    return True


# --- reply templates ----------------------------------------------------------------------------

async def list_templates(conn) -> list:
    return await outcome_store.all_templates(conn)


async def set_template(conn, kind: str, text: str, now, *, topic: str | None = None, actor: str = "cli") -> bool:
    """The template for a kind (an outcome, or "reply") and a topic (none: every topic); the text
    may hold {code}. True: added, False: replaced."""
    if kind not in TEMPLATE_KINDS:
        raise AdminError("unknown template kind '{kind}': one of {template_kinds}",
                         kind=kind, template_kinds=", ".join(TEMPLATE_KINDS))
    text = clean(text)
    if not text or len(text) > 1000:
        raise AdminError("a template needs a text of up to 1000 characters")
    topic_code = (await resolve_codes(await Reference.load(conn), topic=topic))["topic"]
    added = await outcome_store.set_template(conn, kind, topic_code, text, now)
    await audit.record(conn, actor, "template.set", {"kind": kind, "topic": topic_code, "text": text}, now)
    return added


async def delete_template(conn, kind: str, now, *, topic: str | None = None, actor: str = "cli") -> bool:
    """Liaisons are no longer offered the template of this kind and topic (none: the general one).
    False: there was none."""
    if kind not in TEMPLATE_KINDS:
        raise AdminError("unknown template kind '{kind}': one of {template_kinds}",
                         kind=kind, template_kinds=", ".join(TEMPLATE_KINDS))
    topic_code = (await resolve_codes(await Reference.load(conn), topic=topic))["topic"]
    deleted = await outcome_store.delete_template(conn, kind, topic_code, now)
    if deleted:
        await audit.record(conn, actor, "template.delete", {"kind": kind, "topic": topic_code}, now)
    return deleted
