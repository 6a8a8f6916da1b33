"""Speakers: who speaks a sentence of an article, as the article names them (pure).

One pass over an article (cached) finds its quotations and gives each one a speaker: its own
attribution ('"...," Ms Cole said' / 'Ms Cole said: "...'), or the speaker of the quotation it
continues (the next sentence inside the same quote, a paragraph that opens a quotation without
an attribution after one that had one). A sentence outside quotations is reported speech when
its subject is said to speak ("Local councillor Tom Adeyemi said the plan..."). "He"/"she"
resolve to the latest subject or speaker of the same and the two paragraphs before whose known
gender fits; names resolve to the article's full name and role ("Mark Rowley, Assistant
Commissioner of the Metropolitan Police"); organisations speak too ("Westmoor Water"), but a
possessive ("Westmoor Water's chief executive") never does. When unsure: None.
"""

from __future__ import annotations

import bisect
import functools
import re
import threading
from dataclasses import dataclass

from .chunk import paragraph_spans, sentence_spans
from .names import introduced_names

__all__ = ["attribute_speaker", "sentence_speaker", "statements"]


_TITLES = frozenset(
    """Mr Mrs Ms Miss Mx Dr Prof Professor Sir Dame Lord Lady Rev Reverend Cllr Councillor
    Captain Capt Inspector Insp Sergeant Sgt Detective Det DI DS DC DCI PC Constable Judge Justice
    Chief Commander Superintendent Supt Ch Commissioner Assistant Deputy Acting Group Station
    Watch Area Senior Officer Manager Coroner Bishop Canon Father Sister Brother Baroness Baron
    Mayor President Governor Senator Minister Secretary Colonel Col Major Maj General Gen
    Lieutenant Lt Admiral Corporal Cpl Private Pte Chairman Chairwoman Headteacher Gov Sen Rep
    Adm Cmdr""".split()
)
_FEMALE_TITLES = frozenset({"Mrs", "Ms", "Miss", "Dame", "Lady", "Baroness", "Sister"})
_MALE_TITLES = frozenset({"Mr", "Sir", "Lord", "Baron", "Father", "Brother"})
# Roles written before a name at the start of a sentence ("Fisherman Alan Treloar, 58, said")
_ROLE_NOUNS = frozenset(
    """Student Parent Passenger Fisherman Fisherwoman Farmer Teacher Nurse Driver Pensioner
    Resident Shopkeeper Historian Author Artist Campaigner Volunteer Landlord Landlady Witness
    Neighbour Grandmother Grandfather Mother Widow Widower Owner Director Chair Striker Defender
    Midfielder Goalkeeper Winger Skipper Vicar Councillor Activist Economist Analyst Singer
    Actor Actress Writer Poet Journalist Lawyer Solicitor Barrister Doctor Surgeon Scientist
    Researcher Engineer Builder Baker Butcher Trader Shopper Commuter Cyclist Walker Runner
    Organiser Coach Spokesman Spokeswoman Spokesperson Survivor Victim Pupil Graduate Veteran
    Businessman Businesswoman Entrepreneur Developer Resident Holidaymaker Tourist Visitor
    Curator Prosecutor Printmaker Photographer Potter Designer Architect Musician Chef Paramedic
    Firefighter Pilot Swimmer Drummer Guitarist Dancer Sculptor Painter Jockey Trainer Referee
    Lecturer Headmaster Headmistress Caretaker Cleaner Porter Postman Postwoman Shepherd""".split()
)
# a capitalised word opening a run of three that names a trade, not a person
_AGENT = re.compile(r"[A-Z][a-z]+(?:er|or|ist|ian|man|woman|ent|ant|eer)$")
_NOT_PERSON_FIRST = frozenset(
    """The A An It This That These Those There Police Officials Critics Residents Witnesses
    Sources Experts Campaigners Officers Analysts Storm When While After Before Although If As
    Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April May
    June July August September October November December In On At For But And So Yet Its His
    Her Their Our My Your One Another Some Many Most All Both Neither Every Each Not Only
    Speaking Asked Standing Sentencing Prosecuting Defending According Local Former Other Such
    Several Few Any No Same Last Next First""".split()
)
_ORG_LAST = frozenset(
    """Power Council Police Bureau Service Services Ltd Limited Group Company Authority Trust
    Association Union Department Ministry Agency Office Board Commission Court University
    Hospital Bank Party Club Network Institute News Times Post Herald Gazette Courier Daily Echo
    Alliance Coastguard Federation Foundation Society Railway Railways Airport Port Energy
    Inc Corp Plc Partnership Committee Government Parliament Church School College Centre
    Beach Head Junction Lane Street Road Avenue Pier Harbour Bay Island Hill Park Square Bridge
    Station Valley River Point Quay Way Green Estate Hall Museum Stadium Water Buses Homes
    Aggregates Recycling Constabulary Ferries Associates Rescue Unit Athletic Rovers Town United
    City County Daughters Sons Brothers Rail Airlines Airways Academy Partners Holdings Media
    Software Systems Technologies Foods Motors Insurance Assembly Panel Team FC Brigade Army Navy
    Force Corps Fund Charity Network Labs Industries Works Studios Records Press Review Agency""".split()
)
_GENERIC = frozenset(
    """Police Officials Critics Residents Witnesses Sources Experts Campaigners Officers Analysts
    Neighbours Locals Fans Supporters Parents Teachers Doctors Nurses Scientists Researchers
    Traders Businesses Councillors Ministers Protesters Passengers Villagers Islanders Families
    Staff Workers Unions Inspectors Investigators Prosecutors Detectives Firefighters Others
    Some Many Most Both They We He She It I You Everyone Nobody Somebody Someone Anyone
    Official Study Studies Report Research Survey Data Director""".split()
)
_FEMALE_KIN = r"wife|mother|daughter|sister|widow|girlfriend|grandmother|granddaughter|aunt|niece"
_MALE_KIN = r"husband|father|son|brother|widower|boyfriend|grandfather|grandson|uncle|nephew"
_KIN = re.compile(rf"\b(?:(?P<f>{_FEMALE_KIN})|(?P<m>{_MALE_KIN})),\s*$", re.IGNORECASE)

