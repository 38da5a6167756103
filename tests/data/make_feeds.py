"""Regenerate the golden feed fixtures in tests/data/feeds/ from the articles written here.

    .venv/bin/python tests/data/make_feeds.py

The articles below are invented for these fixtures (Seoul-Tokyo-like news in English,
Korean and Japanese); no outside text is read. Writes six feeds and, beside each,
``<feed>.expected.json`` with the normalised fields the tests compare. The expected values
are worked out here from the inputs (the clean URL before tracking parameters were added,
the paragraphs before they became HTML, the UTC instant behind each local date), not by
running stmon, so the tests can fail.

- rss20.xml        RSS 2.0, wire-001..006: ttl, tracking params, CDATA content with a
                   script, no-guid item, no-date item, a date far in the future
- rss10.rdf        RSS 1.0, wire-007..010: dc:date, dc:creator, dc:language
- atom.xml         Atom 1.0, wire-011..014: text and html titles, updated-only entry
- jsonfeed.json    JSON Feed 1.1, wire-015..018: content_html/content_text, no-id item
- rss20_euc-kr.xml Korean (ko-001..003), EUC-KR, no <language>
- rss20_shift_jis.xml Japanese (ja-001..003), Shift_JIS
"""

from __future__ import annotations

import hashlib
import html
import json
import unicodedata
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "feeds"
FETCHED = datetime(2025, 8, 20, tzinfo=UTC)
KST = timezone(timedelta(hours=9))
SITE = "https://news.example.org"
TRACKING = "utm_source=rss&utm_medium=feed&fbclid=IwAR0abc"
FUTURE = datetime(2031, 1, 1, 12, 0, tzinfo=KST)

