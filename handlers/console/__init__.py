"""The office's web console, as far as the chat is concerned: ``/console`` sends an office admin
(or a district office's admin, or a committee's staff) a one-time sign-in link. The console itself
is a door like the command line (bot/console/); its sign-in and sessions are signin.py."""

from handlers.console import signin
from handlers.core.context import Ctx
from handlers.core.errors import AdminError
from handlers.core.feature import Feature
from handlers.core.i18n import N_
from handlers.core.roles import uses_console


async def console_command(ctx: Ctx) -> None:
    """/console: a one-time sign-in link for the office's web console."""
    if not uses_console(ctx.member):
        await ctx.reply(ctx.t("Only the office's, district CPPCC and committee staff can use the web console."))
        return
    try:
        url = await signin.login_link(ctx.conn, ctx.member, ctx.now, ctx.config,
                                      actor=f"member:{ctx.member.id}")
    except AdminError:  # the role changed between the check and now: refused like anyone else
        await ctx.reply(ctx.t("Only the office's, district CPPCC and committee staff can use the web console."))
        return
    await ctx.reply(ctx.t("Your sign-in link to the web console, valid for {minutes} minutes and "
                          "only once (do not pass it on):\n{url}", minutes=ctx.config.console_link_minutes, url=url))


FEATURE = Feature(
    name="console",
    commands={"console": console_command},
    menu=[("console", N_("Open the web console"), uses_console)],
    help=[(uses_console, N_("/console — a one-time sign-in link to the web console (reports, statistics, exports, "
                           "the audit log)"))],
)