_VERBS = (  # verbs that report speech, in a sentence or an attribution
    r"said|says|say|told|tells|added|adds|wrote|writes|warned|warns|insisted|claimed|argued"
    r"|stated|noted|explained|replied|recalled|urged|suggested|stressed|acknowledged"
    r"|concluded|declared|remarked|joked|disputed|disagreed|predicted|promised|pledged|vowed"
    r"|pointed out|went on|continued|asked|laughed|admitted|confirmed|announced|agreed|accused"
    r"|denied|revealed|cautioned|conceded|countered|responded|answered|observed|complained"
    r"|boasted|quipped|shouted|sighed|snapped|fumed|whispered|exclaimed|mused|wondered|cried"
    r"|maintained|reiterated|emphasised|emphasized|commented|recalls|explains|insists|notes"
    r"|argues|claims|suggests|concludes|admits"
)
# Verbs that also narrate ("admitted 17 counts of fraud"): speech only before that/a quotation
_AMBIGUOUS = frozenset(
    """admitted confirmed announced agreed accused denied revealed continued asked laughed
    responded answered observed maintained cried wrote writes admits""".split()
)
_TAIL_ONLY = frozenset("continued went on asked laughed shouted sighed snapped cried".split())
_VERB = re.compile(rf"\b(?:{_VERBS})\b")
# 'Ms Cole said: "' / 'He told the paper, "': the attribution just before a quotation
_INTRO = re.compile(rf"\b(?:{_VERBS})\b(?:\s+[^\"“”:.;,]{{0,60}}?)?[:,]\s*$")
# '," Mrs Marsh said' / '," the statement said' / '," said Professor Hale': just after one
# A title written with a full stop, which the name goes on after: '," said Dr. Daniel Griffin'
_DOTTED = (
    r"(?:(?:state|former|then|U\.S\.)\s+)?"
    r"(?:(?:Dr|Gov|Sen|Rep|Lt|Gen|Col|Sgt|Capt|Prof|Mr|Mrs|Ms|Rev|Supt|Det|Adm|Maj)\.\s+)?"
)
_TAIL_WHO_VERB = re.compile(
    rf"\s*(?P<who>{_DOTTED}[^\s,.;:!?\"“”][^,.;:!?\"“”\n]{{0,59}}?)(?:,[^\"“”\n]{{1,80}}?,)?"
    rf"\s+(?:has\s+|had\s+)?(?P<verb>{_VERBS})\b"
)
_TAIL_VERB_WHO = re.compile(rf"\s*(?P<verb>{_VERBS})\s+(?P<who>{_DOTTED}[^,.;:!?\"“”\n]{{1,60}})")
# what follows an ambiguous verb when it reports speech: that, a quotation, or nothing
_SPEECH_AFTER = re.compile(r"(?:\s+[^.;:\"“”]{0,40}?\bthat\b|\s*[.:,;]?\s*$|\s*[:,]|[^.;]*[\"“])")
# "Gareth Lumb, 64, said he had waited": his gender, when no title gives it
_SAID_HE = re.compile(
    rf"(?:,[^\"“”\n]{{1,120}}?,)?\s+(?:has\s+|had\s+)?(?:{_VERBS})\s+(?:that\s+)?(?P<p>he|she)\b"
)
_PASSIVE = re.compile(r"\b(?:was|were|be|been|being|is|are)\s+$")
_OPEN = '"“'
_CLOSE = '"”'
_QUOTE_MARK = re.compile(r'["“”]')
_WORD = r"(?:[A-Z][\w'’-]*|[A-Z]\.)"
_RUN = re.compile(
    rf"{_WORD}(?:[ \t]+(?:(?:de|van|von|da|di|del|la|le|bin|al|&|and|of|for)[ \t]+)?{_WORD})*"
)
_PERSON_RUN = re.compile(
    rf"{_WORD}(?:[ \t]+(?:(?:de|van|von|da|di|del|la|le|bin|al)[ \t]+)?{_WORD})*"
)
_CAPITALISED = re.compile(r"\b[A-Z][\w'’-]*")
_POSSESSIVE = re.compile(r"(?:['’]s|s['’])$")
_AUX = re.compile(
    r"(?:\s+(?:has|have|had|also|later|then|previously|earlier|today|yesterday|however|herself"
    r"|himself|itself|themselves|both))+\s*$"
)
_PRONOUNS = {"he": "m", "she": "f"}
_SPOKES = re.compile(
    r"^(?:an?|the|one)\s+(?:[a-z]+\s+)?(?P<n>spokes(?:man|woman|person)|representative)\s+"
    r"(?:for|from|of|at)\s+(?P<org>.+)$",
    re.IGNORECASE,
)
_PREP = re.compile(r"\s+(?:of|for|at|from|with|in|on|by|to)\s+(?:the\s+)?$")
_DETERMINERS = frozenset("The A An His Her Their Its One Another".split())
_RELATIVE = re.compile(r"^\s*(?:who|whose|which|where|when|that)\b")
_ADVERBIAL = re.compile(
    r"^\s*(?:[A-Z][a-z]+ing|Asked|When|While|After|Before|Although|Though|If|As|Since|Until"
    r"|In|On|At|During|Despite|Following|Outside|Inside|Later|Earlier|Yesterday|Today|Last"
    r"|Now|Then|However|Meanwhile|Instead|Prosecuting|Defending|Sentencing)\b"
)
_ACCORDING = re.compile(r"^\s*According to (?P<who>[^,]{2,80}),")
_NEW_SENTENCE = re.compile(r"[.!?][\"'”’)]*\s+[\"“]?[A-Z]")
_ROLE_AFTER = re.compile(r",\s+(?P<role>[^\"“”\n.;:,]{3,160}),")
_ROLE_BEFORE = re.compile(
    r"(?:^|[.!?;:]\s+|,\s+)(?P<role>(?:[Tt]he\s+[a-z][\w'’ -]{2,80}?|[A-Z][\w&'’ -]{1,60}?"
    r"(?:['’]s|s['’])\s+[a-z][\w'’ -]{2,80}?)),\s*$",
    re.MULTILINE,
)
_NOT_ROLE = re.compile(  # a clause, an age, an address: "of Quarry Lane", "elected last week"
    r"^(?:who|whose|which|where|when|that|aged|also|now|in|on|\d"
    r"|[a-z]+(?:ed|ing)(?:\s+(?:last|this|on|in|at|to|about|by|from|after|before|with|for)\b|$)"
    r"|(?:of|from)\s+[A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*)*$)"
)
_CLAUSE = re.compile(rf"\b(?:{_VERBS}|was|is|has|had|have|will|would|were|are)\b")
# What may come before a name in its noun phrase: "Athletic manager Paula Brennan",
# "retired teacher Eileen Gask", "Her defeated rival, Civic Alliance candidate Philip Renner"
_ROLE_WORDS = frozenset(
    """manager boss coach chairman chairwoman chair chief executive director officer spokesman
    spokeswoman spokesperson councillor leader secretary minister teacher headteacher head
    nurse doctor driver student pupil parent resident owner landlord landlady fisherman farmer
    historian campaigner organiser founder president captain striker defender midfielder
    goalkeeper winger player candidate mayor mp inspector superintendent detective constable
    sergeant researcher professor scientist economist analyst lawyer solicitor barrister judge
    victim witness neighbour friend partner wife husband mother father son daughter brother
    sister colleague rival successor predecessor assistant deputy worker supervisor engineer
    volunteer member trustee governor prosecutor editor author writer artist presenter
    local former retired defeated senior junior acting fellow veteran lead new interim
    passenger shopper trader commuter pensioner grandmother grandfather widow widower
    the a an his her their its one another""".split()
)