# Invented articles: id -> (local date and time in KST, byline, title, paragraphs).
Story = tuple[str, str, str, list[str]]
ENGLISH: dict[str, Story] = {
    "wire-001": (
        "2025-08-05 09:30",
        "Seoul-Tokyo Wire",
        "Leaders to meet in Tokyo on Sept. 12, officials say",
        [
            "The South Korean president will travel to Tokyo on Sept. 12 for a one-day working "
            "visit and talks with the Japanese prime minister, officials in both capitals said "
            "on Tuesday.",
            "The two leaders are expected to discuss supply chains, a youth exchange programme "
            "and the timing of their next visits. A working dinner is planned after the talks.",
            '"The date is settled; the agenda is still being worked out," a Seoul official '
            "told reporters.",
        ],
    ),
    "wire-002": (
        "2025-08-06 14:10",
        "Seoul-Tokyo Wire",
        "Foreign ministers speak by phone ahead of regional forum",
        [
            "The foreign ministers of South Korea and Japan spoke by phone for about 30 minutes "
            "on Wednesday and agreed to meet in person at a regional forum next month.",
            "Both sides described the call as constructive and said working-level contacts "
            "would continue in the meantime.",
        ],
    ),
    "wire-003": (
        "2025-08-07 08:00",
        "Harbour Desk",
        "Fisheries talks to resume after a two-year pause",
        [
            "Fisheries officials from Seoul and Tokyo will hold their first round of talks in two "
            "years at the end of the month, the ocean ministry said on Thursday.",
            "The talks are to cover fishing conditions in each other's waters and catch quotas "
            "for mackerel and hairtail.",
        ],
    ),
    "wire-004": (
        "2025-08-08 11:45",
        "Business Desk",
        "Trade officials discuss export controls & chip materials",
        [
            "Trade officials of the two countries met in Seoul on Friday to review export "
            "controls on chip materials & related equipment.",
            "They agreed to keep a regular channel open and to meet again in Tokyo before the "
            "end of the year.",
        ],
    ),
    "wire-005": (
        "2025-08-09 18:20",
        "Culture Desk",
        "Festival in Busan celebrates decades of cultural exchange",
        [
            "A three-day festival opened in Busan on Saturday with dance troupes, film "
            "screenings and food stalls from both countries.",
            "Organisers expect more than 40,000 visitors, many of them students on exchange "
            "programmes.",
        ],
    ),
    "wire-006": (
        "2025-08-10 07:15",
        "Seoul-Tokyo Wire",
        "Defence officials agree to use their hotline more often",
        [
            "Senior defence officials of South Korea and Japan agreed on Sunday to test their "
            "military hotline monthly rather than once a quarter.",
            "The officials also discussed maritime safety and the exchange of information on "
            "missile launches.",
        ],
    ),
    "wire-007": (
        "2025-08-11 10:00",
        "Japan Desk",
        "Students from Busan and Fukuoka start a shared school term",
        [
            "Forty high school students from Busan and Fukuoka began a four-week shared term on "
            "Monday, taking classes in both cities.",
            "The programme, funded by the two city governments, is in its third year.",
        ],
    ),
    "wire-008": (
        "2025-08-12 16:30",
        "Japan Desk",
        "Ministers review progress on compensation fund for wartime workers",
        [
            "Officials reviewed on Tuesday how a foundation set up to compensate former wartime "
            "workers has paid out so far, and what remains.",
            "Some of the plaintiffs have accepted the payments; others have not, and their "
            "lawyers say they will keep pressing for an apology.",
        ],
    ),
    "wire-009": (
        "2025-08-13 06:50",
        "Japan Desk",
        "Coast guards hold a joint search-and-rescue drill",
        [
            "The coast guards of the two countries held a search-and-rescue drill off the "
            "southern coast on Wednesday, their first joint exercise in seven years.",
            "Two patrol ships and a helicopter from each side took part.",
        ],
    ),
    "wire-010": (
        "2025-08-14 12:00",
        "Opinion Desk",
        "Opinion: The quiet work of neighbours",
        [
            "Summits make the headlines, but most of what binds the two countries happens in "
            "town halls, classrooms and small firms.",
            "Those ties deserve as much attention as the next meeting of leaders.",
        ],
    ),
    "wire-011": (
        "2025-07-20 09:00",
        "Seoul-Tokyo Wire",
        "Visa waiver for short stays extended for another year",
        [
            "South Korea and Japan will keep their visa waiver for short stays for another year, "
            "the two foreign ministries said on Sunday.",
            "Travel between the two countries reached a record in the first half of the year.",
        ],
    ),
    "wire-012": (
        "2025-07-22 15:40",
        "Seoul-Tokyo Wire",
        "Lawmakers' friendship league meets in Seoul",
        [
            "Members of the two parliaments' friendship league met in Seoul on Tuesday for their "
            "annual general meeting.",
            "They adopted a statement calling for more exchanges between local assemblies.",
        ],
    ),
    "wire-013": (
        "2025-07-24 08:25",
        "Travel Desk",
        "Airlines add routes between regional cities",
        [
            "Three airlines will add flights between regional cities of the two countries "
            "from October, including new routes from Cheongju and Matsuyama.",
            "The carriers cited strong demand from weekend travellers.",
        ],
    ),
    "wire-014": (
        "2025-07-25 17:05",
        "Seoul-Tokyo Wire",
        "Historians' panel urges a joint study of school textbooks",
        [
            "A panel of historians from both countries recommended on Friday a joint study of "
            "how school textbooks describe the colonial period.",
            "The panel said the study should be published in both languages.",
        ],
    ),
    "wire-015": (
        "2025-07-28 21:00",
        "Seoul-Tokyo Wire",
        "Leaders hold first talks on the sidelines of an international summit",
        [
            "The leaders of South Korea and Japan held their first face-to-face talks on Monday "
            "on the sidelines of an international summit.",
            "They agreed to keep up regular visits and to work together on energy security.",
        ],
    ),
    "wire-016": (
        "2025-07-29 10:10",
        "Business Desk",
        "Business groups call for a longer currency swap deal",
        [
            "Business groups from both countries urged their governments on Tuesday to extend a "
            "currency swap arrangement that expires next year.",
            "They said a longer deal would help companies that trade in both currencies.",
        ],
    ),
    "wire-017": (
        "2025-07-30 13:35",
        "Seoul-Tokyo Wire",
        "Three navies hold a joint drill in waters south of the peninsula",
        [
            "Warships from South Korea, Japan and the United States held a joint drill south of "
            "the Korean Peninsula on Wednesday, the defence ministries said.",
            "The drill focused on missile defence and the tracking of submarines.",
        ],
    ),
    "wire-018": (
        "2025-07-31 09:55",
        "Travel Desk",
        "Tourist numbers between the two countries hit a record",
        [
            "More than 7 million trips were made between South Korea and Japan in the first half "
            "of the year, a record, tourism agencies said on Thursday.",
            "Young travellers and weekend trips drove the rise.",
        ],
    ),
}
KOREAN: dict[str, Story] = {
    "ko-001": (
        "2025-08-15 10:00",
        "해양수산팀",
        "한일 수산 당국, 2년 만에 어업 협상 재개",
        [
            "한국과 일본 수산 당국이 이달 말 서울에서 2년 만에 어업 협상을 다시 열기로 했다고 "
            "정부가 15일 밝혔다. 양측은 상대국 수역에서의 조업 조건과 어획 할당량을 논의한다.",
            '정부 관계자는 "실무 협의가 순조롭게 진행되고 있다"며 연내 타결을 기대한다고 말했다.',
        ],
    ),
    "ko-002": (
        "2025-08-16 09:20",
        "사회부",
        "부산·후쿠오카 고교생 교류 프로그램 올해도 열려",
        [
            "부산과 후쿠오카의 고등학생 마흔 명이 16일부터 4주 동안 두 도시를 오가며 "
            "함께 수업을 듣는다.",
            "두 시가 함께 비용을 대는 이 프로그램은 올해로 3년째다.",
        ],
    ),
    "ko-003": (
        "2025-08-17 14:40",
        "정치부",
        "한일 해경, 남해서 7년 만에 합동 수색구조 훈련",
        [
            "한국과 일본 해양경찰이 17일 남해 먼바다에서 합동 수색구조 훈련을 했다. "
            "두 나라 해경이 함께 훈련한 것은 7년 만이다.",
        ],
    ),
}
JAPANESE: dict[str, Story] = {
    "ja-001": (
        "2025-08-15 11:00",
        "経済部",
        "日韓の漁業交渉、2年ぶりに再開へ",
        [
            "日本と韓国の水産当局は今月末、ソウルで2年ぶりに漁業交渉を再開する。"
            "互いの水域での操業条件や漁獲枠が議題となる。",
            "関係者は「実務協議は順調に進んでいる」と話した。",
        ],
    ),
    "ja-002": (
        "2025-08-16 10:30",
        "社会部",
        "福岡と釜山の高校生、4週間の合同授業を開始",
        [
            "福岡と釜山の高校生40人が16日、両市を行き来しながら4週間一緒に授業を受ける"
            "プログラムを始めた。",
            "両市が費用を分担するこの事業は今年で3年目となる。",
        ],
    ),
    "ja-003": (
        "2025-08-17 15:10",
        "政治部",
        "日韓の海上保安機関、7年ぶりに合同捜索救助訓練",
        [
            "日本と韓国の海上保安機関は17日、対馬海峡の沖合で合同の捜索救助訓練を行った。",
        ],
    ),
}


