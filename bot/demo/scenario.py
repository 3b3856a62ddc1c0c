"""People acting on the sandbox: members joining, groups bound, reports submitted through the
real chat flow, liaisons pressing card buttons. Shared by the demo, the tests and the bench,
so each tells the same story the same way."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from bot.sandbox import SandboxClient, SbChat, SbMessage, SbUser
from handlers.core.i18n import translator
from handlers.office import invites, keys, liaisons
from handlers.reports import outcomes
from storage import reference
from storage.db import Database

TIMEOUT = 30.0
DEFAULT_TITLE = "一条社情民意信息"  # the title of a report a test or the demo does not name


@dataclass
class Group:
    chat: SbChat
    target: str
    thread: int | None = None


@dataclass
class World:
    sb: SandboxClient
    db: Database
    clock_now: callable
    bot_username: str = "linkage_bot"
    people: dict[str, SbUser] = field(default_factory=dict)  # roster id -> sandbox user
    domain_of: dict[str, str] = field(default_factory=dict)  # topic code -> its domain, read once

    async def _admin(self, work):
        async with self.db.transaction() as conn:
            return await work(conn, self.clock_now())

    async def invite(self, roster_id: str) -> str:
        link = await self._admin(lambda conn, now: invites.invite_link(
            conn, roster_id, now, days=14, bot_username=self.bot_username))
        return link.rsplit("=", 1)[1]

    async def join(self, roster_id: str, first_name: str, language: str = "zh-hans") -> SbUser:
        """A member opens their invite link."""
        user = await self.sb.user(first_name, language_code=language)
        code = await self.invite(roster_id)
        await self.sb.send(user, f"/start {code}")
        await self.sb.wait_for(user, lambda m: "/submit" in (m.text or ""), TIMEOUT)
        self.people[roster_id] = user
        return user

    async def bound_group(self, target: str, kind: str, title: str, admin_user: SbUser,
                          members: list[SbUser] = (), *, forum_topic: str | None = None, **fields) -> Group:
        """The office makes a key; the group's admin adds the bot and sends /bind KEY."""
        key = await self._admin(lambda conn, now: keys.make_bind_key(conn, target, kind, now, hours=48, **fields))
        chat = await self.sb.group(title, members=[m.id for m in members], admins=[admin_user.id],
                                   forum=forum_topic is not None)
        thread = await self.sb.topic(chat, forum_topic) if forum_topic else None
        await self.sb.send(admin_user, f"/bind {key}", chat=chat, thread=thread)
        await self.sb.wait_for(chat, "✅", TIMEOUT, thread=thread)
        return Group(chat, target, thread)

    async def liaison_of(self, roster_id: str, target: str) -> None:
        await self._admin(lambda conn, now: liaisons.add_liaison(conn, roster_id, target, now))

    async def press(self, user: SbUser, message: SbMessage, data: str) -> str:
        return await self.sb.press(user, message, data=data)

    async def press_offered(self, user: SbUser, data: str) -> None:
        """Press a button already in the user's chat (the newest message offering it)."""
        offers = [m for m in await self.sb.messages(user) if data in m.button_data.values()]
        await self.sb.press(user, offers[-1], data=data)

    async def organiser_press(self, user: SbUser, data_prefix: str) -> None:
        """Wait for the newest message offering a button that starts with the prefix, and press it."""
        card = await self.sb.wait_for(user, lambda m: any(d.startswith(data_prefix) for d in m.button_data.values()),
                                      TIMEOUT)
        await self.sb.press(user, card, data=next(d for d in card.button_data.values() if d.startswith(data_prefix)))

    async def step(self, user: SbUser, data_prefix: str, value: str) -> SbMessage:
        """Wait for the prompt that offers a button, then press it."""
        wanted = f"{data_prefix}:{value}"
        prompt = await self.sb.wait_for(user, lambda m: wanted in m.button_data.values(), TIMEOUT)
        await self.sb.press(user, prompt, data=wanted)
        return prompt

    async def choose_topic(self, user: SbUser, topic: str, tags: tuple[str, ...] = (),
                           prefix: str = "s") -> SbMessage:
        """Step 1 of /submit: the topic's domain, the topic, then the tags (or Skip). Returns the
        topic screen's message (the domain screen's for 其他, which has no second screen).
        ``prefix`` "e": the same screens when a member changes a report's topic (/my)."""
        if not self.domain_of:
            rows = await self._admin(lambda conn, now: reference.all_topics(conn))
            self.domain_of.update((row.code, row.domain) for row in rows)
        domain = self.domain_of[topic]
        prompt = await self.step(user, f"{prefix}:domain", domain)
        if domain != "other":
            prompt = await self.step(user, f"{prefix}:topic", topic)
        for tag in tags:
            await self.step(user, f"{prefix}:tags", tag)
        await self.step(user, f"{prefix}:tags", "done" if tags else "skip")
        return prompt

    async def start_city_report(self, user: SbUser, topic: str = "smart_parking",
                                title: str = DEFAULT_TITLE) -> None:
        """/submit, a topic, city-wide, a title: the bot now asks for the observation (step 4)."""
        await self.sb.send(user, "/submit")
        await self.choose_topic(user, topic)
        await self.step(user, "s:area", "city")
        await self.sb.wait_for(user, lambda m: (m.text or "").startswith(("第3步", "Step 3")), TIMEOUT)
        await self.sb.send(user, title)
        await self.sb.wait_for(user, lambda m: (m.text or "").startswith(("第4步", "Step 4")), TIMEOUT)

    async def submit(self, user: SbUser, *, topic: str, area: str, observation: str, suggestion: str,
                     analysis: str | None = None, district: str | None = None, street: str | None = None,
                     photo: bool = False, privacy: str = "named", cosigners: str | None = None,
                     receipt: bool = True, title: str = DEFAULT_TITLE, tags: tuple[str, ...] = (),
                     cosign_similar: str | None = None) -> str | None:
        """A member goes through the whole guided flow; returns the reference code (None when
        told not to wait for the receipt, e.g. because the submit is meant to fail). When similar
        reports are shown the member continues with their own, or co-signs ``cosign_similar``
        (a code) instead: then that code is returned once the bot confirms."""
        await self.sb.send(user, "/submit")
        await self.choose_topic(user, topic, tags)
        await self.step(user, "s:area", area)
        if district:
            try:
                await self.step(user, "s:district", district)
            except TimeoutError:
                pass  # district members are not asked: it is their own district
        if street:
            await self.step(user, "s:street", street)
        await self.sb.wait_for(user, lambda m: (m.text or "").startswith(("第3步", "Step 3")), TIMEOUT)
        await self.sb.send(user, title)
        await self.sb.wait_for(user, lambda m: (m.text or "").startswith(("第4步", "Step 4")), TIMEOUT)
        await self.sb.send(user, observation)
        asked = await self.sb.wait_for(user, lambda m: {"s:analysis:skip", "s:similar:mine"} & set(
            m.button_data.values()), TIMEOUT)
        if "s:similar:mine" in asked.button_data.values():
            if cosign_similar:
                data = next(d for label, d in asked.button_data.items() if cosign_similar in label)
                await self.sb.press(user, asked, data=data)
                await self.sb.wait_for(user, lambda m: cosign_similar in (m.text or "") and "✍" in m.text, TIMEOUT)
                return cosign_similar
            await self.sb.press(user, asked, data="s:similar:mine")
            await self.sb.wait_for(user, lambda m: "s:analysis:skip" in m.button_data.values(), TIMEOUT)
        if analysis:
            await self.sb.send(user, analysis)
        else:
            await self.step(user, "s:analysis", "skip")
        await self.sb.wait_for(user, lambda m: (m.text or "").startswith(("第6步", "Step 6")), TIMEOUT)
        await self.sb.send(user, suggestion)
        await self.sb.wait_for(user, lambda m: "s:files:done" in m.button_data.values(), TIMEOUT)
        if photo:
            await self.sb.send_photo(user, width=1280, height=960)
            await self.sb.wait_for(user, lambda m: "s:files:done" in m.button_data.values(), TIMEOUT)
        await self.step(user, "s:files", "done")
        if cosigners:  # roster numbers or names, as a member types them
            await self.sb.wait_for(user, lambda m: "s:cosigners:skip" in m.button_data.values(), TIMEOUT)
            await self.sb.send(user, cosigners)
        else:
            await self.step(user, "s:cosigners", "skip")
        await self.step(user, "s:privacy", privacy)
        await self.step(user, "s:preview", "submit")
        if not receipt:
            return None
        receipt = await self.sb.wait_for(user, lambda m: "SQ-" in (m.text or ""), TIMEOUT)
        return next(word for word in receipt.text.replace("。", " ").split() if word.startswith("SQ-"))

    async def card(self, group: Group, code: str, predicate=lambda m: True) -> SbMessage:
        """The current state of the item's card in a group (waits until it is there)."""
        deadline = asyncio.get_running_loop().time() + TIMEOUT
        while True:
            for message in reversed(await self.sb.messages(group.chat, group.thread)):
                if message.from_bot and (message.text or "").startswith(f"📋 {code}") and predicate(message):
                    return message
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"no card of {code} in {group.chat.title}")
            await asyncio.sleep(0.1)

    async def card_action(self, user: SbUser, group: Group, code: str, action: str) -> dict:
        """A liaison presses a card button; returns how the bot answered the press."""
        card = await self.card(group, code, lambda m: any(d.endswith(f":{action}") for d in m.button_data.values()))
        data = next(d for d in card.button_data.values() if d.endswith(f":{action}"))
        query = await self.sb.press(user, card, data=data)
        return await self.sb.callback_answer(query)

    async def record_outcome(self, liaison: SbUser, group: Group, code: str, kind: str, *,
                             detail: str | None = None, note: str | None = None) -> SbMessage:
        """A liaison records a step of the report's outcome chain from its card: the kind, its detail
        (a word of the body, level or department button's label), then the note — typed, or without
        one the first reply template used as it is. Returns the liaison's confirmation."""
        def button(m: SbMessage, prefix: str, pick=lambda label, data: True) -> str | None:
            return next((d for label, d in m.button_data.items() if d.startswith(prefix) and pick(label, d)), None)

        async def choose(prefix: str, pick=lambda label, data: True) -> None:
            prompt = await self.sb.wait_for(liaison, lambda m: button(m, prefix, pick) is not None, TIMEOUT)
            await self.press(liaison, prompt, button(prompt, prefix, pick))

        await self.card_action(liaison, group, code, "outcome")
        await choose("lo:kind:", lambda label, data: data.endswith(f":{kind}"))
        if detail is not None:
            await choose("lo:detail:", lambda label, data: detail in label)
        asked = [translator(lang).plain(outcomes.NOTE_PROMPT) for lang in ("zh", "en")]
        prompt = await self.sb.wait_for(liaison, lambda m: any(a in (m.text or "") for a in asked), TIMEOUT)
        if note is None:
            await self.press(liaison, prompt, button(prompt, "lo:template:"))
        else:
            await self.sb.send(liaison, note)
        done = [translator(lang)("Outcome recorded for {code}: {chain}", code=code, chain="").rstrip()
                for lang in ("zh", "en")]
        return await self.sb.wait_for(liaison, lambda m: (m.text or "").startswith(tuple(done)), TIMEOUT)

    async def contribute(self, user: SbUser, card: SbMessage, data: str, text: str, *, question: int | None = None,
                         naming: str = "named") -> SbMessage:
        """网络议政: a member presses 发表意见 (``dl:say:ID``) or 跟帖 (``dl:reply:ID``) on ``card``, answers
        the question (if asked), the text, no attachment and the naming, and sends; returns the receipt."""
        await self.sb.press(user, card, data=data)
        if question is not None:
            await self.step(user, "dls:question", str(question))
        await self.sb.wait_for(user, lambda m: "/cancel" in (m.text or ""), TIMEOUT)
        await self.sb.send(user, text)
        await self.step(user, "dls:file", "skip")
        await self.step(user, "dls:naming", naming)
        await self.step(user, "dls:confirm", "send")
        return await self.sb.wait_for(user, lambda m: "dl:withdraw:" in str(m.button_data.values()), TIMEOUT)

    async def reply_privately(self, user: SbUser, text: str) -> None:
        """Type the text the bot asked for in the private chat."""
        await self.sb.send(user, text)


