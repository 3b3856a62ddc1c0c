"""Serving members (服务委员, issue 11): ``/guide`` — a new member's guide, pages the office
writes and edits (``guide``) — and ``/contacts`` — the directory of the liaison office, the
districts' liaison centres and the committees' offices, each member seeing those of their level
and district (``contacts``). Their text lives in the database (storage/serving.py), seeded from
seeds/guide.yaml and seeds/contacts.yaml; ``markup`` renders the guide's small Markdown."""

from handlers.core.feature import Feature
from handlers.core.i18n import N_
from handlers.serving import contacts, guide

FEATURE = Feature(
    name="serving",
    commands={"guide": guide.cmd_guide, "contacts": contacts.cmd_contacts},
    buttons={guide.PAGE: guide.on_page},
    menu=[("guide", N_("A new member's guide (新委员履职指南)"), None), ("contacts", N_("Contacts (联系方式)"), None)],
    help=[(None, N_("/guide — a new member's guide: studying, duty skills, proposals and 社情民意信息")),
          (None, N_("/contacts — how to reach the liaison office, your district's liaison centre and the special committees"))],
)
