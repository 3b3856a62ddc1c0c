"""/find for liaisons and the office, and `linkage report search`: only what the asker may see,
never an author, wildcards in the words matched as themselves."""

from __future__ import annotations

import asyncio

from click.testing import CliRunner

from bot.cli import main
from handlers.core.i18n import translator

STACK_TIER = "fast"
zh = translator("zh")
TIMEOUT = 30


async def _find(stack, user, words: str) -> str:
    await stack.sb.send(user, f"/find {words}")
    return (await stack.sb.wait_for(user, None, TIMEOUT)).text


async def _reports(stack):
    pilot = await stack.pilot()
    world = stack.world
    city = await world.submit(pilot.city, topic="smart_parking", area="city", observation="夜间停车难，车位占用100%。",
                              suggestion="共享停车。", privacy="anonymous")
    district = await world.submit(pilot.hongqiao, topic="education", area="district",
                                  observation="学校门口停车混乱，接送_拥堵。", suggestion="错峰接送。")
    await stack.settle()
    return pilot, city, district


async def test_find_shows_a_liaison_only_their_reports_and_an_admin_all(stack):
    pilot, city, district = await _reports(stack)
    mine = await _find(stack, pilot.topic_liaison, "停车")
    assert city in mine and district not in mine
    assert "王晓明" not in mine  # the anonymous author is never named
    assert zh("waiting to be claimed") in mine
    port = await _find(stack, pilot.port_liaison, "停车")
    assert district in port and city not in port
    everything = await _find(stack, pilot.office, "停车")
    assert city in everything and district in everything
    assert city in await _find(stack, pilot.office, city.lower())  # the code, as typed
    nothing = await _find(stack, pilot.topic_liaison, "养老")
    assert nothing == zh("No report you may see matches {words}.", words="养老")


async def test_find_takes_wildcards_as_themselves(stack):
    pilot, city, district = await _reports(stack)
    percent = await _find(stack, pilot.office, "%")
    assert city in percent and district not in percent
    underscore = await _find(stack, pilot.office, "送_拥")
    assert district in underscore and city not in underscore
    assert await _find(stack, pilot.office, "停_难") == zh("No report you may see matches {words}.", words="停_难")


async def test_a_member_is_refused_politely(stack):
    pilot, city, _ = await _reports(stack)
    await stack.sb.send(pilot.city, f"/find {city}")
    answer = await stack.sb.wait_for(pilot.city, None, TIMEOUT)
    assert answer.text == zh("Sorry, /find is for liaisons and the city office. /my shows your own reports.")


async def test_report_search_on_the_command_line(stack):
    _, city, district = await _reports(stack)
    database = stack.app.settings.database

    async def linkage(*args):  # in a thread: the command runs its own event loop
        result = await asyncio.to_thread(CliRunner().invoke, main, ["--database", database, "report", "search",
                                                                     *args], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output
    both = await linkage("停车")
    assert city in both and district in both and "王晓明" not in both and "赵丽娟" not in both
    only = await linkage("停车", "--district", "hongqiao")
    assert district in only and city not in only and "1 report(s)" in only
    assert "0 report(s)" in await linkage("停车", "--status", "claimed")
    percent = await linkage("100%")
    assert city in percent and district not in percent


async def test_find_on_postgres(pg_stack):
    await test_find_takes_wildcards_as_themselves(pg_stack)
