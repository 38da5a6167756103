"""Regenerate the golden feed fixtures in tests/data/feeds/ from the seed corpus.

    .venv/bin/python tests/data/make_feeds.py      (STMON_SHARED overrides ../shared)

Writes six feeds and, beside each, ``<feed>.expected.json`` with the normalised fields
the tests compare. The expected values are worked out here from the inputs (the clean
URL before tracking parameters were added, the paragraphs before they became HTML, the
UTC instant behind each local date), not by running stmon, so the tests can fail.

- rss20.xml        RSS 2.0, seeds 001-006: ttl, tracking params, CDATA content with a
                   script, no-guid item, no-date item, a date far in the future
- rss10.rdf        RSS 1.0, seeds 007-010: dc:date, dc:creator, dc:language
- atom.xml         Atom 1.0, seeds 011-014: text and html titles, updated-only entry
- jsonfeed.json    JSON Feed 1.1, seeds 015-018: content_html/content_text, no-id item
- rss20_euc-kr.xml Korean (seeds 001, 002, 018 in Korean), EUC-KR, no <language>
- rss20_shift_jis.xml Japanese (seeds 008, 015, 018 in Japanese), Shift_JIS
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import sys
import unicodedata
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path

# the shared material is found as the tests find it (tests/support/shared.py)
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.support.shared import shared_path

HERE = Path(__file__).resolve().parent
OUT = HERE / "feeds"
FETCHED = datetime(2025, 8, 20, tzinfo=UTC)
KST = timezone(timedelta(hours=9))
SITE = "https://news.example.org"
TRACKING = "utm_source=rss&utm_medium=feed&fbclid=IwAR0abc"
FUTURE = datetime(2031, 1, 1, 12, 0, tzinfo=KST)
# Seeds retold in Korean and Japanese: seed id -> (title, paragraphs).
KOREAN = {
    "seed-001": (
        "이재명 대통령, 23일 도쿄서 이시바 총리와 정상회담",
        [
            "이재명 대통령이 오는 23일 일본 도쿄를 방문해 이시바 시게루 총리와 정상회담을 "
            "갖는다고 대통령실이 밝혔다. 두 정상은 만찬을 겸한 회담에서 셔틀 외교 복원과 "
            "미래지향적 협력 방안을 논의할 예정이다.",
            "강유정 대변인은 이번 회담이 두 정상 간의 신뢰를 깊게 하고, 한일 국교 정상화 "
            "60주년의 의미를 되새기는 계기가 될 것이라고 말했다.",
        ],
    ),
    "seed-002": (
        "조현 외교장관, 일본 외무상과 첫 통화… 관계 강화 다짐",
        [
            "조현 외교부 장관은 24일 이와야 다케시 일본 외무상과 취임 후 첫 전화 통화를 하고 "
            "양국 관계를 안정적으로 발전시켜 나가기로 했다.",
            "두 장관은 한미일 3국 협력의 중요성에도 공감하고, 이른 시일 안에 직접 만나자고 "
            "뜻을 모았다.",
        ],
    ),
    "seed-018": (
        "한미일, 제주 인근 상공서 공중 연합훈련 실시",
        [
            "한국과 미국, 일본 공군이 18일 제주 인근 상공에서 미군 전략폭격기가 참여한 가운데 "
            "공중 연합훈련을 실시했다고 합동참모본부가 밝혔다.",
            "이번 훈련은 북한의 위협에 대응해 3국의 안보 협력을 강화하기 위한 것이다.",
        ],
    ),
}
JAPANESE = {
    "seed-008": (
        "石破首相、李在明大統領と初の電話会談　早期の対面会談で一致",
        [
            "石破茂首相は9日、韓国の李在明大統領と初めて電話で会談した。両首脳は日韓関係を"
            "安定的に発展させることで一致し、早期に対面で会談したいとの考えを伝え合った。",
            "会談は約25分間行われ、日米韓の連携の重要性も確認した。",
        ],
    ),
    "seed-015": (
        "日韓首脳、カナダで初の対面会談",
        [
            "石破首相と李在明大統領は17日、主要7か国首脳会議が開かれたカナダで初めて対面で"
            "会談した。",
            "両首脳は国交正常化60年の節目に、関係をさらに発展させる方針を確認した。",
        ],
    ),
    "seed-018": (
        "日米韓共同空中訓練を実施",
        [
            "日米韓の3か国は18日、朝鮮半島周辺の上空で共同訓練を実施した。航空自衛隊と韓国空軍、"
            "米空軍の戦闘機などが参加し、抑止力の強化を示した。",
        ],
    ),
}
_SENTENCE = re.compile(r"(?<=[.!?\"”])\s+(?=[A-Z\"“‘'(])")


def load_seeds() -> dict[str, dict[str, object]]:
    lines = shared_path("corpus", "seed-articles.jsonl").read_text(encoding="utf-8").splitlines()
    return {d["id"]: d for d in map(json.loads, filter(None, lines))}


def collapse(text: str) -> str:
    return " ".join(text.split())


def paragraphs(text: str, per: int = 3) -> list[str]:
    sentences = _SENTENCE.split(collapse(text))
    return [" ".join(sentences[i : i + per]) for i in range(0, len(sentences), per)]


def content_hash(title: str, text: str) -> str:
    def norm(s: str) -> str:
        return collapse(unicodedata.normalize("NFKC", s)).casefold()

    return hashlib.sha256(f"{norm(title)}\n{norm(text)}".encode()).hexdigest()


def seed_time(seed: dict[str, object]) -> datetime:
    """The seed's date at 09:30 KST; seeds without one get June 1 plus their number."""
    day = seed.get("published")
    number = int(str(seed["id"]).rsplit("-", 1)[1])
    base = datetime.fromisoformat(str(day)) if day else datetime(2025, 6, 1) + timedelta(number)
    return base.replace(hour=9, minute=30, tzinfo=KST)


