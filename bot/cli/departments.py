"""``linkage department`` and ``linkage template``: the office keeps the departments (承办单位)
reports are transferred to and the reply templates liaisons pick (handlers/office/departments.py)."""

from __future__ import annotations

import click

from bot.cli.support import run as _run
from bot.cli.support import with_db as _with_db
from bot.settings import Settings


@click.group()
def department() -> None:
    """Departments (承办单位) a report is transferred to (转办) and hears back from (反馈)."""


@department.command("list")
@click.option("--all", "include_retired", is_flag=True, help="Also the retired ones.")
@click.pass_obj
def department_list(settings: Settings, include_retired: bool) -> None:
    from handlers.office.departments import list_departments
    rows = _run(_with_db(settings, lambda conn, now: list_departments(conn, include_retired=include_retired)))
    for row in rows:
        click.echo(f"{row.code}: {row.name_zh} / {row.name_en} · {row.district_code or 'city'}"
                   + ("" if row.active else " [retired]"))
    click.echo(f"{len(rows)} department(s)")


@department.command("add")
@click.argument("code")
@click.option("--name-zh", required=True, help="e.g. 市交通运输委")
@click.option("--name-en", required=True)
@click.option("--district", help="A district's department (a code such as hongqiao); default: the city's.")
@click.pass_obj
def department_add(settings: Settings, code: str, name_zh: str, name_en: str, district: str | None) -> None:
    from handlers.office.departments import add_department
    _run(_with_db(settings, lambda conn, now: add_department(conn, code, name_zh, name_en, now, district=district)))
    click.echo(f"department {code} added")


@department.command("rename")
@click.argument("code")
@click.option("--name-zh", required=True)
@click.option("--name-en", required=True)
@click.pass_obj
def department_rename(settings: Settings, code: str, name_zh: str, name_en: str) -> None:
    """A new name; outcome chains already recorded show it too."""
    from handlers.office.departments import rename_department
    _run(_with_db(settings, lambda conn, now: rename_department(conn, code, name_zh, name_en, now)))
    click.echo(f"department {code} is now {name_zh} / {name_en}")


@department.command("retire")
@click.argument("code")
@click.pass_obj
def department_retire(settings: Settings, code: str) -> None:
    """No longer offered to liaisons; the chains that name it keep it."""
    from handlers.office.departments import retire_department
    retired = _run(_with_db(settings, lambda conn, now: retire_department(conn, code, now)))
    click.echo(f"department {code} retired" if retired else f"department {code} was already retired")


@click.group()
def template() -> None:
    """Reply templates liaisons pick when they reply or record an outcome ({code}: the report's code)."""


@template.command("list")
@click.pass_obj
def template_list(settings: Settings) -> None:
    from handlers.office.departments import list_templates
    rows = _run(_with_db(settings, lambda conn, now: list_templates(conn)))
    for row in rows:
        click.echo(f"{row.kind} · {row.topic_code or 'every topic'}: {row.text}")
    click.echo(f"{len(rows)} template(s)")


@template.command("set")
@click.argument("kind")
@click.argument("text")
@click.option("--topic", help="Only for this topic (code or name); default: every topic.")
@click.pass_obj
def template_set(settings: Settings, kind: str, text: str, topic: str | None) -> None:
    """Set the template of KIND (reply, adopted, reported_up, instructed, transferred, feedback,
    answered, not_adopted) for a topic or every topic, replacing the one there was."""
    from handlers.office.departments import set_template
    added = _run(_with_db(settings, lambda conn, now: set_template(conn, kind, text, now, topic=topic)))
    click.echo(f"template {kind} · {topic or 'every topic'} " + ("added" if added else "replaced"))


@template.command("delete")
@click.argument("kind")
@click.option("--topic", help="The topic's own template (code or name); default: the one for every topic.")
@click.pass_obj
def template_delete(settings: Settings, kind: str, topic: str | None) -> None:
    """Stop offering the template of KIND for a topic or every topic (`linkage seed` does not bring
    it back; `linkage template set` makes a new one)."""
    from handlers.office.departments import delete_template
    deleted = _run(_with_db(settings, lambda conn, now: delete_template(conn, kind, now, topic=topic)))
    click.echo(f"template {kind} · {topic or 'every topic'} " + ("deleted" if deleted else "did not exist"))
