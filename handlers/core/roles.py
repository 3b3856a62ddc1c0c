"""Who may do more than a member: office admins (委员学习和联络室: everything), liaisons (the
report cards of the targets they are listed for) and committee staff (专委会工作人员: the work of
their own special committee — its deliberation topics, its consultation meetings). A staff
member's committee is the roster's ``committee`` column. Every action checks one of these, never
the role string itself."""

from __future__ import annotations

MEMBER, LIAISON, STAFF, ADMIN = "member", "liaison", "staff", "admin"
ROLES = (MEMBER, LIAISON, STAFF, ADMIN)


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
