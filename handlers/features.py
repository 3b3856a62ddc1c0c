"""Every feature: the one place that knows them all.
To add a feature, declare a ``FEATURE`` in its package (handlers/core/feature.py) and list it
here; the registry refuses a command, button prefix, flow or timer kind claimed twice."""

from handlers import (channels, console, consultation, deliberation, digests, members, notices, office, oversight,
                      points, privacy, publicity, reports, research, selfservice, serving, study)
from handlers.core.feature import Registry

FEATURES = [  # also the order of the command menus (handlers/core/menus.py)
    reports.FEATURE,   # 社情民意信息: submit, /my, cards, deadlines, co-signers
    office.FEATURE,    # binding groups
    study.FEATURE,     # the study calendar
    notices.FEATURE,   # 通知公告
    deliberation.FEATURE,  # 网络议政
    consultation.FEATURE,  # 远程协商: consultation meetings
    research.FEATURE,  # 调查研究: research projects
    oversight.FEATURE,  # 民主监督: oversight items, department replies, ratings, inspections
    digests.FEATURE,   # digests, /settings, /stats
    points.FEATURE,    # 积分 and the duty record (履职档案)
    privacy.FEATURE,   # /mydata, retention
    serving.FEATURE,   # 服务委员: /guide, /contacts
    selfservice.FEATURE,  # /calendar, /phone, the yearly summary
    channels.FEATURE,  # 工作信息、政协动态、党建专栏: channels, feeds
    publicity.FEATURE,  # the week's publicity draft
    members.FEATURE,   # joining, help, language, cancel
    console.FEATURE,   # /console: a sign-in link to the office's web console
]
REGISTRY = Registry(FEATURES)
