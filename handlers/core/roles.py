"""Who may do more than a member: office admins (委员学习和联络室: everything), liaisons (the
report cards of the targets they are listed for) and committee staff (专委会工作人员: the work of
their own special committee — its deliberation topics, its consultation meetings). A staff
member's committee is the roster's ``committee`` column. Every action checks one of these, never
the role string itself.

District office admins (区政协办公室工作人员, role ``district_admin``) work in the office's web
console (bot/console/) for their own district — the roster's ``district`` column — and nothing
else; in chat they are members. :func:`console_scope` gives everyone who may use the console the
:class:`Scope` every console query is filtered by."""

from __future__ import annotations

from dataclasses import dataclass

MEMBER, LIAISON, STAFF, ADMIN, DISTRICT_ADMIN = "member", "liaison", "staff", "admin", "district_admin"
ROLES = (MEMBER, LIAISON, STAFF, ADMIN, DISTRICT_ADMIN)
CITY, DISTRICT, COMMITTEE = "city", "district", "committee"


def is_admin(member) -> bool:
    return member is not None and member.role == ADMIN


def handles_reports(member) -> bool:
    """Liaisons and office admins: they act on report cards and look reports up (/find)."""
    return member is not None and member.role in (LIAISON, ADMIN)


def runs_committee(member, committee_code: str | None) -> bool:
    """May this member act for the committee: an office admin, or that committee's own staff."""
    if is_admin(member):
        return True
    return (member is not None and member.role == STAFF and committee_code is not None
            and member.committee_code == committee_code)


def staff_committee(member) -> str | None:
    """The committee a staff member works for (None for anyone else)."""
    return member.committee_code if member is not None and member.role == STAFF else None


@dataclass(frozen=True)
class Scope:
    """What a console user sees and manages: the whole city (office admins), one district (a
    district office's admin) or one special committee (its staff)."""

    kind: str  # city | district | committee
    district_code: str | None = None
    committee_code: str | None = None

    @property
    def district(self) -> str | None:
        """The district every query is limited to (None: no limit, or no district at all)."""
        return self.district_code if self.kind == DISTRICT else None

    @property
    def sees_reports(self) -> bool:
        return self.kind in (CITY, DISTRICT)

    def sees_item(self, item) -> bool:
        if self.kind == CITY:
            return True
        return self.kind == DISTRICT and item.district_code == self.district_code

    def sees_member(self, member) -> bool:
        if self.kind == CITY:
            return True
        if self.kind == DISTRICT:
            return member.district_code == self.district_code
        return member.committee_code == self.committee_code

    def sees_target(self, target) -> bool:
        """A group (target) this scope manages: a district's own port and street centres."""
        if self.kind == CITY:
            return True
        return self.kind == DISTRICT and target.district_code == self.district_code

    def sees_rule(self, rule) -> bool:
        """A routing rule this scope manages: one that matches only its own district."""
        if self.kind == CITY:
            return True
        return self.kind == DISTRICT and rule.district_code == self.district_code

    def sees_committee(self, committee_code: str | None) -> bool:
        return self.kind == CITY or (self.kind == COMMITTEE and committee_code == self.committee_code)


def console_scope(member) -> Scope | None:
    """The console scope of a member, or None when they may not use the console."""
    if member is None or not getattr(member, "active", True):
        return None
    if member.role == ADMIN:
        return Scope(CITY)
    if member.role == DISTRICT_ADMIN and member.district_code:
        return Scope(DISTRICT, district_code=member.district_code)
    if member.role == STAFF and member.committee_code:
        return Scope(COMMITTEE, committee_code=member.committee_code)
    return None


def uses_console(member) -> bool:
    return console_scope(member) is not None
