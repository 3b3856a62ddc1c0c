"""The core flow on PostgreSQL (the scale-out store), end to end over the sandbox."""

from __future__ import annotations

from tests import test_core_flow


async def test_report_routed_claimed_and_answered_on_postgres(pg_stack):
    await test_core_flow.test_liaison_claims_asks_replies_and_records_adopted_while_the_member_watches(pg_stack)


async def test_anonymous_street_report_on_postgres(pg_stack):
    await test_core_flow.test_anonymous_street_report_reaches_port_and_sub_port_without_the_name(pg_stack)


async def test_escalation_on_postgres(pg_stack):
    await test_core_flow.test_district_item_escalated_to_the_city_and_the_member_sees_the_reason(pg_stack)