def collapse(text: str) -> str:
    return " ".join(text.split())


def content_hash(title: str, text: str) -> str:
    def norm(s: str) -> str:
        return collapse(unicodedata.normalize("NFKC", s)).casefold()

    return hashlib.sha256(f"{norm(title)}\n{norm(text)}".encode()).hexdigest()


def article(sid: str, story: Story, lang: str = "en") -> dict[str, object]:
    """One article: the inputs for a feed item and the normalised values it must yield."""
    local, author, title, paras = story
    clean = f"{SITE}/2025/{sid}?page=1"
    when = datetime.fromisoformat(local).replace(tzinfo=KST)
    title = collapse(title)
    return {
        "id": sid,
        "title": title,
        "paras": paras,
        "author": author,
        "link": clean.replace(SITE, "https://News.Example.ORG:443") + f"&{TRACKING}#top",
        "when": when,
        "expected": {
            "guid": f"urn:stmon:{sid}",
            "url": clean,
            "title": title,
            "summary": paras[0],
            "content": "\n".join(paras),
            "author": author,
            "published": when.astimezone(UTC).isoformat(),
            "language": lang,
            "content_hash": content_hash(title, "\n".join(paras)),
        },
    }


def articles(ids: range) -> list[dict]:
    return [article(f"wire-{i:03d}", ENGLISH[f"wire-{i:03d}"]) for i in ids]


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


def make_rss20() -> None:
    items = articles(range(1, 7))
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


def make_rss10() -> None:
    items = articles(range(7, 11))
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


def make_atom() -> None:
    items = articles(range(11, 15))
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


def make_jsonfeed() -> None:
    items = articles(range(15, 19))
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


def make_cjk(texts: dict[str, Story], lang: str, name: str, encoding: str, decl: str) -> None:
    items = [article(sid, story, lang=lang) for sid, story in texts.items()]
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
    OUT.mkdir(parents=True, exist_ok=True)
    make_rss20()
    make_rss10()
    make_atom()
    make_jsonfeed()
    make_cjk(KOREAN, "ko", "rss20_euc-kr.xml", "euc_kr", "EUC-KR")
    make_cjk(JAPANESE, "ja", "rss20_shift_jis.xml", "shift_jis", "Shift_JIS")


if __name__ == "__main__":
    main()
