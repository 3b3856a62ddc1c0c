"""The demo's study calendar (``linkage demo``): fictional sessions and a reading class, made
through the office's own operations, and the calendar as plain lines for a transcript."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from handlers.core.context import Ctx
from handlers.core.i18n import translator
from handlers.core.localtime import local_at, local_day
from handlers.study.cards import day_kinds
from handlers.study.plans import add_plan
from handlers.study.sessions import add_session, set_materials
from handlers.study.terms import KINDS
from handlers.core.localtime import show_span
from handlers.study.views import list_plans, list_sessions


@dataclass
class SampleCalendar:
    sessions: dict[str, int]  # "study" | "live" | "training" -> session id
    plan: int
    codes: dict[int, str]  # session id -> check-in code


async def sample_calendar(ctx: Ctx) -> SampleCalendar:
    """A fictional sample calendar, announced at once to the members who have joined: a study
    meeting in two days (14:30), a live broadcast in three (19:30), a Hongqiao training with two
    places (waiting list) in four, and a one-week reading class from tomorrow (3½ days of
    self-study, 3 lectures, 2 days of discussion, as in the seed document)."""
    day = local_day(ctx.now)

    def at(days: int, clock: str) -> datetime:
        return local_at(day + timedelta(days=days), clock)

    study = await add_session(ctx, title="学习贯彻全会精神专题学习会", kind="study", start=at(2, "14:30"),
                              end=at(2, "16:30"), place="委员之家·第一学习室", actor="demo")
    live = await add_session(ctx, title="委员履职能力提升直播课", kind="live", start=at(3, "19:30"),
                             end=at(3, "20:30"), link="https://live.example.org/linkage-demo", actor="demo")
    training = await add_session(ctx, title="红桥区政协委员履职培训", kind="training", start=at(4, "09:00"),
                                 end=at(4, "11:30"), place="红桥区委员活动室（示例）", audience_spec="district:hongqiao",
                                 capacity=2, actor="demo")
    await set_materials(ctx, study.id, link="https://study.example.org/linkage-demo/notes", name="学习辅导材料（示例）",
                        actor="demo")
    plan_id = await add_plan(ctx, title="主题教育读书班（示例）", start_date=day + timedelta(days=1), actor="demo", days=[
        ("self-study", "自学：通读学习材料第一、二章，摘录要点"),
        ("self-study", "自学：学习材料第三、四章，结合履职实际写学习笔记"),
        ("self-study", "自学：学习材料第五章，准备一个交流发言题目"),
        ("self-study+lecture", "上午自学第六章；下午第一场专题辅导"),
        ("lecture", "上午第二场专题辅导；下午第三场专题辅导"),
        ("discussion", "分组交流研讨：学习体会与履职建议"),
        ("discussion", "集中交流研讨，形成读书班学习成果"),
    ])
    return SampleCalendar({"study": study.id, "live": live.id, "training": training.id}, plan_id,
                          {s.id: s.checkin_code for s in (study, live, training)})


async def calendar_lines(conn, now: datetime, lang: str = "zh") -> list[str]:
    """The calendar as plain lines (for the demo's transcript): upcoming sessions with their
    counts and check-in codes, then the reading plans' days with their check-ins."""
    t = translator(lang)
    out = []
    for v in await list_sessions(conn, now):
        s, c = v.session, v.counts
        out.append(f"#{s.id} {show_span(s.starts_at, s.ends_at)} {t.plain(KINDS[s.kind])} · {s.title} · "
                   + t.plain("attending {attending} · excused {excused} · waiting {waiting} · checked in "
                             "{checked_in} · no answer {invited} · check-in code {code}", code=s.checkin_code, **c))
    for pv in await list_plans(conn):
        if pv.plan.status != "active":
            continue
        out.append(f"📖 {pv.plan.title}")
        for d in pv.days:
            out.append(f"   {d.on_date} {day_kinds(t, d.kinds)}: {d.assignment} ({pv.checkins.get(d.day_no, 0)} ✅)")
    return out
