"""The `linkage` commands of the README's "Running it for real", against a real SQLite file."""

from __future__ import annotations

from click.testing import CliRunner

from bot.cli import main


def _linkage(database, *args: str):
    result = CliRunner().invoke(main, ["--database", str(database), *args], catch_exceptions=False)
    return result.exit_code, result.output


def test_the_office_sets_up_a_deployment_from_the_command_line(tmp_path):
    db = tmp_path / "linkage.db"
    code, out = _linkage(db, "seed")
    assert code == 0 and "districts: 16" in out
    roster = tmp_path / "roster.csv"
    roster.write_text("roster_id,name,level,district,street,sector,committee,role,language,liaison_for\n"
                      "Z001,测试委员,district,hongqiao,,,,member,zh,\n", encoding="utf-8")
    code, out = _linkage(db, "member", "import", str(roster))
    assert code == 0 and "Z001" in out
    code, out = _linkage(db, "invite", "Z001")
    assert code == 0 and out.startswith("https://t.me/") and "?start=" in out
    code, out = _linkage(db, "group", "bind-key", "district:hongqiao", "--kind", "district", "--district", "hongqiao")
    assert code == 0 and out.startswith("/bind ")
    code, out = _linkage(db, "liaison", "add", "H004", "district:hongqiao")
    assert code == 0
    code, out = _linkage(db, "route", "test", "--topic", "smart_parking", "--district", "hongqiao",
                         "--street", "hongqiao_xiyuzhuang")
    # nothing is bound yet: every target the walk picks, marked, the city topic group as watch; and where now
    assert code == 0 and "→ street:hongqiao_xiyuzhuang (not bound), district:hongqiao (not bound); " \
                         "watch (知悉): topic:smart_parking (not bound)\n" in out
    assert "→ now, with the groups bound so far: nowhere yet (the item would wait)" in out
    code, out = _linkage(db, "group", "bind-key", "sector:economics", "--kind", "sector")  # a cross-sector group
    assert code == 0 and out.startswith("/bind ")
    code, out = _linkage(db, "route", "add", "sector:economics", "--sector", "economics", "--continue",
                         "--no-watch", "--position", "5")
    assert code == 0 and out.startswith("rule #")
    rule_id = out.split("#")[1].split()[0]
    code, out = _linkage(db, "route", "test", "--topic", "smart_parking", "--district", "hongqiao", "--sector", "经济界")
    assert code == 0 and "→ sector:economics (not bound), district:hongqiao (not bound); watch (知悉): " in out
    code, out = _linkage(db, "route", "list")
    assert f"#{rule_id} pos 5: sector=economics → sector:economics (unbound) [continue] [no watch]" in out
    code, out = _linkage(db, "route", "watch", rule_id, "on")
    assert code == 0 and f"#{rule_id} pos 5: sector=economics → sector:economics (unbound) [continue] [watch]" \
        in _linkage(db, "route", "list")[1]
    code, out = _linkage(db, "route", "add", "topic:smart_elderly_care", "--tag", "适老", "--continue", "--position", "1")
    assert code == 0 and "added" in out
    code, out = _linkage(db, "route", "test", "--topic", "gov_services", "--tag", "elderly_friendly")
    assert "→ topic:smart_elderly_care (not bound), topic:gov_services (not bound)" in out  # the tag rule, then the topic's
    code, out = _linkage(db, "route", "list")
    assert "tag=elderly_friendly → topic:smart_elderly_care (unbound) [continue] [watch]" in out
    for group in (["study", "list"], ["notice", "list"], ["holidays", "list", "--year", "2026"], ["outbox"],
                  ["route", "list"]):
        code, out = _linkage(db, *group)
        assert code == 0, (group, out)


def test_mistakes_get_a_clear_message_and_change_nothing(tmp_path):
    db = tmp_path / "linkage.db"
    _linkage(db, "seed")
    code, out = _linkage(db, "invite", "NOBODY")
    assert code != 0 and "NOBODY" in out and "Traceback" not in out
    bad = tmp_path / "bad.csv"
    bad.write_text("roster_id,name,level,district\nY1,某委员,district,atlantis\n", encoding="utf-8")
    code, out = _linkage(db, "member", "import", str(bad))
    assert code != 0 and "nothing was imported" in out
    code, out = _linkage(db, "route", "test", "--topic", "no_such_topic")
    assert code != 0 and "Traceback" not in out


def test_a_rule_a_stop_rule_above_would_leave_nothing_is_refused(tmp_path):
    """`linkage route add` refuses a rule shadowed by an earlier stop rule (in English, naming it),
    takes it before that rule, and refuses moving it below again."""
    db = tmp_path / "linkage.db"
    _linkage(db, "seed")
    before = _linkage(db, "route", "list")[1]
    port = next(line for line in before.splitlines() if "Hongqiao pilot: district port" in line).split()[0][1:]
    code, out = _linkage(db, "route", "add", "district:hongqiao", "--topic", "smart_parking", "--district", "hongqiao")
    assert code != 0 and f"this rule could never match: rule #{port}, earlier in the table, stops the routing" in out
    assert _linkage(db, "route", "list")[1] == before  # nothing written
    code, out = _linkage(db, "route", "add", "district:hongqiao", "--topic", "smart_parking", "--district", "hongqiao",
                         "--before", port)
    assert code == 0 and out.startswith("rule #")
    rule_id = out.split("#")[1].split()[0]
    table = _linkage(db, "route", "list")[1].splitlines()
    ours = next(i for i, line in enumerate(table) if line.startswith(f"#{rule_id} "))
    assert table[ours + 1].startswith(f"#{port} ")
    code, out = _linkage(db, "route", "move", rule_id, "--down")
    assert code != 0 and f"rule #{port}, earlier in the table" in out
    code, out = _linkage(db, "route", "edit", port, "--topic", "smart_parking")  # now ours takes all the port's
    assert code != 0 and f"this rule could never match: rule #{rule_id}, earlier in the table" in out
    code, out = _linkage(db, "route", "add", "sector:economics", "--sector", "economics", "--continue")
    assert code == 0 and out.startswith("rule #")  # at the end, and no stop rule above takes all its items