def article(seed: dict[str, object], lang: str = "en") -> dict[str, object]:
    """One article: the inputs for a feed item and the normalised values it must yield."""
    sid = str(seed["id"])
    paras = paragraphs(str(seed["text"]))
    clean = f"{SITE}/2025/{sid}?page=1"
    when = seed_time(seed)
    title = collapse(str(seed["title"]))
    return {
        "id": sid,
        "title": title,
        "paras": paras,
        "author": str(seed["source"]),
        "link": clean.replace(SITE, "https://News.Example.ORG:443") + f"&{TRACKING}#top",
        "when": when,
        "expected": {
            "guid": f"urn:stmon:{sid}",
            "url": clean,
            "title": title,
            "summary": paras[0],
            "content": "\n".join(paras),
            "author": str(seed["source"]),
            "published": when.astimezone(UTC).isoformat(),
            "language": lang,
            "content_hash": content_hash(title, "\n".join(paras)),
        },
    }


def html_body(paras: list[str], extra: str = "") -> str:
    return "".join(f"<p>{html.escape(p)}</p>" for p in paras) + extra


def write(name: str, text: str, encoding: str, meta: dict[str, object], items: list) -> None:
    (OUT / name).write_bytes(text.encode(encoding))
    expected = {"fixture": name, "fetched": FETCHED.isoformat(), **meta}
    expected["items"] = [a["expected"] for a in items]
    dumped = json.dumps(expected, ensure_ascii=False, indent=2) + "\n"
    (OUT / f"{name}.expected.json").write_text(dumped, encoding="utf-8")


def rss_item(a: dict, *, guid: bool = True, date: bool = True, when: datetime | None = None) -> str:
    parts = [f"<title>{html.escape(a['title'])}</title>", f"<link>{html.escape(a['link'])}</link>"]
    if guid:
        parts.append(f'<guid isPermaLink="false">urn:stmon:{a["id"]}</guid>')
    if date:
        parts.append(f"<pubDate>{format_datetime(when or a['when'])}</pubDate>")
    parts.append(f"<dc:creator>{html.escape(a['author'])}</dc:creator>")
    parts.append(f"<description>{html.escape(html_body(a['paras'][:1]))}</description>")
    script = "<script>document.write('tracking')</script><style>p{color:red}</style>"
    body = html_body(a["paras"][:1]) + script + html_body(a["paras"][1:])
    parts.append(f"<content:encoded><![CDATA[{body}]]></content:encoded>")
    return "<item>\n  " + "\n  ".join(parts) + "\n</item>"


