"""The office's commands beyond the everyday ones in ``commands``: liaisons removed, bind keys
listed and revoked, routing rules edited and reordered, the roster checked, a member edited,
bulk invites and who has joined. ``commands`` adds each to its group (``liaison``, ``group``,
``route``, ``member``)."""

from __future__ import annotations

from pathlib import Path

import click

from bot.cli.support import refusals_shown, run
from bot.cli.support import with_db as _with_db
from bot.settings import Settings

ANY = "any"  # `linkage route edit 3 --district any`: the rule no longer asks for a district


@click.command("remove")
@click.argument("member_ref")
@click.argument("target_name")
@click.pass_obj
def liaison_remove(settings: Settings, member_ref: str, target_name: str) -> None:
    """MEMBER no longer acts on TARGET's cards."""
    from handlers.office.liaisons import remove_liaison
    removed = run(_with_db(settings, lambda conn, now: remove_liaison(conn, member_ref, target_name, now)))
    click.echo(f"{member_ref} is no longer a liaison of {target_name}" if removed
               else f"{member_ref} was not a liaison of {target_name}: nothing changed")


@click.command("list")
@click.argument("target_name")
@click.pass_obj
def liaison_list(settings: Settings, target_name: str) -> None:
    """TARGET's liaisons."""
    from handlers.office.liaisons import liaisons_of
    rows = run(_with_db(settings, lambda conn, now: liaisons_of(conn, target_name)))
    for m in rows:
        click.echo(f"{m.roster_id} {m.name}")
    if not rows:
        click.echo(f"{target_name} has no liaisons")


@click.command("keys")
@click.option("--target", help="Only this target's keys.")
@click.option("--state", type=click.Choice(["open", "used", "revoked", "expired"]))
@click.pass_obj
def group_keys(settings: Settings, target: str | None, state: str | None) -> None:
    """The bind keys issued, newest first, each by its id (never the key itself)."""
    from handlers.office.keys import list_keys
    views = run(_with_db(settings, lambda conn, now: list_keys(conn, now, target=target, state=state)))
    for view in views:
        click.echo(str(view))
    if not views:
        click.echo("no bind keys")


@click.command("revoke")
@click.argument("key")
@click.pass_obj
def group_revoke(settings: Settings, key: str) -> None:
    """Withdraw an unused bind KEY (its id from `linkage group keys`, or the key itself)."""
    from handlers.office.keys import revoke_bind_key
    view = run(_with_db(settings, lambda conn, now: revoke_bind_key(conn, key, now)))
    click.echo(f"key {view.id} of {view.target} revoked: /bind with it is refused from now on")


def _condition(value: str | None):
    from handlers.office.rules import KEEP
    if value is None:
        return KEEP
    return None if value.strip().lower() == ANY else value


@click.command("edit")
@click.argument("rule_id", type=int)
@click.option("--targets", help="Replace the targets: names separated by commas.")
@click.option("--area", help="city, district, street, or any.")
@click.option("--topic")
@click.option("--district")
@click.option("--street")
@click.option("--sector")
@click.option("--tag")
@click.option("--stop/--continue", "stop", default=None, help="Stop at this rule when it added a target, or not.")
@click.option("--watch/--no-watch", "watch", default=None)
@click.option("--note", help="A note for the office (empty: none).")
@click.pass_obj
def route_edit(settings: Settings, rule_id: int, targets: str | None, stop, watch, note, **conditions) -> None:
    """Change a rule: what is given replaces the old value (a condition `any` drops it), the rest
    stays; the rule is checked again like a new one."""
    from handlers.office.rules import KEEP, edit_rule
    changes = {k: _condition(v) for k, v in conditions.items()}
    if targets is not None:
        changes["targets"] = [n for n in targets.split(",") if n.strip()]
    changes["stop"] = KEEP if stop is None else stop
    changes["watch"] = KEEP if watch is None else watch
    changes["note"] = KEEP if note is None else note
    rule = run(_with_db(settings, lambda conn, now: edit_rule(conn, rule_id, now, **changes)))
    click.echo(str(rule))


