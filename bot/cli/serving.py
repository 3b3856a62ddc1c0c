"""``linkage guide …`` and ``linkage contacts …``: the office's side of serving members (服务委员)
— the new member's guide's pages and the contact directory. Every change is audited."""

from __future__ import annotations

from pathlib import Path

import click

from bot.cli.support import run as _run
from bot.cli.support import with_db as _with_db
from bot.settings import Settings

ACTOR = "cli"


@click.group()
def guide() -> None:
    """The new member's guide (/guide, 新委员履职指南): its pages."""


@guide.command("list")
@click.pass_obj
def guide_list(settings: Settings) -> None:
    """Every page: its name, and per language the title, length and last edit."""
    from handlers.serving.guide import listing
    for line in _run(_with_db(settings, lambda conn, now: listing(conn))) or ["(no pages: run `linkage seed`)"]:
        click.echo(line)


@guide.command("show")
@click.argument("page")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@click.pass_obj
def guide_show(settings: Settings, page: str, lang: str) -> None:
    """A page as it is kept: its '# title' line, then the text (edit it and give it back with `edit`)."""
    from handlers.serving.guide import show
    click.echo(_run(_with_db(settings, lambda conn, now: show(conn, page, lang))), nl=False)


@guide.command("edit")
@click.argument("page")
@click.option("--file", "path", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True,
              help="A UTF-8 Markdown or text file; its first line '# Title' is the page's title.")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@click.pass_obj
def guide_edit(settings: Settings, page: str, path: Path, lang: str) -> None:
    """Replace a page's text in one language (a new name adds a page); audited. A page that would
    not fit one Telegram message (4,096 characters as Telegram counts them) is refused."""
    from handlers.serving.guide import edit
    raw = path.read_bytes()
    length = _run(_with_db(settings, lambda conn, now: edit(conn, page, raw, lang, now, actor=ACTOR)))
    click.echo(f"guide page {page} ({lang}) saved: {length} of 4096 characters")


@click.group()
def contacts() -> None:
    """The contact directory (/contacts): the liaison office, districts' liaison centres, committees' offices."""


def _entry_options(command):
    for option in reversed([
            click.option("--scope", type=click.Choice(["office", "district", "committee"])),
            click.option("--code", help="The district's or committee's code (seeds/districts.yaml, committees.yaml)."),
            click.option("--name-zh"), click.option("--name-en"), click.option("--phone"), click.option("--email"),
            click.option("--address"), click.option("--hours", help="Office hours, as members should read them."),
            click.option("--note"), click.option("--position", type=int, help="Order within its group.")]):
        command = option(command)
    return command


@contacts.command("list")
@click.pass_obj
def contacts_list(settings: Settings) -> None:
    """Every entry with its id."""
    from handlers.serving.contacts import listing
    for line in _run(_with_db(settings, lambda conn, now: listing(conn))):
        click.echo(line)


@contacts.command("add")
@_entry_options
@click.pass_obj
def contacts_add(settings: Settings, **values) -> None:
    """Add an entry (--scope, --name-zh and, but for the office, --code are needed); audited."""
    from handlers.serving.contacts import add
    contact_id = _run(_with_db(settings, lambda conn, now: add(conn, values, now, actor=ACTOR)))
    click.echo(f"contact #{contact_id} added")


@contacts.command("edit")
@click.argument("contact_id", type=int)
@_entry_options
@click.pass_obj
def contacts_edit(settings: Settings, contact_id: int, **values) -> None:
    """Change the given fields of an entry (an empty value clears an optional one); audited."""
    from handlers.serving.contacts import edit
    _run(_with_db(settings, lambda conn, now: edit(conn, contact_id, values, now, actor=ACTOR)))
    click.echo(f"contact #{contact_id} changed")


@contacts.command("delete")
@click.argument("contact_id", type=int)
@click.pass_obj
def contacts_delete(settings: Settings, contact_id: int) -> None:
    """Remove an entry; audited."""
    from handlers.serving.contacts import delete
    _run(_with_db(settings, lambda conn, now: delete(conn, contact_id, now, actor=ACTOR)))
    click.echo(f"contact #{contact_id} deleted")


@contacts.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_obj
def contacts_import(settings: Settings, path: Path) -> None:
    """Entries from a YAML file (a list under 'contacts:', fields as for `add`): each is added or
    updates the entry of the same scope, code and Chinese name. A bad entry imports nothing."""
    import yaml

    from handlers.core.errors import AdminError
    from handlers.serving.contacts import import_rows
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise click.ClickException(f"{path.name} is not a UTF-8 YAML file: {str(exc).splitlines()[0]}") from None
    rows = data.get("contacts") if isinstance(data, dict) else data

    async def work(conn, now):
        if rows is None:
            raise AdminError("the file holds no entries: a YAML list under 'contacts:'")
        return await import_rows(conn, rows, now, actor=ACTOR)
    added, updated = _run(_with_db(settings, work))
    click.echo(f"contacts imported: {added} added, {updated} updated")