def make_rss20(seeds: dict) -> None:
    items = [article(seeds[f"seed-00{i}"]) for i in range(1, 7)]
    xml = [rss_item(items[0]), rss_item(items[1])]
    xml.append(rss_item(items[2], guid=False))
    items[2]["expected"]["guid"] = items[2]["expected"]["url"]
    xml.append(rss_item(items[3], date=False))
    items[3]["expected"]["published"] = FETCHED.isoformat()
    xml.append(rss_item(items[4], when=FUTURE))
    items[4]["expected"]["published"] = FETCHED.isoformat()
    xml.append(rss_item(items[5]))
    doc = (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/">\n<channel>\n'
        f"<title>Seoul-Tokyo Wire</title>\n<link>{SITE}/</link>\n"
        "<description>Korea-Japan news (fixture)</description>\n"
        "<language>en-us</language>\n<ttl>30</ttl>\n" + "\n".join(xml) + "\n</channel>\n</rss>\n"
    )
    meta = {"format": "rss20", "title": "Seoul-Tokyo Wire", "language": "en-us", "ttl_minutes": 30}
    write("rss20.xml", doc, "utf-8", meta, items)


def make_rss10(seeds: dict) -> None:
    items = [article(seeds[f"seed-{i:03d}"]) for i in range(7, 11)]
    xml = []
    for a in items:
        xml.append(
            f'<item rdf:about="urn:stmon:{a["id"]}">\n'
            f"  <title>{html.escape(a['title'])}</title>\n  <link>{html.escape(a['link'])}</link>\n"
            f"  <dc:date>{a['when'].isoformat()}</dc:date>\n"
            f"  <dc:creator>{html.escape(a['author'])}</dc:creator>\n"
            f"  <description>{html.escape(html_body(a['paras'][:1]))}</description>\n"
            f"  <content:encoded>{html.escape(html_body(a['paras']))}</content:encoded>\n</item>"
        )
        # RSS 1.0 has no guid: feedparser takes the item's rdf:about as its id
    seq = "".join(f'<rdf:li rdf:resource="urn:stmon:{a["id"]}"/>' for a in items)
    doc = (
        '<?xml version="1.0" encoding="utf-8"?>\n<rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/">\n'
        f'<channel rdf:about="{SITE}/rss10">\n<title>Japan Desk</title>\n<link>{SITE}/</link>\n'
        "<description>Japan-Korea headlines (fixture)</description>\n"
        "<dc:language>en</dc:language>\n"
        f"<items><rdf:Seq>{seq}</rdf:Seq></items>\n</channel>\n" + "\n".join(xml) + "\n</rdf:RDF>\n"
    )
    meta = {"format": "rss10", "title": "Japan Desk", "language": "en", "ttl_minutes": None}
    write("rss10.rdf", doc, "utf-8", meta, items)


def atom_entry(a: dict, *, published: bool = True) -> str:
    stamp = a["when"].isoformat()
    dates = f"<published>{stamp}</published>" if published else ""
    dates += f"<updated>{stamp}</updated>"
    return (
        f'<entry>\n  <title type="text">{html.escape(a["title"])}</title>\n'
        f'  <link rel="alternate" href="{html.escape(a["link"])}"/>\n'
        f"  <id>urn:stmon:{a['id']}</id>\n  {dates}\n"
        f"  <author><name>{html.escape(a['author'])}</name></author>\n"
        f'  <summary type="html">{html.escape(html_body(a["paras"][:1]))}</summary>\n'
        f'  <content type="html">{html.escape(html_body(a["paras"]))}</content>\n</entry>'
    )


