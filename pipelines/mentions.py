"""Company mentions: a dictionary matcher (cashtags, exchange-qualified tickers, names) and DetectMentions.

What counts as a mention of a company, in one sentence of an article:
- a cashtag, `$AAPL`: always (a cashtag of a symbol not in the dictionary yields that symbol);
- an exchange-qualified ticker, `NASDAQ: AAPL`, `(NYSE:KO)`, `(LSE: BARC)`: always; tickers not in
  the dictionary are emitted as written (US exchanges) or with the exchange's suffix (`CRN.L`),
  and the capitalised name written just before `(LSE: CRN)` becomes the company's name and, with
  its first word, an alias for the rest of the article (`Corran Airlines plc`, later `Corran`);
- an unambiguous name or alias from `companies.yaml` (`Microsoft`, `Rolls-Royce`), case-sensitive,
  on word boundaries; US symbols of four letters or more are aliases too (`NVDA`);
- an ambiguous name (`Apple`, `Shell`, `Target`) only with context: a corporate suffix or a verb
  of corporate news right after it (`Apple Inc`, `Shell said`), corporate words in the sentence
  (shares, CEO, earnings, Nasdaq-listed, ...), or an unambiguous mention of the same company in
  this or an earlier sentence of the article (the feed's own `tickers` count as one);
- a bare ticker (`KSTL shares rose`) only when the article has already named it by cashtag or
  exchange, or the feed lists it in `tickers`.
All of it is one compiled regular expression per sentence (the names are compiled into a trie).

Per-article entities: for each company, `mentions` = sentences naming it, `sentiment` = mean of
those sentences' P(positive) − P(negative), `relevance` = their share of the article's classified
sentences. They go to `articles.entities` and each mentioning sentence is a `mentions` row
(both built by ScoreArticles, `pipelines/rows.py`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import apache_beam as beam
import yaml

from pipelines.records import ClassifiedArticle, Mention
from pipelines.settings import MentionSettings

COMPANIES_FILE = Path(__file__).with_name("companies.yaml")

# canonical exchange name → (ticker suffix of its listings, how articles write it before ":")
EXCHANGES: dict[str, tuple[str, tuple[str, ...]]] = {
    "NASDAQ": ("", ("NASDAQ", "Nasdaq", "NasdaqGS", "NasdaqGM", "NasdaqCM")),
    "NYSE": ("", ("NYSE", "NYSE American", "NYSE Arca", "NYSEArca", "AMEX")),
    "OTC": ("", ("OTC", "OTCQX", "OTC Markets")),
    "LSE": (".L", ("LSE", "LON", "AIM", "London Stock Exchange")),
    "XETRA": (".DE", ("Xetra", "XETRA", "ETR", "FWB", "FRA")),
    "Euronext Paris": (".PA", ("EPA", "Euronext Paris")),
    "Euronext Amsterdam": (".AS", ("AMS", "Euronext Amsterdam")),
    "Euronext Brussels": (".BR", ("EBR", "Euronext Brussels")),
    "Euronext Dublin": (".IR", ("ISE", "Euronext Dublin")),
    "Borsa Italiana": (".MI", ("BIT", "MIL", "Borsa Italiana", "Euronext Milan")),
    "SIX": (".SW", ("SIX", "SWX", "VTX")),
    "BME": (".MC", ("BME", "MCE")),
    "Nasdaq Copenhagen": (".CO", ("CPH", "Copenhagen", "Nasdaq Copenhagen")),
    "Nasdaq Stockholm": (".ST", ("STO", "Stockholm", "Nasdaq Stockholm")),
    "Nasdaq Helsinki": (".HE", ("HEL", "Helsinki", "Nasdaq Helsinki")),
    "Oslo Børs": (".OL", ("OSL", "OSE", "Oslo", "Oslo Børs")),
    "ASX": (".AX", ("ASX",)),
    "TSX": (".TO", ("TSX",)),
    "Tokyo": (".T", ("TYO", "Tokyo")),
    "HKEX": (".HK", ("HKEX", "HKG", "SEHK")),
}
US_EXCHANGES = frozenset({"NASDAQ", "NYSE", "OTC"})
BARE_TICKER_STOPWORDS = frozenset({"COST", "SHOP", "SPOT", "SNOW"})

_CORPORATE_SUFFIX = (r"Inc|Incorporated|Corp|Corporation|Co|Company|plc|PLC|Plc|AG|SE|SA|S\.A|NV|N\.V"
                     r"|ASA|AB|A/S|Oyj|Ltd|Limited|LLC|Group|Holdings|KGaA|S\.p\.A")
_EXCHANGE_SPELLINGS = tuple(spelling for _, spellings in EXCHANGES.values() for spelling in spellings)
_AFTER_AMBIGUOUS = re.compile(
    rf"(?:'s)?\s*,?\s*(?:(?:{_CORPORATE_SUFFIX})\b|\((?:{'|'.join(map(re.escape, _EXCHANGE_SPELLINGS))})"
    r"|(?:said|says|announced|reported|posted|unveiled|launched|agreed|plans|expects|forecast|shares"
    r"|stock|CEO|chief|executives?|investors)\b)")
_CORPORATE_CONTEXT = re.compile(
    r"\b(?:shares?|stocks?|stockholders?|shareholders?|investors?|analysts?|earnings|revenues?|profits?"
    r"|quarterly|fiscal|guidance|dividends?|buybacks?|CEO|CFO|chief executive|chairman|market value"
    r"|market cap|valuation|IPO|[A-Za-z]+-listed|Nasdaq|NYSE|Wall Street|takeover|merger|acquisition"
    r"|the company|chipmaker|carmaker|automaker|retailer|lender|insurer|brand|subsidiary|price target"
    r"|downgraded|upgraded|outperform|underperform|ticker)\b", re.IGNORECASE)
_LEADING_NOT_NAME = frozenset({"The", "A", "An", "On", "In", "At", "By", "Shares", "Rival", "Die", "Der",
                               "Das", "Le", "La", "Les", "De", "Het"})
_NAME_SUFFIXES = frozenset({"Inc", "Inc.", "Corp", "Corp.", "Corporation", "Co", "Co.", "Company", "plc",
                            "PLC", "Plc", "AG", "SE", "SA", "S.A.", "NV", "N.V.", "ASA", "AB", "A/S", "Oyj",
                            "Ltd", "Ltd.", "Limited", "LLC", "KGaA", "S.p.A."})
_GENERIC_FIRST_WORDS = frozenset({"American", "British", "Bank", "First", "General", "Global", "Great",
                                  "International", "National", "New", "North", "South", "East", "West",
                                  "Royal", "United", "Deutsche", "European", "Swiss", "China", "US", "U.S."})


class CompanyDictionaryError(ValueError):
    """companies.yaml is invalid; the message names the file, the company and the field."""


@dataclass(frozen=True)
class Company:
    """One listed company: canonical ticker, home exchange, official name and the names it goes by."""

    ticker: str
    exchange: str
    name: str
    aliases: tuple[str, ...] = ()
    ambiguous: tuple[str, ...] = ()
    listings: tuple[tuple[str, str], ...] = ()

    @property
    def symbol(self) -> str:
        """The home-exchange symbol, without the exchange suffix (`SAP` for `SAP.DE`)."""
        suffix = EXCHANGES[self.exchange][0]
        return self.ticker[: -len(suffix)] if suffix else self.ticker


def local_ticker(symbol: str, exchange: str | None) -> str:
    """Canonical ticker of a symbol the dictionary does not know: US as written, else suffixed."""
    suffix = EXCHANGES[exchange][0] if exchange else ""
    return symbol + suffix if suffix and not symbol.endswith(suffix) else symbol


def _normalize(text: str) -> str:
    return text.replace("\u2019", "'")


def _listing(raw: str, where: str) -> tuple[str, str]:
    exchange, _, symbol = str(raw).partition(":")
    if exchange not in EXCHANGES or not symbol:
        raise CompanyDictionaryError(f"{where}: listing {raw!r} is not EXCHANGE:SYMBOL with a known exchange")
    return exchange, symbol


def _company(raw: object, where: str) -> Company:
    if not isinstance(raw, dict):
        raise CompanyDictionaryError(f"{where}: expected a mapping, got {type(raw).__name__}")
    for key in ("ticker", "exchange", "name"):
        if not isinstance(raw.get(key), str) or not raw[key]:
            raise CompanyDictionaryError(f"{where}: `{key}` must be a non-empty string")
    if raw["exchange"] not in EXCHANGES:
        raise CompanyDictionaryError(f"{where}: unknown exchange {raw['exchange']!r} (known: {sorted(EXCHANGES)})")
    return Company(raw["ticker"], raw["exchange"], raw["name"],
                   tuple(_normalize(a) for a in raw.get("aliases") or ()),
                   tuple(_normalize(a) for a in raw.get("ambiguous") or ()),
                   tuple(_listing(item, where) for item in raw.get("listings") or ()))


def load_companies(path: str | Path | None = None) -> tuple[Company, ...]:
    """The companies of a dictionary file (None: the shipped `companies.yaml`), validated."""
    path = path or COMPANIES_FILE
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("companies"), list):
        raise CompanyDictionaryError(f"{path}: expected a mapping with a `companies` list")
    companies = tuple(_company(raw, f"{path}: company #{i}") for i, raw in enumerate(data["companies"], 1))
    seen: dict[str, str] = {}
    for company in companies:
        for key in (company.ticker, *company.aliases, *company.ambiguous):
            if seen.setdefault(key, company.ticker) != company.ticker:
                raise CompanyDictionaryError(f"{path}: {key!r} is given to both {seen[key]} and {company.ticker}")
    return companies


# --- the one regular expression --------------------------------------------------------------

def _char(ch: str) -> str:
    return "['\u2019]" if ch == "'" else re.escape(ch)


def trie_regex(words: Iterable[str]) -> str:
    """A regex alternation of `words` compiled as a trie (longest match first, no per-word loop)."""
    trie: dict = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}
    return _node_regex(trie) if trie else "(?!)"


def _node_regex(node: dict) -> str:
    branches = [_char(ch) + _node_regex(child) for ch, child in sorted(node.items()) if ch]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    if "" in node:
        return f"(?:{body})?"
    return body


def _compile(names: Iterable[str]) -> re.Pattern[str]:
    return re.compile(
        r"(?<![\w$])\$(?P<cash>[A-Z]{1,6}(?:\.[A-Z]{1,2})?)(?![\w])"
        rf"|(?<![\w])(?P<exch>{trie_regex(_EXCHANGE_SPELLINGS)})\s?:\s?(?P<qsym>[A-Z][A-Z0-9]{{0,5}}(?:[.\-][A-Z0-9]{{1,3}})?)(?![\w])"
        rf"|(?<![\w])(?P<name>{trie_regex(names)})(?![\w])"
        r"|(?<![\w$])(?P<bare>[A-Z][A-Z0-9]{1,5}(?:\.[A-Z])?)(?![\w])")


def _learned_name(prefix: str) -> list[str]:
    """The capitalised name just before `(EXCHANGE: SYM)`: full name without suffix, and its first word."""
    words: list[str] = []
    for token in reversed(prefix.rstrip(" (,").split()[-8:]):
        if not (token[0].isupper() or token in _NAME_SUFFIXES | {"&", "and"}):
            break
        words.insert(0, token.rstrip(","))
    while words and words[-1] in _NAME_SUFFIXES | {"&", "and"}:
        words.pop()
    while words and (words[0] in _LEADING_NOT_NAME or (words[0].isupper() and len(words[0]) > 3)):
        words.pop(0)
    if not words:
        return []
    names = [" ".join(words)]
    first = words[0]
    if len(words) > 1 and len(first) >= 4 and first.isalpha() and first not in _GENERIC_FIRST_WORDS:
        names.append(first)
    return names


# --- matching ----------------------------------------------------------------------------------

@dataclass
class _ArticleState:
    seen: set[str] = field(default_factory=set)               # canonical tickers named unambiguously
    bare: dict[str, Mention] = field(default_factory=dict)     # symbol → mention it stands for
    learned: dict[str, Mention] = field(default_factory=dict)  # article-local name → mention
    learned_regex: re.Pattern[str] | None = None


class MentionMatcher:
    """Finds company mentions in the sentences of one article (see the module docstring)."""

    def __init__(self, companies: Sequence[Company]) -> None:
        self._names: dict[str, tuple[Company, bool]] = {}
        self._symbols: dict[str, list[tuple[str, Company]]] = {}
        for company in companies:
            self._add_company(company)
        self._regex = _compile(self._names)

    @classmethod
    def default(cls) -> MentionMatcher:
        """The matcher over the shipped `companies.yaml`."""
        return cls(load_companies())

    def _add_company(self, company: Company) -> None:
        for alias in (company.name, *company.aliases):
            self._names[alias] = (company, False)
        for alias in company.ambiguous:
            self._names[alias] = (company, True)
        for exchange, symbol in ((company.exchange, company.symbol), *company.listings):
            for key in {symbol, symbol.split("-")[0]}:
                self._symbols.setdefault(key, []).append((exchange, company))
            if exchange in US_EXCHANGES and len(symbol) >= 4 and symbol.isalpha() \
                    and symbol not in BARE_TICKER_STOPWORDS:
                self._names.setdefault(symbol, (company, False))

    def company(self, symbol: str, exchange: str | None = None) -> Company | None:
        """The company listed as `symbol` (on `exchange` when given; else preferring a US listing)."""
        listed = self._symbols.get(symbol, [])
        for wanted in ([exchange] if exchange else [*sorted(US_EXCHANGES), None]):
            for listed_exchange, company in listed:
                if wanted is None or listed_exchange == wanted:
                    return company
        return None

    def _ticker_mention(self, symbol: str, exchange: str | None, text: str, kind: str, start: int) -> Mention:
        company = self.company(symbol, exchange)
        if company:
            return Mention(company.ticker, company.name, company.exchange, text, kind, start)
        return Mention(local_ticker(symbol, exchange), None, exchange, text, kind, start)

    def feed_ticker(self, symbol: str) -> str:
        """The ticker a feed's `tickers` entry stands for, as mentions spell it."""
        return self._ticker_mention(symbol.upper(), None, symbol, "ticker", 0).ticker

    def article_mentions(self, sentences: Sequence[str], feed_tickers: Iterable[str] = ()) -> list[list[Mention]]:
        """For each sentence of an article, in order, its mentions (one per company, first first)."""
        state = _ArticleState()
        for symbol in feed_tickers:
            mention = self._ticker_mention(symbol.upper(), None, symbol, "ticker", 0)
            state.seen.add(mention.ticker)
            state.bare[symbol.upper()] = mention
        return [self._sentence(text, state) for text in sentences]

    def sentence_mentions(self, sentence: str) -> list[Mention]:
        """The mentions of one sentence read on its own (no article context)."""
        return self.article_mentions([sentence])[0]

    def _sentence(self, text: str, state: _ArticleState) -> list[Mention]:
        found: list[Mention] = []
        ambiguous: list[tuple[re.Match[str], Mention]] = []
        bare: list[re.Match[str]] = []
        for match in self._regex.finditer(text):
            if match["cash"]:
                found.append(self._ticker_mention(match["cash"], None, match[0], "cashtag", match.start()))
                state.bare.setdefault(match["cash"], found[-1])
            elif match["qsym"]:
                found.append(self._qualified(match, text, state))
            elif match["name"]:
                company, is_ambiguous = self._names[_normalize(match["name"])]
                mention = Mention(company.ticker, company.name, company.exchange, match[0], "name", match.start())
                (ambiguous.append((match, mention)) if is_ambiguous else found.append(mention))
            else:
                bare.append(match)
        state.seen.update(mention.ticker for mention in found)
        found += [mention for match, mention in ambiguous
                  if mention.ticker in state.seen or _has_context(text, match)]
        found += [_retyped(state.bare[m["bare"]], m[0], "ticker", m.start()) for m in bare if m["bare"] in state.bare]
        found += self._learned(text, state)
        state.seen.update(mention.ticker for mention in found)
        return _first_per_ticker(found)

    def _qualified(self, match: re.Match[str], text: str, state: _ArticleState) -> Mention:
        exchange = next(name for name, (_, spellings) in EXCHANGES.items() if match["exch"] in spellings)
        mention = self._ticker_mention(match["qsym"], exchange, match[0], "exchange", match.start())
        names = _learned_name(text[: match.start()]) if mention.name is None else []
        if names:
            mention = Mention(mention.ticker, names[0], exchange, match[0], "exchange", match.start())
            for name in names:
                state.learned.setdefault(name, mention)
            state.learned_regex = re.compile(rf"(?<![\w])(?:{trie_regex(state.learned)})(?![\w])")
        state.bare.setdefault(match["qsym"], mention)
        return mention

    def _learned(self, text: str, state: _ArticleState) -> list[Mention]:
        if state.learned_regex is None:
            return []
        return [_retyped(state.learned[m[0]], m[0], "learned", m.start())
                for m in state.learned_regex.finditer(text) if m[0] in state.learned]