@dataclass
class Pilot:
    """The demo's cast: an office admin, a city and a Hongqiao member, liaisons, bound groups."""

    office: SbUser
    city: SbUser
    hongqiao: SbUser
    port_liaison: SbUser
    street_liaison: SbUser
    topic_liaison: SbUser
    other_liaison: SbUser
    topic_group: Group
    port: Group
    street: Group
    elderly_group: Group


async def build_pilot(world: World) -> Pilot:
    """Sample members (from seeds/roster.csv) join; the office binds four groups."""
    office = await world.join("O001", "何欣然")
    city = await world.join("C001", "王晓明")
    hongqiao = await world.join("H001", "赵丽娟")
    port_liaison = await world.join("H004", "吴思远")
    street_liaison = await world.join("H005", "郑桂兰")
    topic_liaison = await world.join("C003", "张伟东")
    other_liaison = await world.join("C004", "刘海燕")
    topic_group = await world.bound_group("topic:smart_parking", "topic", "市政协·智慧停车主题议政群", office,
                                          [topic_liaison, other_liaison, city], topic="smart_parking")
    port = await world.bound_group("district:hongqiao", "district", "红桥区政协委员联络中心", office,
                                   [port_liaison, hongqiao], district="hongqiao")
    street = await world.bound_group("street:hongqiao_xiyuzhuang", "street", "西于庄街道委员联络中心", office,
                                     [street_liaison], street="hongqiao_xiyuzhuang")
    elderly = await world.bound_group("topic:smart_elderly_care", "topic", "市政协·智慧养老主题议政群", office,
                                      [other_liaison], topic="smart_elderly_care")
    return Pilot(office, city, hongqiao, port_liaison, street_liaison, topic_liaison, other_liaison,
                 topic_group, port, street, elderly)