@click.command("move")
@click.argument("rule_id", type=int)
@click.option("--up", is_flag=True, help="One place earlier.")
@click.option("--down", is_flag=True, help="One place later.")
@click.option("--to", "to", type=int, help="To this place in the table (1 = first).")
@click.pass_obj
def route_move(settings: Settings, rule_id: int, up: bool, down: bool, to: int | None) -> None:
    """Move a rule in the table (then numbered 10, 20, 30 … in its new order); prints the table."""
    from handlers.office.rules import move_rule
    table = run(_with_db(settings, lambda conn, now: move_rule(conn, rule_id, now, up=up, down=down, to=to)))
    for rule in table:
        click.echo(str(rule))


@click.command("edit")
@click.argument("member_ref")
@click.option("--name")
@click.option("--level", type=click.Choice(["city", "district"]))
@click.option("--district", help="A code or name (empty: none).")
@click.option("--street")
@click.option("--sector")
@click.option("--committee")
@click.option("--role", help="member, liaison, staff, admin or district_admin.")
@click.option("--language", type=click.Choice(["zh", "en"]))
@click.option("--active/--inactive", "active", default=None, help="An inactive member gets nothing and cannot join.")
@click.pass_obj
def member_edit(settings: Settings, member_ref: str, active, **fields) -> None:
    """Change one member's roster entry (checked like a roster row; the Telegram binding stays)."""
    from handlers.office.member_edit import KEEP, edit_member
    changes = {k: v for k, v in fields.items() if v is not None}
    changed = run(_with_db(settings, lambda conn, now: edit_member(
        conn, member_ref, now, active=KEEP if active is None else active, **changes)))
    click.echo(f"{member_ref}: changed {', '.join(changed)}" if changed else f"{member_ref}: nothing changed")


def _filters(district, level, sector, committee, members):
    from handlers.office.invites import Filters
    return Filters(district=district, level=level, sector=sector, committee=committee,
                   roster_ids=tuple(m for m in (members or "").split(",") if m.strip()))


@click.command("list")
@click.option("--district")
@click.option("--level", type=click.Choice(["city", "district"]))
@click.option("--sector")
@click.option("--committee")
@click.option("--joined/--not-joined", "joined", default=None, help="Only those who joined, or only those who did not.")
@click.pass_obj
def member_list(settings: Settings, district, level, sector, committee, joined) -> None:
    """Active members with whether they joined, else their newest invite; then the counts."""
    from handlers.office.invites import joined_status
    rows = run(_with_db(settings, lambda conn, now: joined_status(
        conn, now, filters=_filters(district, level, sector, committee, None), joined=joined)))
    for r in rows:
        click.echo(f"{r.roster_id} {r.name} {r.district or '-'}: {r.state}")
    states = {}
    for r in rows:
        states[r.state] = states.get(r.state, 0) + 1
    click.echo(f"{len(rows)} members: " + (", ".join(f"{k} {v}" for k, v in sorted(states.items())) or "none"))


def bulk_invite(settings: Settings, out: Path | None, **filters) -> None:
    """`linkage invite --all`: a link for every active member not joined yet (of the filters)."""
    from handlers.office.invites import bulk_invites, invites_csv
    if out is not None and out.suffix.lower() != ".csv":
        raise click.ClickException(f"--out {out.name}: the invites are written as .csv")
    rows = run(_with_db(settings, lambda conn, now: bulk_invites(
        conn, now, days=settings.invite_days, bot_username=settings.bot_username, filters=_filters(**filters))))
    if out is not None:
        with refusals_shown():
            out.write_bytes(invites_csv(rows))
        click.echo(f"{len(rows)} invite links written to {out} (valid {settings.invite_days} days, once each)")
        return
    for r in rows:
        click.echo(f"{r.roster_id} {r.name}: {r.link}")
    click.echo(f"{len(rows)} invite links (valid {settings.invite_days} days, once each)")