@dataclass(frozen=True)
class _Who:
    """A speaker: the name shown, its gender when known, and whether it is an organisation."""

    name: str
    gender: str | None = None
    org: bool = False
    spokes: bool = False  # an organisation through its spokesperson: "he"/"she" fit

    def fits(self, pronoun: str) -> bool:
        if self.org and not self.spokes:
            return False
        return self.gender in (None, _PRONOUNS[pronoun])


class _People:
    """Everyone the article names in full: full name, role, gender; indexed by surname."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.first: dict[str, tuple[int, int]] = {}  # "Ann Cole" -> her first full mention
        self.roles: dict[str, str] = {}  # "Ann Cole" -> "Westmoor Water's chief executive"
        self.by_surname: dict[str, list[str]] = {}
        self.titles: dict[str, set[str]] = {}
        self.order: list[str] = []
        self.gender: dict[str, str] = {}
        genders: dict[str, set[str]] = {}
        weak: dict[str, set[str]] = {}  # from "X said he ...", used only without a title
        mentions: list[tuple[re.Match[str], list[str], str]] = []
        lone: list[re.Match[str]] = []  # one capitalised word: a surname once all are known
        for m in _PERSON_RUN.finditer(text):
            if " " not in m.group():
                lone.append(m)
                continue
            words, title = _strip(m.group().split())
            if not words or _POSSESSIVE.search(words[-1]):
                if words and title:  # "Mr Lumb's case": a titled mention all the same
                    words = [*words[:-1], _POSSESSIVE.sub("", words[-1])]
                else:
                    continue
            mentions.append((m, words, title))
            if len(words) >= 2 and _person_like(words):
                key = " ".join(words)
                if key not in self.first:
                    self.first[key] = m.span()
                    self.order.append(key)
                    self.by_surname.setdefault(words[-1], []).append(key)
        for m in lone:
            word = _POSSESSIVE.sub("", m.group())
            if word in self.by_surname and word not in _NOT_PERSON_FIRST:
                mentions.append((m, [word], ""))
        for m, words, title in mentions:
            person = self.key(words, title)
            if person is None:
                continue
            if title:
                self.titles.setdefault(person, set()).add(title)
            if title in _FEMALE_TITLES or title in _MALE_TITLES:
                genders.setdefault(person, set()).add("f" if title in _FEMALE_TITLES else "m")
            kin = _KIN.search(text, max(0, m.start() - 40), m.start())
            if kin:
                genders.setdefault(person, set()).add("f" if kin.group("f") else "m")
            after = _SAID_HE.match(text, m.end(), m.end() + 200)
            if after:
                weak.setdefault(person, set()).add(_PRONOUNS[after.group("p")])
        for key in self.first:
            found = genders.get(key) or weak.get(key) or set()
            if len(found) == 1:
                self.gender[key] = next(iter(found))

    def key(self, words: list[str], title: str = "") -> str | None:
        """The full name ``words`` (a full name, or a surname) stand for, if one fits."""
        if len(words) >= 2:
            full = " ".join(words)
            return full if full in self.first else None
        found = self.by_surname.get(words[0], [])
        if len(found) > 1 and (title in _FEMALE_TITLES or title in _MALE_TITLES):
            want = "f" if title in _FEMALE_TITLES else "m"
            found = [k for k in found if self.gender_of(k) in (None, want)]
        return found[0] if len(found) == 1 else None

    def gender_of(self, key: str) -> str | None:
        return self.gender.get(key)

    def role(self, key: str) -> str:
        """The role the article gives ``key`` at their first full mention (read when asked)."""
        if key not in self.roles:
            start, end = self.first.get(key, (0, 0))
            self.roles[key] = _role(self.text, start, end) if end else ""
        return self.roles[key]

    def who(self, key: str) -> _Who:
        role = self.role(key)
        return _Who(f"{key}, {role}" if role else key, self.gender_of(key))

    def titled(self, title: str) -> str | None:
        found = [k for k in self.order if title in self.titles.get(k, ())]
        return found[0] if len(found) == 1 else None


def _strip(words: list[str]) -> tuple[list[str], str]:
    """A name's words without its leading titles, ranks and roles; and its last title."""
    title = ""
    while len(words) > 1 and (
        words[0].rstrip(".") in _TITLES
        or words[0] in _ROLE_NOUNS
        or (len(words) >= 3 and _AGENT.match(words[0]))
    ):
        if words[0].rstrip(".") in _TITLES:
            title = words[0].rstrip(".")
        words = words[1:]
    owner = [i for i, w in enumerate(words[:-1]) if _POSSESSIVE.search(w)]
    if owner:  # "the Progress Party's Martin Coldwell": the name after the possessive
        return _strip(words[owner[-1] + 1 :])
    while words and words[0] in _NOT_PERSON_FIRST:
        words = words[1:]
    if len(words) > 3:
        words = words[-2:]
    return words, title