def make_atom(seeds: dict) -> None:
    items = [article(seeds[f"seed-{i:03d}"]) for i in range(11, 15)]
    items[1]["title"] = items[1]["expected"]["title"] = items[1]["title"] + " <Seoul & Tokyo>"
    retitled = items[1]["expected"]
    retitled["content_hash"] = content_hash(retitled["title"], retitled["content"])
    entries = [atom_entry(a, published=i != 2) for i, a in enumerate(items)]
    doc = (
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" '
        'xml:lang="en">\n<title>Korea-Japan Monitor</title>\n<id>urn:stmon:atom</id>\n'
        f'<updated>2025-08-01T00:00:00Z</updated>\n<link rel="self" href="{SITE}/atom.xml"/>\n'
        + "\n".join(entries)
        + "\n</feed>\n"
    )
    meta = {
        "format": "atom10",
        "title": "Korea-Japan Monitor",
        "language": "en",
        "ttl_minutes": None,
    }
    write("atom.xml", doc, "utf-8", meta, items)


def make_jsonfeed(seeds: dict) -> None:
    items = [article(seeds[f"seed-{i:03d}"]) for i in range(15, 19)]
    out = []
    for i, a in enumerate(items):
        item: dict[str, object] = {
            "id": f"urn:stmon:{a['id']}",
            "url": a["link"],
            "title": a["title"],
        }
        if i == 1:
            item["content_text"] = "\n\n".join(a["paras"])
            a["expected"]["summary"] = ""
        else:
            item["content_html"] = html_body(a["paras"])
            item["summary"] = a["paras"][0]
        if i == 2:
            del item["id"]
            a["expected"]["guid"] = a["expected"]["url"]
        stamp = a["when"].isoformat()
        item["date_modified" if i == 3 else "date_published"] = stamp
        item["authors"] = [{"name": a["author"]}]
        out.append(item)
    doc = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "Seoul-Tokyo JSON",
        "home_page_url": f"{SITE}/",
        "language": "en",
        "items": out,
    }
    meta = {"format": "json11", "title": "Seoul-Tokyo JSON", "language": "en", "ttl_minutes": None}
    write(
        "jsonfeed.json", json.dumps(doc, ensure_ascii=False, indent=2) + "\n", "utf-8", meta, items
    )


def make_cjk(seeds: dict, texts: dict, lang: str, name: str, encoding: str, decl: str) -> None:
    items = []
    for sid, (title, paras) in texts.items():
        a = article(seeds[sid], lang=lang)
        a.update(title=title, paras=paras)
        a["expected"].update(
            title=collapse(title),
            summary=paras[0],
            content="\n".join(paras),
            content_hash=content_hash(collapse(title), "\n".join(paras)),
        )
        items.append(a)
    language = "<language>ja</language>\n" if lang == "ja" else ""
    title = {"ko": "한일 관계 뉴스", "ja": "日韓関係ニュース"}[lang]
    doc = (
        f'<?xml version="1.0" encoding="{decl}"?>\n<rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/">\n<channel>\n'
        f"<title>{title}</title>\n<link>{SITE}/{lang}/</link>\n<description>{title}</description>\n"
        + language
        + "\n".join(rss_item(a) for a in items)
        + "\n</channel>\n</rss>\n"
    )
    meta = {"format": "rss20", "title": title, "language": lang if language else None}
    write(name, doc, encoding, {**meta, "ttl_minutes": None}, items)


def main() -> None:
    seeds = load_seeds()
    OUT.mkdir(parents=True, exist_ok=True)
    make_rss20(seeds)
    make_rss10(seeds)
    make_atom(seeds)
    make_jsonfeed(seeds)
    make_cjk(seeds, KOREAN, "ko", "rss20_euc-kr.xml", "euc_kr", "EUC-KR")
    make_cjk(seeds, JAPANESE, "ja", "rss20_shift_jis.xml", "shift_jis", "Shift_JIS")


if __name__ == "__main__":
    main()