def _retyped(mention: Mention, text: str, kind: str, start: int) -> Mention:
    return Mention(mention.ticker, mention.name, mention.exchange, text, kind, start)


def _has_context(text: str, match: re.Match[str]) -> bool:
    return bool(_AFTER_AMBIGUOUS.match(text, match.end()) or _CORPORATE_CONTEXT.search(text))


def _first_per_ticker(mentions: list[Mention]) -> list[Mention]:
    first: dict[str, Mention] = {}
    for mention in sorted(mentions, key=lambda m: m.start):
        first.setdefault(mention.ticker, mention)
    return list(first.values())


# --- the Beam stage ---------------------------------------------------------------------------

def detect_mentions(matcher: MentionMatcher, classified: ClassifiedArticle) -> ClassifiedArticle:
    """The article with each sentence's mentions and the feeds' declared tickers that it names."""
    feed_tickers = classified.article.entry.tickers
    found = matcher.article_mentions([sentence.text for sentence, _, _ in classified.sentences], feed_tickers)
    named = {mention.ticker for mentions in found for mention in mentions}
    declared = dict.fromkeys(matcher.feed_ticker(symbol) for symbol in feed_tickers)
    return replace(classified, mentions=tuple(tuple(mentions) for mentions in found),
                   tickers=tuple(ticker for ticker in declared if ticker in named))


class _DetectFn(beam.DoFn):
    def __init__(self, companies: tuple[Company, ...]) -> None:
        self._companies = companies
        self._matcher: MentionMatcher | None = None
        self._counter = beam.metrics.Metrics.counter("mentions", "mentions")

    def setup(self) -> None:
        self._matcher = MentionMatcher(self._companies)

    def process(self, classified: ClassifiedArticle) -> Iterator[ClassifiedArticle]:
        detected = detect_mentions(self._matcher, classified)
        self._counter.inc(sum(len(mentions) for mentions in detected.mentions))
        yield detected


class DetectMentions(beam.PTransform):
    """ClassifiedArticle → the same with its `mentions` (per sentence) and declared `tickers` it names.

    The company dictionary is read here, in the launcher, and travels with the stage, so a
    `--companies` file need not exist on remote workers and a bad one stops the run before it starts.
    """

    def __init__(self, settings: MentionSettings | None = None) -> None:
        super().__init__()
        self._companies = load_companies((settings or MentionSettings()).companies)

    def expand(self, articles: beam.PCollection) -> beam.PCollection:
        """Match each article's sentences, in order, with the article's context."""
        return articles | "Match" >> beam.ParDo(_DetectFn(self._companies))