def _person_like(words: list[str]) -> bool:
    return (
        1 <= len(words) <= 3
        and words[0] not in _NOT_PERSON_FIRST
        and words[-1] not in _ORG_LAST
        and all(not w.isupper() or re.fullmatch(r"[A-Z]\.", w) for w in words)
        and not any(w in _GENERIC for w in words)
    )


def _role(text: str, start: int, end: int) -> str:
    """The role the article gives a name at its first mention: ", role," after it, or
    "Westmoor Water's chief executive, " / "The shop's owner, " before it."""
    after = _ROLE_AFTER.match(text, end, end + 170)
    role = after.group("role").strip() if after else ""
    named = _PERSON_RUN.fullmatch(role)  # "Howard Zinn, Harvey Wheeler, and others"
    if role and not _NOT_ROLE.match(role) and not _CLAUSE.search(role) and not named:
        return role
    before = _ROLE_BEFORE.search(text, max(0, start - 100), start)
    if before and not _CLAUSE.search(before.group("role")):  # "The society has appointed X and"
        role = before.group("role")
        return role[0].lower() + role[1:] if role.startswith("The ") else role
    return ""


def _segments(paragraph: str) -> list[tuple[int, int, bool]]:
    """Quotations in a paragraph: (start, end, closed), the marks included; straight quotes
    alternate, curly ones say which they are; one left open runs to the paragraph's end."""
    out: list[tuple[int, int, bool]] = []
    start = -1
    for m in _QUOTE_MARK.finditer(paragraph):
        c = m.group()
        if start < 0 and c in _OPEN:
            start = m.start()
        elif start >= 0 and c in _CLOSE:
            out.append((start, m.end(), True))
            start = -1
    if start >= 0:
        out.append((start, len(paragraph), False))
    return out


