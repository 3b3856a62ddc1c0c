#!/usr/bin/env bash
# Re-extract every translatable string from bot/ and handlers/ into handlers/locales/linkage.pot,
# then create or update the Chinese catalog handlers/locales/zh_CN/LC_MESSAGES/linkage.po.
# Afterwards, translate the new (empty) msgstr entries in the .po and run tests/test_i18n.py.
#
# Usage: scripts/update-catalog.sh        (PYBABEL=/path/to/pybabel to override)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [[ -z "${PYBABEL:-}" ]]; then
    if command -v pybabel >/dev/null 2>&1; then
        PYBABEL=pybabel
    elif [[ -x .venv/bin/pybabel ]]; then
        PYBABEL=.venv/bin/pybabel
    else
        PYBABEL=pybabel
    fi
fi

LOCALES=handlers/locales
DOMAIN=linkage
LOCALE=zh_CN
POT="$LOCALES/$DOMAIN.pot"
PO="$LOCALES/$LOCALE/LC_MESSAGES/$DOMAIN.po"

# An office operation's refusal is its error's first argument (handlers/core/errors.py), a roster
# row's problem RowError's second; tests/test_i18n.py reads this list and checks it is complete.
"$PYBABEL" extract -F babel.cfg \
    -k t -k plain -k at -k group_t -k N_ \
    -k AdminError -k StudyError -k NoticeError -k ChannelError -k ResearchError -k DeliberationError \
    -k ConsultationError -k OversightError -k RowError:2 \
    --no-location --sort-output \
    --project=Linkage \
    -o "$POT" bot handlers

if [[ -f "$PO" ]]; then
    "$PYBABEL" update -i "$POT" -d "$LOCALES" -D "$DOMAIN" -l "$LOCALE" \
        --no-fuzzy-matching --ignore-obsolete
else
    "$PYBABEL" init -i "$POT" -d "$LOCALES" -D "$DOMAIN" -l "$LOCALE"
    # Babel writes the expanded identifier (zh_Hans_CN); keep the plain one in the header.
    sed -i.bak -e 's/^"Language: .*\\n"$/"Language: zh_CN\\n"/' \
        -e 's/^"Language-Team: .*\\n"$/"Language-Team: zh_CN\\n"/' "$PO"
    rm -f "$PO.bak"
fi

# Report how much is translated (compiled to a throwaway file: the repository carries no .mo).
mo=$(mktemp)
trap 'rm -f "$mo"' EXIT
"$PYBABEL" compile --statistics -i "$PO" -o "$mo" -l "$LOCALE" -D "$DOMAIN" 2>&1 | grep -i translated || true
echo "Now translate the empty msgstr entries in $PO, then run: .venv/bin/python -m pytest tests/test_i18n.py -q"