async def consultation_scene(world: World, act, advance, out: Path) -> Path:
    """远程协商: a meeting with a main venue and a Hongqiao sub-venue, two written statements
    accepted by the committee's staff, a request to speak, a live comment to the host during the
    meeting, then the 发言摘登 written to ``out``; returns its path. ``act(work)`` runs an
    organiser's operation like the command line, ``advance`` moves the clock."""
    from handlers.consultation import export, meetings
    from storage import consultation
    sb = world.sb
    staff = world.people.get("S001") or await world.join("S001", "周文清")
    city, hongqiao = world.people["C001"], world.people["H001"]
    now = world.clock_now()
    m = await act(lambda ctx: meetings.add_meeting(
        ctx, title="智慧养老服务专题协商会", theme="推进智慧养老服务体系建设", committee="social_legal",
        starts=now + timedelta(hours=3), ends=now + timedelta(hours=5), audience_spec="list:C001,H001",
        statements_by=now + timedelta(hours=2)))
    await act(lambda ctx: meetings.set_venues(ctx, m.id, main="市政协机关三楼会议室|https://meet.example.cn/zhyl",
                                              subs=["红桥区政协|红桥区政协二楼会议室|https://meet.example.cn/zhyl-hq"]))
    await act(lambda ctx: meetings.announce(ctx, m.id))
    main, hongqiao_venue = await world._admin(lambda conn, now: consultation.venues(conn, m.id))
    for user, venue in ((city, main), (hongqiao, hongqiao_venue)):
        await world.press_offered(user, f"kx:v:{m.id}:{venue.id}")
        await sb.wait_for(user, lambda msg: any(label.startswith("✓") for row in msg.buttons for label in row), TIMEOUT)
    for user, title, text in ((city, "推进社区智慧助餐全覆盖", "建议把社区助餐点纳入十五分钟便民生活圈，统一接入智慧养老平台。"),
                              (hongqiao, "红桥区“家门口”养老服务站的做法", "红桥区在西于庄街道试点嵌入式养老服务站，"
                                                                    "建议总结推广。")):
        await world.press_offered(user, f"kx:s:{m.id}")
        for part in (title, text):
            await sb.wait_for(user, None, TIMEOUT)
            await sb.send(user, part)
        await world.step(user, "kf:file", "skip")
        await world.step(user, "kf:confirm", "send")
        await world.organiser_press(staff, "ko:a:")
        await sb.wait_for(user, "✅", TIMEOUT)
    await world.press_offered(hongqiao, f"kx:w:{m.id}")
    await sb.wait_for(hongqiao, None, TIMEOUT)
    await sb.send(hongqiao, "社区养老服务站的运营补贴")
    await world.organiser_press(staff, "ko:sa:")
    await sb.wait_for(hongqiao, "🎤", TIMEOUT)

    advance(timedelta(hours=2, minutes=50))  # the meeting is about to begin: live comments are open
    await sb.send(city, "/consultations")
    card = await sb.wait_for(city, lambda msg: f"kx:m:{m.id}" in msg.button_data.values(), TIMEOUT)
    await sb.press(city, card, data=f"kx:m:{m.id}")
    await sb.wait_for(city, None, TIMEOUT)
    await sb.send(city, "老人不会用手机预约助餐，建议保留电话预约渠道。")
    await world.step(city, "kf:name", "named")
    await sb.wait_for(staff, "电话预约渠道", TIMEOUT)
    return await act(lambda ctx: export.export(ctx, m.id, out / "发言摘登.docx"))