def _masked(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` with the inside of each quotation (within one line) blanked, so that no rule
    reads it."""
    pieces = []
    at = 0
    for a, b in spans:
        pieces += [text[at : a + 1], " " * max(0, b - a - 2)]
        at = max(a + 1, b - 1)
    pieces.append(text[at:])
    return "".join(pieces)


def _segments_in(text: str, p_start: int, p_end: int) -> list[_Segment]:
    paragraph = text[p_start:p_end]
    out = []
    for a, b, closed in _segments(paragraph):
        before = paragraph[:a].rstrip()
        partial = bool(before) and (before[-1].isalnum() or before[-1] in "'’")
        out.append(_Segment(p_start + a, p_start + b, closed, partial))
    return out


@dataclass
class _Segment:
    start: int
    end: int
    closed: bool
    partial: bool  # a few words quoted inside a sentence: its sentence says who
    who: _Who | None = None


class _Article:
    """One article, read once and in order, as far as asked: each quotation's speaker and each
    sentence's reported speaker. What a paragraph says depends only on the paragraphs before it,
    so reading stops at the paragraph asked about and goes on from there when asked for more."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._people: _People | None = None
        self._lock = threading.Lock()  # searches run in threads; reading goes on in one
        self.segments: list[_Segment] = []
        self.sentences: list[tuple[int, int, _Who | None]] = []
        # (paragraph, offset, who) of each subject or speaker, in order; who is None for a
        # sentence about someone in a way the rules cannot tell: "he"/"she" stop there
        self.mentions: list[tuple[int, int, _Who | None]] = []
        self.statement: _Who | None = None  # who issued the statement last mentioned
        self.learned: dict[str, str] = {}  # a gender learned from "he"/"she" resolved to them
        self.context: _Who | None = None  # the last speaker of the paragraph before
        self.paragraphs = paragraph_spans(text)
        self.starts = [a for a, _ in self.paragraphs]
        self.quotes = [_segments_in(text, a, b) for a, b in self.paragraphs]
        self.masked = _masked(text, [(q.start, q.end) for segs in self.quotes for q in segs])
        # a paragraph with neither a quotation nor a speech verb matters only as what "he"/
        # "she" in the two after it may refer to: skipped when those have no speech either
        self.speech = [
            bool(q) or not _says_nothing(text, a, b)
            for (a, b), q in zip(self.paragraphs, self.quotes, strict=True)
        ]
        self.read = 0  # paragraphs read so far

    @property
    def people(self) -> _People:
        if self._people is None:
            self._people = _People(self.text)
        return self._people

    def upto(self, end: int) -> _Article:
        """Read on to the paragraph holding ``text[end - 1]``."""
        last = bisect.bisect_left(self.starts, end)
        if self.read >= last:
            return self
        with self._lock:
            while self.read < last:
                index = self.read
                if any(self.speech[index : index + 3]):
                    p_start, p_end = self.paragraphs[index]
                    segs = self.quotes[index]
                    self.context = self._paragraph(
                        index, p_start, p_end, segs, self.masked, self.context
                    )
                else:
                    self.context = None
                self.read += 1
        return self

    # -- a paragraph ---------------------------------------------------------------------------

    def _paragraph(
        self,
        index: int,
        p_start: int,
        p_end: int,
        segs: list[_Segment],
        masked: str,
        context: _Who | None,
    ) -> _Who | None:
        """Speakers of one paragraph's quotations and sentences, in the order they come (so
        that "he"/"she" find who came before); returns its last speaker."""
        text = self.text
        events: list[tuple[int, int, object]] = []
        for s_start, s_end in sentence_spans(text, p_start, p_end):
            events.append((s_start, 1, (s_start, s_end)))
        for seg in segs:
            if not seg.partial:
                events.append((seg.start, 0, seg))
        events.sort(key=lambda e: (e[0], e[1]))
        last: _Who | None = None
        previous: _Segment | None = None
        quoting: list[tuple[int, int, list[_Segment]]] = []  # sentences holding quotations
        for _, _, item in events:
            if isinstance(item, _Segment):
                item.who = self._quoted(
                    index, item, previous, p_start, p_end, masked, context, segs
                )
                previous = item
                if item.who is not None:
                    self.mentions.append((index, item.start, item.who))
                last = item.who
                continue
            assert isinstance(item, tuple)
            s_start, s_end = item
            full = [s for s in segs if not s.partial and s.start < s_end and s.end > s_start]
            if full:
                quoting.append((len(self.sentences), s_start, full))
                self.sentences.append((s_start, s_end, None))
                continue
            who, subject, spoke = self._reported(index, s_start, s_end, masked)
            self.sentences.append((s_start, s_end, who))
            if who is not None:
                last = who
                if "statement" in masked[s_start:s_end]:
                    self.statement = who
            if subject is not None:
                self.mentions.append((index, s_start, subject))
            elif spoke or self._names_someone(masked[s_start:s_end]):
                self.mentions.append((index, s_start, None))  # someone "he"/"she" may be
        for i, s_start, full in quoting:  # their speaker, once the quotations have one
            names = {s.who for s in full}
            if len(names) == 1:
                self.sentences[i] = (s_start, self.sentences[i][1], names.pop())
        self.segments.extend(segs)
        return last

    def _names_someone(self, sentence: str) -> bool:
        """Whether a sentence names someone of the article (not in a possessive)."""
        known = self.people.by_surname
        return any(w in known for w in _CAPITALISED.findall(sentence))

    def _quoted(
        self,
        index: int,
        seg: _Segment,
        previous: _Segment | None,
        p_start: int,
        p_end: int,
        masked: str,
        context: _Who | None,
        segs: list[_Segment],
    ) -> _Who | None:
        """The speaker of a quotation: its attribution after ('"...," she said'), before
        ('Ms Cole said: "...'), or the quotation it continues."""
        text = self.text
        following = [s.start for s in segs if s.start >= seg.end]
        tail_end = following[0] if following else p_end
        closing = text[seg.end - 2 : seg.end - 1]
        if seg.closed and closing in ",?!-—–…":
            found = self._tail(index, seg.start, text[seg.end : tail_end])
            if found is not None:
                return found[0]
            if closing == "," or re.match(r"\s*[a-z]", text[seg.end : tail_end]):
                return None  # '"...," fumed someone': an attribution these rules cannot read
        lead_start = previous.end if previous is not None else p_start
        lead = masked[lead_start : seg.start]
        if previous is None and not lead.strip():
            return context  # a paragraph opening a quotation: the one before goes on
        intro = _INTRO.search(lead)
        if intro:  # 'Ms Cole said: "...' / 'His wife, Debbie, added: "...'
            begin = _sentence_start(lead, intro.start())
            return self._subject(index, lead_start + begin, lead[begin : intro.start()])
        if previous is not None and previous.who is not None:
            rest = lead  # '"...," she said. "...': the same quotation goes on
            tail = self._tail(index, previous.start, text[previous.end : seg.start])
            if tail is not None:
                rest = lead[tail[1] :]
            if not _NEW_SENTENCE.search(rest.rstrip() + " "):
                return previous.who
        # 'Asked whether..., she laughs. "No!': the person the sentence before is about
        if not re.search(r"[.!?]\s*$", lead):
            return None  # 'Other Geordie words include: "larn"': no one said it
        begin = _sentence_start(lead, len(lead.rstrip()))
        subject = self._subject_of(index, lead_start + begin, lead[begin:])
        return subject if subject is not None and not subject.org else None

    def _tail(self, index: int, at: int, tail: str) -> tuple[_Who | None, int] | None:
        """'," Mrs Marsh said.' / '," said Professor Hale.' / '," the statement said.': the
        speaker and where the attribution ends; None when ``tail`` is no attribution."""
        m = _TAIL_WHO_VERB.match(tail) or _TAIL_VERB_WHO.match(tail)
        if not m:
            return None
        who = self._entity(index, at, m.group("who"))
        named = re.match(r",\s*(?P<name>[^,.;:!?\"“”\n]{2,60}),", tail[m.end() :])
        if who is None and named and m.group("who")[0].islower():
            who = self._modified(named.group("name"))  # "asked another resident, Keith Amory,"
        return who, m.end()

    def _reported(
        self, index: int, s_start: int, s_end: int, masked: str
    ) -> tuple[_Who | None, _Who | None, bool]:
        """A sentence's reported speaker (None when it reports no speech or names no one),
        its subject, and whether it reports speech at all."""
        sentence = masked[s_start:s_end]
        according = _ACCORDING.match(sentence)
        if according:
            who = self._entity(index, s_start, according.group("who"))
            return who, who, True
        opening = 0  # "Asked if he had warned anyone, he said...": not the clause's verb
        if _ADVERBIAL.match(sentence) and "," in sentence:
            opening = sentence.index(",")
        for m in _VERB.finditer(sentence, opening):
            verb = m.group()
            if verb in _TAIL_ONLY or _PASSIVE.search(sentence, 0, m.start()):
                continue
            if verb in _AMBIGUOUS and not _SPEECH_AFTER.match(sentence, m.end()):
                continue
            who = self._subject(index, s_start, sentence[: m.start()])
            return who, who, True
        return None, self._subject_of(index, s_start, sentence), False

    # -- who a phrase names --------------------------------------------------------------------

    def _subject(self, index: int, at: int, before: str) -> _Who | None:
        """The subject of a speech verb, from the clause ``before`` it: the name just before
        the verb ("Local councillor Tom Adeyemi said"), or the name its appositives follow
        ("Helen Marsh, who has lived here for 31 years, said"); None for anyone unnamed."""
        before = _AUX.sub("", before.rstrip())
        parts = before.split(",")
        last = parts[-1].strip()
        if last and not (last[0].islower() and last.endswith((" and", " but"))):
            return self._entity(index, at, last)
        pending = ""  # "His wife, Carol, said": a lone first name, told by what comes before
        for part in reversed(parts[:-1]):
            part = part.strip()
            if pending:
                kin = re.search(rf"\b(?:(?P<f>{_FEMALE_KIN})|{_MALE_KIN})$", part, re.I)
                if kin:
                    return _Who(pending, "f" if kin.group("f") else "m")
                pending = ""
            if not part or _RELATIVE.match(part) or re.fullmatch(r"(?:aged\s+)?\d+", part):
                continue
            if part[0].islower():  # "retired teacher Eileen Gask", else "chair of the Trust"
                found = self._modified(part)
                if found is not None:
                    return found
                continue
            words = part.split()
            if len(words) == 1 and self.people.key(words) is None:
                pending = "" if _POSSESSIVE.search(words[0]) else words[0]
                continue
            found = self._entity(index, at, part)
            if found is not None:
                return found
            if re.search(r"['’]s\b|s['’](?:\s|$)", part) or words[0] in _DETERMINERS:
                continue  # "Westmoor Water's chief executive, Ann Cole," / "The club's chairman,"
            return None
        return None

    def _modified(self, phrase: str) -> _Who | None:
        """The person a noun phrase names after its role words ("retired teacher Eileen Gask",
        "Athletic manager Paula Brennan"); None when anything else comes before the name."""
        for run in _PERSON_RUN.finditer(phrase):
            head = phrase[: run.start()].split()
            if not all(w.lower() in _ROLE_WORDS or w[0].isupper() for w in head):
                return None
            words, title = _strip(run.group().split())
            if words and not _POSSESSIVE.search(words[-1]) and _person_like(words):
                key = self.people.key(words, title)
                if key is not None:
                    return self.people.who(key)
                if len(words) >= 2:
                    return _Who(" ".join(words))
        return None

    def _subject_of(self, index: int, at: int, sentence: str) -> _Who | None:
        """Who a sentence is about, when it opens with them ("Mrs Castell and her sister were
        not hurt", "His successor, Jenna Polglase, 34, is..."): candidates for "he"/"she"."""
        parts = [p.strip() for p in sentence.split(",")]
        adverbial = []
        while parts and _ADVERBIAL.match(parts[0]):
            adverbial.append(parts.pop(0))
        if not parts or not parts[0]:
            return None
        first = parts[0]
        pronoun = re.match(r"(He|She|he|she)\b", first)
        if pronoun:  # "When the Echo put that to Ms Kaye, she laughed"
            wanted = _PRONOUNS[pronoun.group(1).lower()]
            for m in reversed(list(_PERSON_RUN.finditer(", ".join(adverbial)))):
                words, title = _strip(m.group().split())
                key = self.people.key(words, title) if words else None
                if key is not None and self.gender_of(key) == wanted:
                    return self.people.who(key)
            return self._pronoun(index, at, pronoun.group(1).lower())
        found = self._modified(first)
        role = first.split()[0] in _DETERMINERS or re.search(r"['’]s\b|s['’](?:\s|$)", first)
        if found is None and role and len(parts) > 1 and _PERSON_RUN.fullmatch(parts[1]):
            found = self._modified(parts[1])  # "His successor, Jenna Polglase, 34, is..."
        return found

    def _entity(self, index: int, at: int, phrase: str) -> _Who | None:
        """Who a short phrase names: a pronoun, a person, an organisation, "the statement",
        "the judge", "a spokesperson for X"; None for anyone unnamed or anything unsure."""
        phrase = _AUX.sub("", phrase.strip())
        low = phrase.lower()
        if low in _PRONOUNS:
            return self._pronoun(index, at, low)
        if low in ("the statement", "a statement", "its statement", "their statement"):
            return self.statement
        m = re.fullmatch(r"the\s+([a-z]+)", low)
        if m:
            key = self.people.titled(m.group(1).capitalize())
            return self.people.who(key) if key is not None else None
        spokes = _SPOKES.match(phrase)
        if spokes:
            org = self._org(spokes.group("org"))
            gender = {"spokesman": "m", "spokeswoman": "f"}.get(spokes.group("n").lower())
            return _Who(org, gender, org=True, spokes=True) if org else None
        runs = list(_RUN.finditer(phrase))
        if not runs or runs[-1].end() != len(phrase):
            return None  # "the company", "residents": nobody named
        run = runs[-1]
        head = phrase[: run.start()]
        if _PREP.search(head):  # "Ian Fothergill of the fire service", "residents of Kelby"
            left = _PREP.sub("", head)
            return self._entity(index, at, left) if _RUN.search(left) else None
        if _POSSESSIVE.search(run.group().split()[-1]):
            return None
        return self._named(run.group(), at_start=not head.strip() and self._starts(at, phrase))

    def _starts(self, at: int, phrase: str) -> bool:
        """Whether ``phrase`` (found at or after ``at``) opens its sentence."""
        i = self.text.find(phrase.strip(), at)
        before = self.text[max(0, i - 3) : i] if i >= 0 else ""
        return i < 0 or not before.strip() or before.rstrip()[-1:] in '.!?"”“'

    def _named(self, run: str, at_start: bool = False) -> _Who | None:
        """A run of capitalised words as a speaker: a person of the article, else an
        organisation ("Kelby Fire and Rescue Service", "Hollis & Crane")."""
        words = run.split()
        if words[0] == "The":
            words = words[1:]
        if not words or words[0] in _GENERIC:
            return None
        # "Chief Superintendent Claire Haddow of Tarrow Police": the person, not the force
        for i, w in enumerate(words):
            if w in ("of", "for") and i > 0:
                left, _ = _strip(words[:i])
                if len(left) >= 2 and _person_like(left):
                    return self._named(" ".join(words[:i]))
                break
        org = "&" in words or "and" in words or "of" in words or "for" in words
        stripped, title = _strip(words)
        if not org and stripped and _person_like(stripped):
            key = self.people.key(stripped, title)
            if key is not None:
                return self.people.who(key)
            if len(stripped) >= 2:
                return _Who(" ".join(stripped))
            if title:
                return _Who(f"{title} {stripped[0]}", _title_gender(title))
            if stripped[0] in _GENERIC or (at_start and stripped[0].endswith("s")):
                return None  # "Organisers said", "Residents said": nobody named
            return _Who(stripped[0])
        if words[-1] in _ORG_LAST or org:
            if len(words) == 1:
                return None  # "Police said": nobody named
            return _Who(" ".join(words), None, org=True)
        return None

    def _org(self, phrase: str) -> str | None:
        phrase = re.sub(r"^(?:the|The)\s+", "", phrase.strip())
        runs = list(_RUN.finditer(phrase))
        if len(runs) == 1 and runs[0].start() == 0 and runs[0].end() == len(phrase):
            return phrase
        return None

    def _pronoun(self, index: int, at: int, pronoun: str) -> _Who | None:
        """The latest subject or speaker before ``at``, in this paragraph or the two before,
        whose known gender fits ``pronoun``."""
        wanted = _PRONOUNS[pronoun]
        for p, offset, who in reversed(self.mentions):
            if p < index - 2:
                break
            if offset >= at:
                continue
            if who is None:
                return None
            if who.fits(pronoun) and self.gender_of(who) in (None, wanted):
                self.learned.setdefault(who.name, wanted)
                return who
        return None

    def gender_of(self, who: _Who | str) -> str | None:
        if isinstance(who, str):
            return self.people.gender_of(who)
        return who.gender or self.learned.get(who.name)


def _title_gender(title: str) -> str | None:
    return "f" if title in _FEMALE_TITLES else "m" if title in _MALE_TITLES else None


def _sentence_start(text: str, before: int) -> int:
    """Where the sentence holding ``text[before]`` starts inside ``text``."""
    start = 0
    for m in _NEW_SENTENCE.finditer(text, 0, before):
        start = m.end() - 1
    while start < len(text) and text[start] in ' "“':
        start += 1
    return start


@functools.lru_cache(maxsize=256)
def _article(text: str) -> _Article:
    return _Article(text)


def _says_nothing(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` can have no speaker: no quotation mark in the lines it
    touches (so it is in no quotation) and no speech verb (so it reports none). Exact, and it
    spares most sentences of most articles the whole article's reading."""
    first = text.rfind("\n", 0, start) + 1
    last = text.find("\n", end)
    if _QUOTE_MARK.search(text, first, last if last >= 0 else len(text)):
        return False
    return not _VERB.search(text, start, end) and "ccording to" not in text[start:end]


def _unique(found: list[_Who | None]) -> str | None:
    names = {w.name if w is not None else None for w in found}
    return _shown(names.pop()) if len(names) == 1 else None


_FRAGMENT = re.compile(r"(?:['’]s|s['’]|\b(?:and|of|for|the|&))$|^[^A-Z]")


def _shown(name: str | None) -> str | None:
    """``name`` as shown under a quote; None if its name part ends as a possessive or a
    fragment ("Westmoor Water's", "Kelby Fire and"): a last guard, the rules make none."""
    if name is None or _FRAGMENT.search(name.split(",")[0].strip()):
        return None
    return name


def sentence_speaker(text: str, start: int, end: int) -> str | None:
    """Who speaks the sentence ``text[start:end]``, as the article names them; None when it is
    no quotation or reported speech, or when unsure.

    Inside a quotation: the quotation's speaker (its own attribution, or the one it continues).
    Outside: the subject of reported speech ("Local councillor Tom Adeyemi said the plan...").
    """
    if _says_nothing(text, start, end):
        return None
    article = _article(text).upto(end)
    inside = [
        s.who
        for s in article.segments
        if not s.partial and s.start < end and s.end > start and _has_words(text, s, start, end)
    ]
    if inside:
        return _unique(inside)
    around = [who for a, b, who in article.sentences if a < end and b > start]
    return _unique(around) if around else None


def _has_words(text: str, seg: _Segment, start: int, end: int) -> bool:
    return any(c.isalnum() for c in text[max(seg.start, start) : min(seg.end, end)])


def attribute_speaker(text: str, start: int, end: int) -> str | None:
    """Who is quoted in ``text[start:end]`` (a quote of one or more sentences): the one
    speaker of its sentences that have one; None when there is none, or more than one."""
    if _says_nothing(text, start, end):
        return None
    article = _article(text).upto(end)
    found = {
        s.who.name if s.who is not None else None
        for s in article.segments
        if not s.partial and s.start < end and s.end > start and _has_words(text, s, start, end)
    }
    found |= {
        who.name if who is not None else None
        for a, b, who in article.sentences
        if a < end and b > start
    }
    found.discard(None)
    return _shown(found.pop()) if len(found) == 1 else None


def statements(text: str) -> list[tuple[int, int, str, str]]:
    """Every sentence of ``text`` that someone speaks, as (start, end, speaker, also known as),
    in order: what ``sentence_speaker`` says of each sentence, and the other forms the article
    gives the speaker's names ("DHSU" for the Dockworkers' and Harbour Staff Union)."""
    aliases = introduced_names(text)
    found = []
    for p_start, p_end in paragraph_spans(text):
        for start, end in sentence_spans(text, p_start, p_end):
            who = sentence_speaker(text, start, end)
            if who:
                found.append((start, end, who, _also_known_as(who, aliases)))
    return found


def _also_known_as(speaker: str, aliases: list[tuple[str, str]]) -> str:
    other = []
    for short, full in aliases:
        if full in speaker:
            other.append(short)
        elif re.search(rf"\b{re.escape(short)}\b", speaker):
            other.append(full)
    return " ".join(dict.fromkeys(other))
