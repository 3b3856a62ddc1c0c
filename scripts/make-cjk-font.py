#!/usr/bin/env python3
"""Make the small Chinese font the charts use: handlers/fonts/LinkageSansSC-Regular.otf.

A subset of Noto Sans CJK SC Regular (SIL Open Font License 1.1, see handlers/fonts/OFL.txt)
holding ASCII, CJK punctuation and full-width forms, the 3,755 level-1 characters of GB 2312
(the common hanzi) and every character of the seeds and the Chinese catalog — so a topic,
district or label the office adds later still renders. Renamed "Linkage Sans SC" so it is never
mistaken for the full font (a modified version under the OFL; "Source" is the only reserved name).

Run it again after adding seeds or strings with characters outside that set:

    apt-get download fonts-noto-cjk && dpkg -x fonts-noto-cjk_*.deb /tmp/noto
    .venv/bin/python scripts/make-cjk-font.py /tmp/noto/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc

(fontTools is a dependency of matplotlib, so the venv has it.)
"""

from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection, TTFont

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "handlers" / "fonts" / "LinkageSansSC-Regular.otf"
FAMILY = "Linkage Sans SC"


def gb2312_level1() -> set[str]:
    chars = set()
    for high in range(0xB0, 0xD8):
        for low in range(0xA1, 0xFF):
            try:
                chars.add(bytes([high, low]).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    return chars


def wanted() -> set[str]:
    chars = {chr(c) for c in range(0x20, 0x7F)} | {chr(c) for c in range(0x3000, 0x3040)}
    chars |= {chr(c) for c in range(0xFF01, 0xFF5F)} | set("·—…“”‘’•×")
    chars |= gb2312_level1()
    sources = [*sorted((ROOT / "seeds").glob("*.yaml")), *sorted((ROOT / "seeds").glob("*.csv")),
               ROOT / "handlers" / "locales" / "zh_CN" / "LC_MESSAGES" / "linkage.po"]
    for path in sources:
        chars |= {c for c in path.read_text(encoding="utf-8") if ord(c) >= 0x2E80}
    return chars


def source_font(path: Path) -> TTFont:
    if path.suffix.lower() == ".ttc":
        for font in TTCollection(str(path)).fonts:
            if font["name"].getDebugName(1) == "Noto Sans CJK SC":
                return font
        raise SystemExit(f"no Noto Sans CJK SC in {path}")
    return TTFont(str(path))


def main(path: str) -> None:
    font = source_font(Path(path))
    cmap = font.getBestCmap()
    chars = wanted()
    missing = sorted(c for c in chars if ord(c) not in cmap and c.strip())
    options = subset.Options()
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.hinting = False
    options.desubroutinize = False
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[ord(c) for c in chars if ord(c) in cmap])
    subsetter.subset(font)
    names = font["name"]
    for record in list(names.names):
        if record.nameID in (1, 3, 4, 6, 16, 17, 21, 22):
            names.removeNames(nameID=record.nameID)
    names.setName(FAMILY, 1, 3, 1, 0x409)
    names.setName("Regular", 2, 3, 1, 0x409)
    names.setName(f"{FAMILY} Regular; subset of Noto Sans CJK SC for Linkage", 3, 3, 1, 0x409)
    names.setName(f"{FAMILY} Regular", 4, 3, 1, 0x409)
    names.setName("LinkageSansSC-Regular", 6, 3, 1, 0x409)
    if "CFF " in font:
        cff = font["CFF "].cff
        cff.fontNames = ["LinkageSansSC-Regular"]
        top = cff.topDictIndex[0]
        top.FullName, top.FamilyName = f"{FAMILY} Regular", FAMILY
    OUT.parent.mkdir(parents=True, exist_ok=True)
    font.save(str(OUT))
    print(f"{OUT.relative_to(ROOT)}: {len(cmap.keys() & {ord(c) for c in chars})} characters, "
          f"{OUT.stat().st_size / 1024:.0f} KiB" + (f"; not in the source font: {''.join(missing)}" if missing else ""))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    main(sys.argv[1])
