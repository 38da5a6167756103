"""The shipped rules on a second probe corpus: whole articles, not headlines.

tests/data/classify/probe-articles.jsonl holds 34,646 items (13,164 English, 10,741 Korean,
10,741 Japanese) written for stmon in four hundred and ninety-five batches from the definitions and
labelling rules of shared/event-types.md alone, without the rules in view: wire and
newspaper reports, broadcasters, government readouts, briefings, live blogs, newsletters
and roundups, editorials and analysis of 2013-2026, with the event stated in the headline, in its
outcome, or in a sentence under a headline about something else; 8,207 of them are near
misses (Korea-US, Japan-US, Korea-China and Japan-China meetings and trade, elections,
markets, charts, sports, disasters, domestic news of a deputy or former prime minister).
The wording is invented: it reports no real article.

It measures what the rules do on text they were not written against. Before the rules
were edited with a batch in view: micro F1 0.85 (first batch), 0.82 (second), 0.83
(third, totals alone read), 0.82 (fourth; its sealed half 0.81 before and 0.83 after
the edits made without it), 0.86 (fifth), 0.88 (sixth, read as totals alone: 0.92 with
the rules of its round's end). The seventh to thirteenth batches were written in one
round (with the fourteenth): the eighth and twelfth were read as totals alone, with the
rules of the round's start and of its end (0.82 -> 0.86 and 0.89 -> 0.91); the others
were answered one after the other, each first read with the rules as they stood (the
ninth 0.87, the eleventh 0.82 in English and 0.97 in Korean and Japanese, the
thirteenth 0.80 and 0.87, the fourteenth 0.81 and 0.88). The fifteenth to twenty-fourth
were written in one round: the sixteenth and twenty-second were read as totals alone
(0.88 and 0.87 with the rules of the round's start, 0.89 and 0.87 with its end; the
eighth and twelfth together 0.886 -> 0.888); the others were answered one after the
other, first read at 0.84-0.92. The twenty-fifth to thirty-second were written in one
round: the twenty-sixth, twenty-ninth and thirty-second were read as totals alone (0.884
together with the rules of the round's start, 0.892 with its end); the others were first
read at 0.83-0.92. The thirty-third to fortieth, in the same round, are long articles
(900-1,500 characters) whose background recalls earlier meetings and disputes: the
thirty-fourth, thirty-seventh and fortieth were read as totals alone (0.823 -> 0.830),
the others first read at 0.71-0.85 (precision 0.60-0.79: background counted as news).
The forty-first to forty-sixth were written in one round as the opening text of a
published page (300-1,800 characters): the forty-third and forty-sixth were read as
totals alone (0.888 -> 0.891); the others were first read at 0.81-0.91 (the forty-fifth,
editorials, analysis and changes of leader, the lowest). The forty-seventh to fifty-second,
in the same round, after the first edits: the forty-ninth and fifty-second read as totals
alone (0.937 before and after the round's second edits), the others first read at
0.86-0.92 (the forty-seventh short briefs of 200-700 characters). The fifty-third to
fifty-eighth, after the second edits: the fifty-fifth and fifty-eighth read as totals
alone (0.908 with the rules of the round's start, 0.911 after its second and third
edits), the others first read at 0.84-0.90 (the fifty-third, opinion pages, the lowest).
The fifty-ninth to seventieth were written in one round: the sixty-first, sixty-fourth,
sixty-sixth, sixty-eighth and sixty-ninth read as totals alone (0.817 with the rules of
the round's start, 0.866 with its end: the type's lead, see docs/rules.md; the long
articles of the sixty-first and sixty-sixth 0.70 -> 0.83 and 0.75 -> 0.81), the others
first read at 0.79-0.94 (the sixtieth and sixty-fifth, long articles of 1,800-3,500
characters, 0.79; the sixty-second, briefs of 120-450 characters, 0.94). The
seventy-first to seventy-fourth, at the round's end: the seventy-second (opening text)
and seventy-fourth (long) read as totals alone (0.889 -> 0.897 and 0.731 -> 0.825), the
seventy-first (opening text) and seventy-third (long) first read at 0.912 and 0.855.
The seventy-fifth to ninety-second were written in one round: the seventy-sixth,
seventy-eighth, seventy-ninth, eighty-second, eighty-third, eighty-fifth, eighty-seventh
and ninetieth read as totals alone (see docs/benchmarks.md, the twenty-fifth round; the
ninetieth, a single sentence of news under a headline about something else, 0.66), the
others first read at 0.69-0.96 (the ninety-first and ninety-second, of the ninetieth's
kind, 0.70 and 0.69; feed items and briefs 0.95-0.96).
The ninety-third to ninety-ninth, the opening text of published pages (200-1,800
characters), were written in one round: the ninety-third (every type), ninety-sixth
(leaders and ministers of every era), ninety-eighth (half of them hard near misses) and
ninety-ninth (former leaders and officials beside the sitting ones) read as totals alone
(0.888 together with the rules of the round's start, 0.889 with its end), the
ninety-fourth (former leaders), ninety-fifth (short Korean and Japanese reports) and
ninety-seventh (the issue types) first read at 0.888, 0.889 and 0.927.
The hundredth to hundred-and-twenty-seventh were written in one round, in four sets of
seven, each set written after the edits the one before prompted. In each set four were
read as totals alone: the hundredth (every type), hundred-and-third (briefs of 80-600
characters), hundred-and-fourth (Korean and Japanese papers) and hundred-and-sixth
(headline-outcome reports), 0.927 with the rules of the round's start, 0.929 with its
end; the hundred-and-seventh (every type), ninth (Korean and Japanese papers), eleventh
(half near misses) and thirteenth (leaders and ministers), 0.901 with the rules of the
round's start, 0.904 when written, after the first set's edits, and at its end; the
hundred-and-fourteenth, sixteenth, eighteenth and twentieth (the same four kinds), 0.891
when written, 0.892 at the round's end; the hundred-and-twenty-first, third, fifth and
seventh (the same four kinds), 0.905 when written and at the round's end. The others
were first read at 0.80-0.93 (the hundred-and-first, eighth and twenty-second, one
sentence of news under a headline about something else, 0.80, 0.83 and 0.83).
The hundred-and-twenty-eighth to hundred-and-forty-first were written in one round, in
two sets of seven, the second written after the edits the first prompted. In each set
four were read as totals alone: the hundred-and-twenty-eighth (every type), thirtieth
(Korean and Japanese papers), thirty-second (half near misses) and thirty-fourth (leaders
and ministers), 0.881 with the rules of the round's start, 0.883 at its end; the
hundred-and-thirty-fifth, seventh, ninth and forty-first (the same four kinds), 0.929 with
the rules of the round's start, 0.932 when written, 0.933 at the round's end. The others
were first read at 0.82-0.91 (the hundred-and-twenty-ninth and thirty-sixth, one sentence
of news under a headline about something else, 0.82 and 0.84; the hundred-and-thirty-first
and thirty-eighth, long articles of 1,500-3,000 characters, 0.89 and 0.89).
The hundred-and-forty-second to hundred-and-fifty-ninth were written in one round, in
three sets of six, each written after the edits the one before prompted. In each set
three were read as totals alone: the hundred-and-forty-second (every type),
forty-fourth (the issue types) and forty-sixth (Korean and Japanese papers), 0.887 with
the rules of the round's start, 0.895 at its end; the hundred-and-forty-eighth (every
type), fiftieth (Korean and Japanese papers) and fifty-second (leaders and ministers),
0.906 with the rules of the round's start, 0.907 when written and at the round's end;
the hundred-and-fifty-fourth (every type), fifty-sixth (headline-outcome reports) and
fifty-eighth (half near misses), 0.936 with the rules of the round's start, 0.941 when
written, 0.943 at its end. The others were first read at 0.75-0.92 (the
hundred-and-forty-third, changes of government and their bilateral angle, 0.75; the
hundred-and-forty-fifth, one sentence of news under a headline about something else,
0.85; the hundred-and-fifty-fifth, officials below the ministers, 0.85).
The hundred-and-sixtieth to hundred-and-seventy-seventh were written in one round, in
three sets of six, the same way. Read as totals alone: the hundred-and-sixtieth (every
type), sixty-second (Korean and Japanese papers) and sixty-fourth (long articles), 0.893
with the rules of the round's start, 0.895 at its end; the hundred-and-sixty-sixth (every
type), sixty-eighth (headline-outcome reports) and seventieth (half near misses), 0.932
with the rules of the round's start, 0.930 at its end; the hundred-and-seventy-second
(every type), seventy-fourth (long articles) and seventy-sixth (one sentence of news under
a headline about something else), 0.905 with the rules of the round's start and at its
end. The others were first read at 0.79-0.99 (the hundred-and-sixty-ninth, one sentence
of news under a headline about something else, 0.79; the hundred-and-sixty-fifth, briefs
of 80-400 characters, 0.99).
The hundred-and-seventy-eighth to hundred-and-eighty-third, written in the same round, are
pages' text as a scraper extracts it (datelines, bylines, photo captions, share labels,
copyright lines and lists of related headlines that name other Korea-Japan events; live
blogs and roundups; government press releases): the hundred-and-seventy-eighth,
eightieth and eighty-second, read as totals alone, 0.886 before the text ended at a
heading of related stories, 0.906 after it; the others 0.836 -> 0.903.
The hundred-and-eighty-fourth to hundred-and-eighty-ninth were written in one round, as
the opening text of a published page. Read as totals alone: the hundred-and-eighty-fourth
(every type), eighty-sixth (Korean and Japanese papers) and eighty-eighth (headline-outcome
reports, and one sentence of news under a headline about something else), 0.882 with the
rules of the round's start, 0.885 at its end (the eighty-eighth 0.813). The others were
first read at 0.84-0.93 (the hundred-and-eighty-ninth, half hard near misses, 0.84). The
hundred-and-ninetieth to ninety-fifth were written in the same round after its first
edits: read as totals alone, the hundred-and-ninetieth (every type), ninety-second
(Korean and Japanese papers) and ninety-fourth (one sentence of news under a headline about
something else, the other side named once), 0.848 with the rules of the round's start,
0.850 when written and at its end (the ninety-fourth 0.697, relevance 66 %: most of its
misses are the topic gate's two body mentions). The others were first read at 0.69-0.94
(the hundred-and-ninety-first, of the ninety-fourth's kind, 0.69).
The hundred-and-ninety-sixth to two-hundred-and-seventh were written in one round, in two
sets of six. Read as totals alone, with the rules of the round's start and of its end:
the hundred-and-ninety-sixth and two-hundred-and-second (every type), ninety-eighth (a
third of them editorials and analysis), two-hundred-and-fourth (Korean and Japanese
papers), and two-hundredth and two-hundred-and-sixth (headline-outcome reports, and one
or two sentences of news under a headline about something else), 0.887 both ways (the
two of one sentence 0.842). The others were first read at 0.80-0.96 (the
hundred-and-ninety-seventh, changes of government, 0.80: its writer labels a new
leader's first call a change of government, which the seed corpus does not).
The two-hundred-and-eighth to two-hundred-and-nineteenth were written in one round, in two
sets of six, with the same briefs as the twelve before. Read as totals alone, with the
rules of the round's start and of its end: the two-hundred-and-eighth and
two-hundred-and-fourteenth (every type), tenth (a third of them editorials and analysis),
sixteenth (Korean and Japanese papers), and twelfth and eighteenth (headline-outcome
reports, and one or two sentences of news under a headline about something else), 0.890
-> 0.891 (the two of one sentence 0.830 -> 0.830 and 0.879 -> 0.873). The others were
first read at 0.77-0.94 (the two-hundred-and-ninth, changes of government, 0.77).
The two-hundred-and-twentieth to two-hundred-and-thirty-first were written later in the
same round with the same twelve briefs; the six sealed among them (the twentieth,
twenty-second, twenty-fourth, twenty-sixth, twenty-eighth and thirtieth), read as totals
alone with the rules of the round's start and of its end, 0.893 -> 0.894 (the two of one
sentence 0.886 -> 0.886 and 0.820 -> 0.824); the first six, read again with the round's
final rules, 0.892. The others read 0.79-0.97 with the round's final rules (the
two-hundred-and-twenty-first, changes of government, 0.79).
The two-hundred-and-thirty-second to two-hundred-and-forty-third were written in one round
with the same twelve briefs. Read as totals alone, with the rules of the round's start and
of its end: the thirty-second, thirty-fourth and thirty-sixth, 0.879 -> 0.879; the
thirty-eighth, fortieth and forty-second, 0.883 -> 0.883 (relevance 93 % in both). The
others read 0.82-0.96 with the round's final rules (the thirty-third, changes of
government, 0.82).
The two-hundred-and-forty-fourth to two-hundred-and-fifty-fifth were written in one round
with the same twelve briefs. Read as totals alone, with the rules of the round's start and
of its end: the forty-fourth, forty-sixth and forty-eighth, 0.900 -> 0.900; the fiftieth,
fifty-second and fifty-fourth, 0.905 -> 0.905 (none of the round's edits touches them).
The others read 0.77-0.91 with the round's final rules (the forty-fifth, changes of
government, 0.77).
The two-hundred-and-fifty-sixth to two-hundred-and-seventy-ninth were written in one round
with the same twelve briefs, in two sets of twelve, the second after the first set's edits.
Read as totals alone, with the rules of the round's start and of its end: the fifty-sixth,
fifty-eighth and sixtieth, 0.898 -> 0.900; the sixty-second, sixty-fourth and sixty-sixth,
0.935 -> 0.935; the sixty-eighth, seventieth and seventy-second, 0.918 -> 0.918; the
seventy-fourth, seventy-sixth and seventy-eighth, 0.923 -> 0.924. The others read
0.82-0.96 with the round's final rules (the fifty-seventh and sixty-ninth, changes of
government, 0.82 and 0.81).
The two-hundred-and-eightieth to three-hundred-and-eleventh were written in one round
with the same twelve briefs, in three sets (twelve, twelve and eight), each set read after
the edits the set before it prompted. Read as totals alone, with the rules of the round's
start and of its end: the twelve sealed batches (840 items; the eightieth, eighty-second,
eighty-fourth, eighty-sixth, eighty-eighth, ninetieth, ninety-second, ninety-fourth,
ninety-sixth, ninety-eighth, three-hundredth and three-hundred-and-second) and the four of
the third set (the fourth, sixth, eighth and tenth), 1,120 items in all, 0.917 -> 0.919.
The open ones read 0.77-0.98 with the round's final rules (the eighty-first and the
three-hundred-and-fifth, changes of government, 0.77 and 0.81; the eighty-ninth, opinion
only, 0.79).
The three-hundred-and-twelfth to three-hundred-and-forty-third were written in one round
with six of the same briefs (some set mostly in 2013-2019, some half government readouts
and briefings, some leaning to parliamentarians, local governments and business lobbies or
to broadcasters' pages), in four sets of eight, each set read after the edits the set
before it prompted. Read as totals alone, with the rules of the round's start and of its
end: the first set's four sealed batches (the twelfth to eighteenth, even) 0.893 -> 0.894,
the second set's (the twentieth to twenty-sixth) 0.896 -> 0.900, the third set's (the
twenty-eighth to thirty-fourth) 0.888 -> 0.888, the fourth set's (the thirty-sixth to
forty-second, written after the last edits) 0.902 both ways; 1,120 items in all, 0.895 ->
0.896. The open ones read 0.86-0.98 with the round's final rules (the
three-hundred-and-twenty-fifth, opinion and analysis of 2013-2019, 0.86).
The three-hundred-and-forty-fourth to three-hundred-and-seventy-fifth were written in one
round with the same six briefs (some set half in 2023-2026), in four sets of eight, each
set read after the edits the set before it prompted. Read as totals alone, with the rules
of the round's start and of its end: the first set's four sealed batches (the
forty-fourth to fiftieth, even) 0.931 -> 0.933, the second set's (the fifty-second to
fifty-eighth) 0.923 -> 0.923, the third set's (the sixtieth to sixty-sixth) 0.915 ->
0.917, the fourth set's (the sixty-eighth to seventy-fourth) 0.918 -> 0.921; 1,120 items
in all, 0.922 -> 0.923. The open ones read 0.89-0.97 with the round's final rules (the
three-hundred-and-forty-seventh and fifty-fifth, opinion and analysis, 0.89).
The three-hundred-and-seventy-sixth to four-hundred-and-fifteenth were written in one round
with the same six briefs, in five sets of eight, each set read after the edits the set
before it prompted. Read as totals alone, with the rules of the round's start and of its
end: the first set's four sealed batches (the seventy-sixth to eighty-second, even) 0.922
-> 0.922, the second set's (the eighty-fourth to ninetieth) 0.908 -> 0.908, the third
set's (the ninety-second to ninety-eighth) 0.886 -> 0.886, the fourth set's (the
four-hundredth to sixth) 0.913 -> 0.911, the fifth set's (the eighth to fourteenth) 0.919
-> 0.919; 1,400 items in all, 0.910 -> 0.909: the round's edits did not carry over to the
sealed batches. The open ones read 0.88-0.98 with the round's final rules (the
three-hundred-and-seventy-ninth, opinion and analysis, 0.89; the four-hundred-and-fifteenth,
readouts and briefings in Korean and Japanese, 0.88).
The four-hundred-and-sixteenth to forty-seventh were written in one round with the same six
briefs, in four sets of eight, each set read after the edits the set before it prompted.
Read as totals alone, with the rules of the round's start and of its end: the first set's
four sealed batches (the sixteenth to twenty-second, even) 0.914 -> 0.917, the second
set's (the twenty-fourth to thirtieth) 0.904 -> 0.907, the third set's (the thirty-second
to thirty-eighth) 0.918 -> 0.919, the fourth set's (the fortieth to forty-sixth, written
after the round's main edits) 0.916 -> 0.917; 1,120 items in all, 0.913 -> 0.915. The
open ones read 0.89-0.97 with the round's final rules (the four-hundred-and-nineteenth,
opinion and analysis, 0.89).
The four-hundred-and-forty-eighth to seventy-first were written in one round with the same
briefs, in three sets of eight, the second written while the first was read, the third
after the first edits. Read as totals alone, with the rules of the round's start and of
its end: the first set's four sealed batches (the forty-eighth to fifty-fourth, even)
0.927 -> 0.927, the second set's (the fifty-sixth to sixty-second) 0.917 -> 0.917, the
third set's (the sixty-fourth to seventieth) 0.897 -> 0.897: the round's edits changed no
verdict of the 840 sealed items (0.913). The open ones read 0.922 -> 0.926,
0.925 -> 0.932 and 0.894 -> 0.895.
The four-hundred-and-seventy-second to ninety-fifth were written in one round with the
same briefs, in three sets of eight, the second written while the first was read, the
third after the first edits. Read as totals alone, with the rules of the round's start
and of its end: the first set's four sealed batches (the seventy-second to seventy-eighth,
even) 0.920 -> 0.922, the second set's (the eightieth to eighty-sixth) 0.918 -> 0.918,
the third set's (the eighty-eighth to ninety-fourth) 0.933 -> 0.933; 840 items in all,
0.924 -> 0.924. The open ones read 0.891 -> 0.892, 0.885 -> 0.896 and 0.907 -> 0.911.
The floors sit a few items below what the rules reach now.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.classify import RuleSet, load_rules
from monitor.classify.evaluate import LabelledItem, evaluate, read_corpus

CORPUS = Path(__file__).resolve().parent / "data" / "classify" / "probe-articles.jsonl"
RULES = Path(__file__).resolve().parents[1] / "config" / "rules" / "seoul-tokyo.yaml"

# (relevance accuracy, micro F1): reached 0.9747 / 0.9138 overall; F1 en 0.896, ko 0.928,
# ja 0.923 (with the rules of the round before: 0.9745 / 0.9132; 0.896, 0.927, 0.922)
OVERALL = (0.96, 0.89)
PER_LANGUAGE_F1 = {"en": 0.88, "ko": 0.90, "ja": 0.90}


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return load_rules(RULES)


@pytest.fixture(scope="module")
def items() -> list[LabelledItem]:
    return read_corpus(CORPUS)


def test_probe_articles_cover_every_type_and_language(
    rules: RuleSet, items: list[LabelledItem]
) -> None:
    labelled = {label for item in items for label in item.labels}
    assert labelled == {t.id for t in rules.types}
    for lang in PER_LANGUAGE_F1:
        mine = [item for item in items if item.lang == lang]
        assert len(mine) >= 10741
        assert sum(not item.relevant for item in mine) >= 2477


def test_probe_articles_overall(rules: RuleSet, items: list[LabelledItem]) -> None:
    report = evaluate(rules, items)
    assert report.relevance_accuracy >= OVERALL[0]
    assert report.micro.f1 >= OVERALL[1]


@pytest.mark.parametrize("lang", sorted(PER_LANGUAGE_F1))
def test_probe_articles_per_language(rules: RuleSet, items: list[LabelledItem], lang: str) -> None:
    report = evaluate(rules, items)
    assert report.per_lang[lang].micro.f1 >= PER_LANGUAGE_F1[lang], lang
