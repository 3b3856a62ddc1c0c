"""``linkage demo``: the whole product offline. A fresh SQLite database, the seeds, the sandbox
Bot API server and the real bot over HTTP, then a scripted scenario with a transcript of who
said what and where each item went."""

from __future__ import annotations

import asyncio
import shutil
import signal
import time
from pathlib import Path

from aiohttp import web

from bot import logs
from bot.app import LinkageApp
from bot.sandbox import Limits, SandboxClient, SandboxServer
from bot.demo.channels_scene import channels_scene
from bot.demo.scenario import World, build_pilot, consultation_scene
from bot.settings import Settings
from seeds.loader import load_seeds

DEMO_TOKEN = "7000000001:linkage-demo"


class Transcript:
    """Follows the sandbox's event log and prints each message, edit and button press."""

    def __init__(self, sb: SandboxClient, app: LinkageApp):
        self.sb, self.app = sb, app
        self.people: dict[int, str] = {}  # user id -> first name, learnt from their messages
        self.seq = 0
        self.lines = 0

    async def follow(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            for event in await self.sb.events(self.seq, timeout=0.5):
                self.seq = event["seq"]
                self.show(event)

    def show(self, event: dict) -> None:
        kind = event["type"]
        if kind in ("message", "edited"):
            message = event["message"]
            text = (message.get("text") or f"[{message.get('kind')}]").strip()
            first, *rest = text.split("\n")
            body = first if len(first) <= 90 else first[:88] + "…"
            if rest:
                body += f"  (+{len(rest)} lines)"
            chat = message["raw"]["chat"]
            where = chat.get("title") or chat.get("first_name") or str(chat["id"])
            if message["from_bot"]:
                arrow = "✎ edits card in" if kind == "edited" else "→"
                line = f"  bot {arrow} {where}: {body}"
            else:
                who = message["from"].get("first_name", "?")
                self.people[message["from"]["id"]] = who
                line = f"  {who}" + (f" in {where}" if where != who else "") + f": {body}"
            print(line, flush=True)
        elif kind == "callback":
            print(f"  {self.people.get(event['user_id'], event['user_id'])} presses [{event['data']}]", flush=True)
        elif kind == "callback_answer" and event.get("text"):
            print(f"    ↳ bot answers the press: {event['text']}", flush=True)

    async def settle(self, seconds: float = 1.5) -> None:
        """Let the bot finish sending and the transcript catch up before the next scene: until every
        update is handled, every message sent and every event shown, or ``seconds`` have passed (at
        Telegram's own pace a scene's last cards may still be on their way; they print meanwhile)."""
        deadline = time.monotonic() + seconds
        await self.app.dispatcher.drain()
        await self.app.sender.drain(timeout=max(0.0, deadline - time.monotonic()))
        while time.monotonic() < deadline and await self.sb.events(self.seq, timeout=0):
            await asyncio.sleep(0.05)  # the follower prints them


def scene(title: str) -> None:
    print(f"\n== {title} ==", flush=True)


async def run_demo(workdir: Path, *, keep: bool = False, framework: str = "aiogram", pace: float = 1.0) -> int:
    """``pace``: Telegram's allowances times this, on both sides (a scripted member answers every
    prompt at once, so at Telegram's own pace of one message a second per chat each step waits)."""
    workdir.mkdir(parents=True, exist_ok=True)
    database, log_file = workdir / "linkage.db", workdir / "linkage.log"
    for stale in workdir.glob("linkage.db*"):
        stale.unlink()
    logs.setup("INFO", str(log_file))

    server = SandboxServer(limits=Limits(scale=pace))
    base = await server.start()
    settings = Settings(bot_token=DEMO_TOKEN, api_base=base, database=str(database), poll_timeout=2,
                        framework=framework, charts_dir=str(workdir / "charts"), _env_file=None,
                        rate_global_per_second=30 * pace, rate_per_chat_per_second=1 * pace,
                        rate_per_group_per_minute=20 * pace, user_messages_per_minute=round(20 * pace),
                        quiet_hours="")  # the demo runs at any hour, on a clock it moves
    app = LinkageApp(settings)
    await app.db.ensure_schema()
    counts = await load_seeds(app.db, app.clock.now())
    await app.start()
    sb = SandboxClient(base, DEMO_TOKEN)
    world = World(sb, app.db, app.clock.now, bot_username=app.me["username"])
    transcript = Transcript(sb, app)
    stop = asyncio.Event()
    follower = asyncio.create_task(transcript.follow(stop))
    print(f"Linkage demo — sandbox Bot API at {base}, bot @{app.me['username']}, framework {framework}")
    print("Seeds: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    try:
        pilot = await play(world, transcript)
        await app.sender.drain(timeout=60)
        await transcript.settle(2)
        await play_week(app, world, pilot, transcript)
        await play_points(app, world, pilot, transcript)
        await play_research(app, world, pilot, transcript)
        await play_oversight(app, world, pilot, transcript)
        scene("18. 栏目: an item posted to 政协动态 reaches members at once, one opens it in full; a Hongqiao member "
              "takes the channel in the digest, where a feed entry of the CPPCC website (served locally) lands too")
        await channels_scene(app, world, pilot, transcript)
    finally:
        stop.set()
        await follower
    await print_items(app)
    print(f"\nDatabase: {database.resolve()}\nLog:      {log_file.resolve()}")
    console = None
    if keep:
        console, console_link = await start_console(app)
        print(f"\nThe office's web console: {console_link}\n"
              f"  (a one-time sign-in as the office admin 何欣然, valid {app.scheduler.config.console_link_minutes} "
              f"minutes; a new one: LINKAGE_CONSOLE_URL={console_link.split('/login/')[0]} "
              f"linkage --database {database} console login-link O001)")
        print(f"\nThe sandbox and the bot keep running. Act as a member with the control API, e.g.:\n"
              f"  curl -s -X POST {base}/control/users -d '{{\"first_name\": \"Guest\"}}'\n"
              f"  curl -s -X POST {base}/control/send -d '{{\"user_id\": ID, \"text\": \"/start\"}}'\n"
              f"  curl -s '{base}/control/messages?chat_id=ID'\n"
              f"Invite a sample member: linkage --database {database} invite H003\n"
              f"  (then send \"/start CODE\" as a new user, CODE being what follows start= in the link)\n"
              f"Ctrl-C stops.", flush=True)
        # Our own handlers: a process started in the background inherits SIGINT ignored, and
        # asyncio's default Ctrl-C handling would then never see it.
        finished = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            asyncio.get_running_loop().add_signal_handler(sig, finished.set)
        await finished.wait()
    if console is not None:
        await console.cleanup()
    await sb.close()
    await app.stop()
    await server.stop()
    shutil.rmtree(workdir / "__pycache__", ignore_errors=True)
    return 0


async def start_console(app: LinkageApp):
    """The office's web console on the demo's database (port 8080, or any free one when it is taken)
    and a one-time sign-in link for the office admin: (its runner, the link). It runs on the real
    clock, as ``linkage console`` would, so a link printed by the command line works there too."""
    from dataclasses import replace

    from bot.clock import Clock
    from bot.console.app import make_app
    from handlers.console.signin import login_link_for
    for port in (8080, 0):
        config = replace(app.scheduler.config, console_url=f"http://127.0.0.1:{port}")
        runner = web.AppRunner(make_app(app.db, config, Clock()), access_log=None)
        await runner.setup()
        try:
            site = web.TCPSite(runner, "127.0.0.1", port)
            await site.start()
        except OSError:  # 8080 is taken: any free port
            await runner.cleanup()
            continue
        port = runner.addresses[0][1]
        break
    config = replace(config, console_url=f"http://127.0.0.1:{port}")  # the links' address (the app needs no more)
    async with app.db.transaction() as conn:
        link = await login_link_for(conn, "O001", Clock().now(), config, actor="demo")
    return runner, link


async def play(world: World, transcript: Transcript) -> None:
    sb = world.sb

    scene("1. People join through their invite links; the office binds the handling groups")
    pilot = await build_pilot(world)
    city, hongqiao = pilot.city, pilot.hongqiao
    topic_liaison, port_liaison, other_liaison = pilot.topic_liaison, pilot.port_liaison, pilot.other_liaison
    topic_group, port, street = pilot.topic_group, pilot.port, pilot.street
    await transcript.settle()

    scene("2. A stranger is politely refused")
    stranger = await sb.user("路人甲", language_code="zh-hans")
    await sb.send(stranger, "/start")
    await sb.wait_for(stranger, lambda m: bool(m.text), 30)
    await transcript.settle()

    scene("3. A city member reports a city-wide issue (交通出行 → 智慧停车, tagged 适老), with a photo and a "
          "co-signer (联名) who confirms")
    city_code = await world.submit(
        city, topic="smart_parking", area="city", photo=True, cosigners="H001", title="老旧小区夜间停车难",
        tags=("elderly_friendly",),
        observation="老旧小区夜间停车难，车辆占用非机动车道。", analysis="周边写字楼地下车库夜间闲置。",
        suggestion="推行错时共享停车，在小程序上公开剩余车位。")
    invitation = await sb.wait_for(hongqiao, lambda m: city_code in (m.text or "") and bool(m.button_data), 30)
    await sb.press(hongqiao, invitation, data=next(d for d in invitation.button_data.values() if d.startswith("cs:y:")))
    await world.card(topic_group, city_code, lambda m: "赵丽娟" in m.text)
    await transcript.settle()

    scene("4. A Hongqiao member reports from Xiyuzhuang street, anonymous to liaisons: the street sub-port and "
          "the district port handle it, the city topic group watches (知悉)")
    street_code = await world.submit(
        hongqiao, topic="smart_parking", area="street", street="hongqiao_xiyuzhuang", privacy="anonymous",
        title="西于庄街道夜间找车位难", observation="西于庄街道几个老旧小区晚上找不到车位。", suggestion="由街道牵头与写字楼协商错时停车。")
    await world.card(port, street_code)
    await world.card(street, street_code)
    watch = await world.card(topic_group, street_code)
    await transcript.settle()
    print(f"    (the card in {topic_group.chat.title} is a watch card: \"{watch.text.splitlines()[-1]}\", "
          f"one button: {' '.join(watch.button_data)})", flush=True)

    scene("5. The topic liaison claims, asks, gets an answer, replies and records an outcome chain: "
          "adopted, reported up, transferred, feedback")
    await world.card_action(topic_liaison, topic_group, city_code, "claim")
    await world.card_action(topic_liaison, topic_group, city_code, "ask")
    await sb.wait_for(topic_liaison, city_code, 30)
    await world.reply_privately(topic_liaison, "请问涉及哪几个小区？大约多少车位缺口？")
    question = await sb.wait_for(city, lambda m: any(d.startswith("m:answer:") for d in m.button_data.values()), 30)
    await sb.press(city, question, data=next(iter(question.button_data.values())))
    await sb.wait_for(city, city_code, 30)
    await sb.send(city, "主要是丁字沽一带三个小区，缺口约两百个车位。")
    # the answer relayed to the liaison names the code too: take it before the press below moves the cursor
    await sb.wait_for(topic_liaison, "主要是丁字沽一带三个小区", 30)
    await world.card(topic_group, city_code, lambda m: any(d.endswith(":reply") for d in m.button_data.values()))
    await world.card_action(topic_liaison, topic_group, city_code, "reply")
    await sb.wait_for(topic_liaison, city_code, 30)
    await world.reply_privately(topic_liaison, "已转市城市管理委研究，拟在三个小区试点错时停车。")
    await sb.wait_for(city, "已转市城市管理委", 30)
    await world.record_outcome(topic_liaison, topic_group, city_code, "adopted")  # the topic's reply template
    await world.record_outcome(topic_liaison, topic_group, city_code, "reported_up", detail="市政府",
                               note="已编入《社情民意》专报，报送市政府。")
    await world.record_outcome(topic_liaison, topic_group, city_code, "transferred", detail="市城市管理委")
    await world.record_outcome(topic_liaison, topic_group, city_code, "feedback", detail="市城市管理委",
                               note="建议被采纳，三个小区错时停车试点下月启动。")
    await sb.wait_for(city, "错时停车试点", 30)
    await transcript.settle()

    scene("6. The district port claims the street report; the city topic group takes it up (提级办理) from its "
          "watch card")
    await world.card_action(port_liaison, port, street_code, "claim")
    await world.card(topic_group, street_code, lambda m: "吴思远" in m.text)  # the watch card follows the item
    await world.card_action(topic_liaison, topic_group, street_code, "takeup")
    await sb.wait_for(topic_liaison, street_code, 30)
    await world.reply_privately(topic_liaison, "涉及全市停车政策，需市级统筹。")
    await world.card(topic_group, street_code, lambda m: any(d.endswith(":claim") for d in m.button_data.values()))
    await sb.wait_for(hongqiao, "提级办理", 30)
    await transcript.settle()

    scene("7. A forged button and an outsider's press are both refused")
    card = await world.card(topic_group, street_code)
    forged = await sb.press(topic_liaison, card, data="c:999999:1:claim", forge=True)
    answer = await sb.callback_answer(forged)
    print(f"    (forged press answered: {answer['text']})")
    answer = await world.card_action(other_liaison, topic_group, street_code, "claim")
    print(f"    (press by a liaison of another group answered: {answer['text']})")
    await transcript.settle()

    scene("8. The same problem again: a Hongqiao member is shown the open report and co-signs it instead (联名)")
    neighbour = await world.join("H002", "孙建国")
    await world.submit(neighbour, topic="smart_parking", area="district", cosign_similar=street_code,
                       observation="西于庄一带老旧小区晚上找不到车位，车辆只能停在路边。", suggestion="增设夜间停车位。")
    await transcript.settle()

    scene("9. The same problem in three districts (多区同类问题): one cluster card in the city topic group")
    for roster_id, name, district, observation in (
            ("C002", "李静怡", "hexi", "河西区几个老旧小区晚上找不到车位，车辆停到了马路上。"),
            ("C006", "杨慧敏", "nankai", "南开区多个老旧小区晚上找不到车位，居民停车难。")):
        member = world.people.get(roster_id) or await world.join(roster_id, name)
        await world.submit(member, topic="smart_parking", area="district", district=district,
                           observation=observation, suggestion="推行错时共享停车。")
    await sb.wait_for(topic_group.chat, lambda m: (m.text or "").startswith("🧩"), 30)
    await transcript.settle()
    return pilot


async def print_items(app: LinkageApp) -> None:
    """Where each item went, from the database: its status and every hop."""
    from sqlalchemy import select

    from handlers.reports import lifecycle
    from storage.schema import items
    scene("Where each report went")
    async with app.db.read() as conn:
        for item in await conn.execute(select(items).order_by(items.c.id)):
            print(f"  {lifecycle.titled(item)}  {lifecycle.status_label(item.status, 'zh')}")
            for line in await lifecycle.history_lines(conn, item, "zh"):
                print(f"      {line}")


async def play_week(app: LinkageApp, world: World, pilot, transcript: Transcript) -> None:
    """A compressed week on the movable clock: the study calendar, a notice with read receipts,
    deadline nudges, reminders and check-ins, then the Monday digests with the office's chart."""
    from handlers.reports import deadlines
    from handlers.notices import notices
    from handlers.study.times import in_checkin_window
    from handlers.core.localtime import shown
    from handlers.study.views import show_session
    from seeds.demo_calendar import sample_calendar
    from storage import items, timers
    sb, clock = world.sb, app.clock

    async def act(work):
        result = await app.scheduler.in_transaction(work)
        await app.scheduler.refresh()
        await app.sender.drain(timeout=120)
        await transcript.settle(1)
        return result

    async def press(user, prefix: str):
        """The member presses a button already in their chat (the newest message offering it)."""
        offers = [m for m in await sb.messages(user) if any(d.startswith(prefix) for d in m.button_data.values())]
        card = offers[-1]
        await sb.press(user, card, data=next(d for d in card.button_data.values() if d.startswith(prefix)))
        await app.dispatcher.drain()
        await app.sender.drain(timeout=60)
        await transcript.settle(1)

    scene("10. The office announces the study calendar; members answer")
    calendar = await act(sample_calendar)
    await press(pilot.city, f"st:a:{calendar.sessions['study']}")
    for user in (pilot.hongqiao, pilot.port_liaison, pilot.street_liaison):  # two places, three takers
        await press(user, f"st:a:{calendar.sessions['training']}")

    scene("11. A notice with read receipts")
    office = await _member(app, "O001")
    notice_id, _ = await act(lambda ctx: notices.send_notice(
        ctx, title="关于报送年度履职情况的通知", body="请各位委员于本月底前通过本助手或联络员报送年度履职情况。",
        spec={"kind": "all"}, sender_id=office.id))
    await press(pilot.city, f"nr:{notice_id}")
    await press(pilot.topic_liaison, f"nr:{notice_id}")
    async with app.db.read() as conn:
        counts = await notices.summary(conn, notice_id)
    print(f"    (notice #{notice_id}: {counts['read']} read, {counts['unread']} not yet)")

    await play_deliberation(app, world, pilot, act, press)

    scene("13. The week passes: reminders, a check-in, deadline nudges, the digests")
    study_session = calendar.sessions["study"]
    async with app.db.read() as conn:
        pending = await timers.pending(conn)
        escalated = await items.by_code(conn, "SQ-2026-00002")
        nudge = await deadlines.next_nudge(conn, escalated.id) if escalated else None
        session = (await show_session(conn, study_session)).session
    monday = min(t.due_at for t in pending if t.key.startswith("digest:weekly:"))
    until = max(moment for moment in (monday, nudge, session.ends_at) if moment is not None)
    checked_in = False
    while True:
        async with app.db.read() as conn:
            upcoming = [t for t in await timers.pending(conn) if t.due_at <= until]
        if not upcoming:
            break
        due = min(t.due_at for t in upcoming)
        if due > clock.now():
            clock.advance(due - clock.now())
        kinds = sorted({t.kind for t in upcoming if t.due_at == due} - {"digest_instant"})
        if kinds:  # the hourly instant digests find nothing to say in this story
            print(f"  ⏩ {shown(clock.now())} Asia/Shanghai: {', '.join(kinds)}", flush=True)
            await transcript.settle(0.2)
        await app.scheduler.fire_due()
        await app.sender.drain(timeout=120)
        if kinds:  # something was said: let the transcript catch up (the silent hours need no wait)
            await transcript.settle(0.5)
        async with app.db.read() as conn:
            session = await show_session(conn, study_session)
        if not checked_in and in_checkin_window(session.session, clock.now(), app.dispatcher.config):
            await sb.send(pilot.city, f"/checkin {calendar.codes[study_session]}")
            await app.dispatcher.drain()
            await app.sender.drain(timeout=60)
            await transcript.settle(1)
            checked_in = True
    charts = sorted(Path(app.settings.charts_dir).glob("*.png"))
    if charts:
        print(f"\n  The office's weekly chart: {charts[-1].resolve()}")

    scene("14. 远程协商: a consultation meeting with a main venue and a Hongqiao sub-venue — two written statements, "
          "a request to speak, a live comment, the compilation (发言摘登)")
    compiled = await consultation_scene(world, act, clock.advance, Path(app.settings.charts_dir).parent)
    print(f"\n  The compilation of statements (发言摘登): {compiled.resolve()}")


async def play_deliberation(app: LinkageApp, world: World, pilot, act, press) -> None:
    """网络议政: the social and legal committee's staff opens a topic to Hongqiao's members; three give
    their views (one named to the committee only), one replies in the thread; it closes with the
    committee's summary and export, and the conclusion reaches the participants."""
    from datetime import timedelta
    from handlers.deliberation import topics
    sb, clock = world.sb, app.clock
    scene("12. 网络议政: the social and legal committee opens a topic; three members give views, one replies; "
          "the summary, the export and the conclusion")
    clerk = await world.join("S001", "周文清")
    staff = await _member(app, "S001")
    topic = await act(lambda ctx: topics.open_topic(
        ctx, title="老旧小区加装电梯如何破解协调难", committee="social_legal", audience_spec="district:hongqiao",
        closes=clock.now() + timedelta(days=2), body="不少老旧小区居民希望加装电梯，但低层与高层住户意见不一。",
        questions=["费用如何分摊？", "由谁牵头协调？"], opened_by=staff.id, actor=f"member:{staff.id}"))
    views = [(pilot.hongqiao, "建议按楼层分摊费用，低层住户少出或不出。", 1, "named"),
             (pilot.port_liaison, "由街道牵头、社区居委会组织协调会。", 2, "committee"),
             (pilot.street_liaison, "可参照和平区的做法，引入第三方评估。", None, "named")]
    for user, text, question, naming in views:
        card = next(m for m in reversed(await sb.messages(user)) if f"dl:say:{topic.id}" in m.button_data.values())
        await world.contribute(user, card, f"dl:say:{topic.id}", text, question=question or 0, naming=naming)
    await press(pilot.street_liaison, f"dl:view:{topic.id}")
    page = await sb.wait_for(pilot.street_liaison, lambda m: "dl:reply:1" in m.button_data.values(), 30)
    clock.advance(timedelta(seconds=61))  # one contribution a minute
    await world.contribute(pilot.street_liaison, page, "dl:reply:1", "同意按楼层分摊，还应听取低层住户意见。")
    path = await act(lambda ctx: topics.close_topic(ctx, topic.id, actor="cli"))
    await press(clerk, f"dl:conclude:{topic.id}")
    await sb.send(clerk, "建议由街道牵头，按楼层分摊费用，并引入第三方评估。")
    await app.dispatcher.drain()
    await app.sender.drain(timeout=60)
    print(f"\n  The committee's export of the topic: {path.resolve()}")


async def play_points(app: LinkageApp, world: World, pilot, transcript: Transcript) -> None:
    """After the week: a member's points (积分) and duty record (履职档案)."""
    scene("15. After the week: a member's points (/points) and duty record (/record: XLSX and PDF)")
    for command in ("/points", "/record", "/calendar"):  # /calendar: what is still coming up for them
        await world.sb.send(pilot.city, command)
        await app.dispatcher.drain()
        await app.sender.drain(timeout=60)
        await transcript.settle(1)
    for command in ("/guide", "/contacts"):  # 服务委员: the new member's guide, the directory for Hongqiao
        await world.sb.send(pilot.hongqiao, command)
        await app.dispatcher.drain()
        await app.sender.drain(timeout=60)
        await transcript.settle(1)


async def play_research(app: LinkageApp, world: World, pilot, transcript: Transcript) -> None:
    """调查研究: a Hongqiao member proposes a research direction to the social and legal committee,
    whose staff accept it as a project; the call reaches every member and two of them join."""
    from datetime import timedelta
    from handlers.core.localtime import local_day
    sb = world.sb
    scene("16. 调查研究: a member proposes a research direction; the committee's staff make it a project; "
          "the call reaches every member, two join")

    async def settle() -> None:
        await app.dispatcher.drain()
        await app.sender.drain(timeout=60)
        await transcript.settle(1)

    clerk = world.people.get("S001") or await world.join("S001", "周文清")
    await sb.send(pilot.hongqiao, "/research")
    await settle()
    for data in ("rs:propose", "rsp:committee:social_legal"):
        await world.press_offered(pilot.hongqiao, data)
        await settle()
    for text in ("社区养老服务站运营难", "不少街道的养老服务站建成后缺少稳定经费，运营不下去。",
                 "运营资金从哪里来？\n老年人最需要哪些服务？"):
        await sb.send(pilot.hongqiao, text)
        await settle()
    for data in ("rsp:file:skip", "rsp:confirm:send"):
        await world.press_offered(pilot.hongqiao, data)
        await settle()
    await world.organiser_press(clerk, "rs:accept:")
    await settle()
    today = local_day(app.clock.now())
    await sb.send(clerk, "\n".join(str(today + timedelta(days=n)) for n in (7, 30, 60)) + "\n20")
    await settle()
    await world.organiser_press(clerk, "rso:confirm:open")
    await settle()
    for user in (pilot.city, pilot.street_liaison):  # an economic committee member and a Hongqiao liaison
        await world.press_offered(user, "rs:join:1")
        await settle()


async def _member(app: LinkageApp, roster_id: str):
    from storage import people
    async with app.db.read() as conn:
        return await people.by_roster_id(conn, roster_id)


async def play_oversight(app: LinkageApp, world: World, pilot, transcript: Transcript) -> None:
    """民主监督: the office turns a member's report into an oversight item for the transport
    commission, records the department's reply, the member rates it 不满意 and the item reopens."""
    from handlers.oversight import items as oversight
    from storage import items
    scene("17. 民主监督: a report becomes an oversight item; the department's reply is recorded; the member rates it "
          "不满意 and the item reopens with a new deadline")
    city = await _member(app, "C001")
    async with app.db.read() as conn:
        report = (await items.of_author(conn, city.id, limit=None))[0]

    async def act(work):
        result = await app.scheduler.in_transaction(work)
        await app.scheduler.refresh()
        await app.sender.drain(timeout=60)
        await transcript.settle(1)
        return result

    async def member_does(send):
        await send
        await app.dispatcher.drain()
        await app.sender.drain(timeout=60)
        await transcript.settle(1)

    item = await act(lambda ctx: oversight.open_item(
        ctx, subject="智慧停车信息共享的落实", department="city_transport", promise="年底前接入全市公共停车场实时泊位信息",
        report=report.code))
    await act(lambda ctx: oversight.send_item(ctx, item.id, due_days=10, reason="函件已送市交通运输委"))
    await act(lambda ctx: oversight.record_reply(ctx, item.id, text="已接入中心城区公共停车场泊位信息，其余区正在推进。"))
    card = next(m for m in reversed(await world.sb.messages(pilot.city)) if f"ovr:{item.id}:1:u" in m.button_data.values())
    await member_does(world.sb.press(pilot.city, card, data=f"ovr:{item.id}:1:u"))
    await member_does(world.sb.send(pilot.city, "只覆盖了中心城区，远郊区尚未接入，与承诺不符。"))
