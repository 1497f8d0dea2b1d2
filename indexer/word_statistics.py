"""Word statistics for the weighted relaxed tiers, kept in memory once per index generation.

The weighted tiers (indexer/relaxed.py) weigh each typed word by how informative it is in the
vocabulary: its analysed term and its document frequency in `words` and `own_words`. Asking the
index for them with a term vectors request on every relaxed autocomplete request was one more
round trip on the hot path, and under load every round trip queues (issue 11's latency target).
Those figures only change when the vocabulary is rebuilt, so here they are read once per
*concrete* index (the alias moves to a new one on a rebuild, so the concrete name is the key):

  * The first request that needs an index's statistics starts `IndexStatistics.fill` in a
    background thread: it reads every word of the texts that feed `words` (labels, alternate and
    hidden labels, crosswalked occupation titles: whatever the mapping copies there), and has the index analyse and count them in a
    few batched `_mtermvectors` requests: folded word -> (term, doc_freq, own_freq). A few thousand
    concepts give some ten thousand words, a few MB at most (MAX_WORDS bounds it); it takes
    0.3-2 s, and no request waits for it.
  * A typed word the table does not hold (it is not filled yet, or the vocabulary's texts never
    use the word: "bootcamp", "hvacr") is looked up once, all such words of a text in one small
    term vectors request, and remembered (unknown ones too) in a bounded cache per index.
  * Text whose words the index would cut differently than `relaxed.fold` does ("U.S.", "2.5",
    "1,000", non-Latin scripts: see `splits_like_the_index`) goes the old way, one term vectors
    request about the whole text (relaxed.word_weights, cached per text).

The weights are exactly the ones that term vectors give (tests/test_word_statistics.py checks
real names both ways): same terms, same statistics, same arithmetic (relaxed.weights_from_terms).
Incremental updates between rebuilds (the relay re-indexing a concept) are not seen until the next
rebuild or restart; an IDF moves little with one document.

Which concrete index an alias points at is asked at most every ALIAS_SECONDS per alias, or learnt
for free from the `_index` of the hits of the strict step that came just before.
"""
from __future__ import annotations

import logging
import re
import threading
import time
import unicodedata
from dataclasses import dataclass, field

from opensearchpy import NotFoundError, OpenSearch, TransportError

from indexer import relaxed
from indexer.relaxed import OWN_WORDS_FIELD, WORDS_FIELD, TermStatistics, WordWeight

log = logging.getLogger(__name__)

# Used when the mapping cannot be read: the fields copied into `words` in mappings/vocabulary/.
SOURCE_FIELDS = ("label", "alt_labels", "hidden_labels", "occupation_titles", "occupation_alt_titles")
# Words per artificial document of the build's _mtermvectors, and documents per request.
WORDS_PER_DOC = 2000
DOCS_PER_REQUEST = 5
MAX_WORDS = 200_000
MAX_UNKNOWN = 20_000        # words learnt after the build, per index
MAX_INDICES = 8             # generations kept; an old one is simply evicted
ALIAS_SECONDS = 5.0
FILL_WAIT_SECONDS = 60.0    # how long `wait` waits for a fill another thread started
# The fill runs off the request path, with the web client: its requests may take longer than a
# person would wait.
FILL_TIMEOUT = 30.0
SCROLL_SIZE = 1000
RETRY_SECONDS = 60.0        # after a failed fill, before the next try

# Where the index's standard tokenizer and relaxed.fold could cut a text differently: a dot, a
# colon or an underscore inside a word ("U.S", "a:b", "a_b"), a comma inside a number ("1,000").
_JOINED = re.compile(r"[^\W_][.:_]+[^\W_]|\d,\d")
_APOSTROPHES = re.compile(r"['\u2019]")


def splits_like_the_index(text: str) -> bool:
    """Whether the index's analyser cuts `text` into the same words as relaxed.fold does, so that
    analysing each folded word on its own gives the terms of the whole text. True for Latin-script
    text without in-word dots, colons, underscores or digit groups; anything else is left to the
    term vectors of the whole text."""
    text = _APOSTROPHES.sub("", text)  # both sides drop apostrophes before cutting words
    if _JOINED.search(text):
        return False
    for ch in text:
        if ch.isascii() or unicodedata.combining(ch):
            continue
        if ch.isalnum() and not unicodedata.name(ch, "").startswith("LATIN"):
            return False
        if not ch.isalnum() and not ch.isspace() and unicodedata.category(ch)[0] not in "PSZ":
            return False
    return True


Entry = tuple[TermStatistics, ...]   # the terms one folded word is analysed into; () for a stop word


@dataclass
class IndexStatistics:
    """The statistics of one concrete vocabulary index: folded word -> its terms and their counts.
    `words` is empty until `fill` has read the whole vocabulary; until then every word is looked up
    (and remembered) as an unknown one, so nothing waits for the build."""

    index: str
    doc_count: int = 0
    own_count: int = 0
    words: dict[str, Entry] = field(default_factory=dict)
    unknown: relaxed._Cache = field(default_factory=lambda: relaxed._Cache(MAX_UNKNOWN))
    counted: bool = False
    filled: threading.Event = field(default_factory=threading.Event, repr=False)  # set once `fill` ended
    retry_at: float = 0.0  # when a failed fill may be tried again (time.monotonic), 0 when none failed

    @classmethod
    def build(cls, client: OpenSearch, index: str) -> "IndexStatistics":
        """The statistics of `index`, read now (the background build runs the same `fill`)."""
        stats = cls(index)
        stats.fill(client)
        return stats

    def fill(self, client: OpenSearch) -> None:
        """Read every word the vocabulary's texts use and have the index analyse and count them, in
        a few _mtermvectors requests of WORDS_PER_DOC words each."""
        words = sorted(_source_words(client, self.index))[:MAX_WORDS] or ["x"]
        table: dict[str, Entry] = {}
        docs = [words[i:i + WORDS_PER_DOC] for i in range(0, len(words), WORDS_PER_DOC)]
        for start in range(0, len(docs), DOCS_PER_REQUEST):
            batch = docs[start:start + DOCS_PER_REQUEST]
            answer = client.mtermvectors(index=self.index, body={"docs": [_analysis_request(chunk) for chunk in batch]},
                                         request_timeout=FILL_TIMEOUT)
            for chunk, vectors in zip(batch, answer["docs"]):
                table.update(_entries(chunk, vectors))
                self._count(vectors)
        self.words = table  # one reference swap: readers see the old table or the whole new one

    def _count(self, vectors: dict) -> None:
        counts = relaxed.field_counts(vectors)
        if counts[0]:
            self.doc_count, self.own_count = counts
            self.counted = True

    def entries(self, client: OpenSearch, words: list[str], timeout: float | None = None) -> dict[str, Entry]:
        """Each of `words` with its terms: from the table, the cache of words learnt since, or (all
        the remaining ones in one request) from the index, remembered for next time."""
        found, missing = {}, []
        for word in dict.fromkeys(words):
            entry = self.words.get(word)
            if entry is None:
                entry = self.unknown.get(word)
            if entry is None:
                missing.append(word)
            else:
                found[word] = entry
        if missing:
            params = {"request_timeout": timeout} if timeout else {}
            vectors = client.termvectors(index=self.index, body=_analysis_request(missing), **params)
            self._count(vectors)
            for word, entry in _entries(missing, vectors).items():
                self.unknown.put(word, entry)
                found[word] = entry
        return found

    def weights(self, client: OpenSearch, text: str, head_factor: float = relaxed.HEAD_FACTOR,
                timeout: float | None = None) -> list[WordWeight]:
        """relaxed.weights_from_term_vectors(text, <term vectors about text>), without asking the
        index about words it already answered for. Only for text that splits_like_the_index."""
        typed = relaxed.fold(text).split()
        entries = self.entries(client, typed, timeout)
        by_term: dict[str, tuple[TermStatistics, list[str]]] = {}
        for word in typed:
            for stats in entries[word]:
                by_term.setdefault(stats.term, (stats, []))[1].append(word)
        found = [by_term[term] for term in sorted(by_term)]  # term vectors list terms in term order
        return relaxed.weights_from_terms(text, found, self.doc_count, self.own_count, head_factor)


def _analysis_request(words: list[str]) -> dict:
    """A term vectors request about `words`, one a line, as an artificial document."""
    return relaxed.term_vectors_request("\n".join(words))


def _entries(words: list[str], vectors: dict) -> dict[str, Entry]:
    """Which terms each of `words` (sent one a line) was analysed into, by the offsets of its tokens."""
    starts, offset = {}, 0
    for word in words:
        starts[offset] = word
        offset += len(word) + 1
    out: dict[str, list[TermStatistics]] = {word: [] for word in words}
    own_terms = vectors.get("term_vectors", {}).get(OWN_WORDS_FIELD, {}).get("terms", {})
    for term, stats in vectors.get("term_vectors", {}).get(WORDS_FIELD, {}).get("terms", {}).items():
        entry = TermStatistics(term, stats.get("doc_freq", 0), own_terms.get(term, {}).get("doc_freq", 0))
        for token in stats.get("tokens", []):
            word = _word_at(starts, token.get("start_offset", -1))
            if word is not None and entry not in out[word]:
                out[word].append(entry)
    return {word: tuple(terms) for word, terms in out.items()}


def _word_at(starts: dict[int, str], offset: int) -> str | None:
    """The word (of those sent one a line) that a token at `offset` belongs to."""
    while offset >= 0 and offset not in starts:
        offset -= 1
    return starts.get(offset)


def copied_into_words(client: OpenSearch, index: str) -> tuple[str, ...]:
    """The top-level fields of `index` whose values its mapping copies into `words`."""
    try:
        mappings = client.indices.get_mapping(index=index, request_timeout=FILL_TIMEOUT)
    except TransportError:
        return SOURCE_FIELDS
    fields = set()
    for body in mappings.values():
        for name, spec in body.get("mappings", {}).get("properties", {}).items():
            copy_to = spec.get("copy_to") or []
            if WORDS_FIELD in ([copy_to] if isinstance(copy_to, str) else copy_to):
                fields.add(name)
    return tuple(sorted(fields)) or SOURCE_FIELDS


def _source_words(client: OpenSearch, index: str) -> set[str]:
    """Every folded word of the texts that feed `words`, read with one scroll over the index. (A
    word missed here is only looked up later, when typed: the table is a cache, never the truth.)"""
    words: set[str] = set()
    fields = copied_into_words(client, index)
    resp = client.search(index=index, scroll="1m", body={"size": SCROLL_SIZE, "_source": list(fields),
                                                         "query": {"match_all": {}}}, request_timeout=FILL_TIMEOUT)
    scroll_id = resp.get("_scroll_id")
    try:
        while resp["hits"]["hits"]:
            for hit in resp["hits"]["hits"]:
                for name in fields:
                    values = hit["_source"].get(name) or []
                    for value in [values] if isinstance(values, str) else values:
                        if isinstance(value, str):
                            words.update(relaxed.fold(value).split())
            resp = client.scroll(scroll_id=scroll_id, scroll="1m", request_timeout=FILL_TIMEOUT)
            scroll_id = resp.get("_scroll_id", scroll_id)
    finally:
        if scroll_id:
            try:
                client.clear_scroll(scroll_id=scroll_id)
            except TransportError:  # the scroll expires on its own
                pass
    return words


# --- which statistics a request uses -----------------------------------------------------------


class _Registry:
    """Statistics per concrete index (read once, by one background thread), and alias -> concrete."""

    def __init__(self):
        self.lock = threading.Lock()
        self.statistics: dict[str, IndexStatistics] = {}
        self.aliases: dict[str, tuple[str, float]] = {}

    def concrete(self, client: OpenSearch, alias: str, hint: str | None = None) -> str:
        now = time.monotonic()
        if hint:
            self.aliases[alias] = (hint, now)
            return hint
        known = self.aliases.get(alias)
        if known and now - known[1] < ALIAS_SECONDS:
            return known[0]
        names = list(client.indices.get_alias(index=alias))
        name = names[0] if len(names) == 1 else alias
        self.aliases[alias] = (name, now)
        return name

    def for_index(self, client: OpenSearch, index: str, wait: bool = False) -> IndexStatistics:
        """The statistics of `index`; the first call starts reading its whole vocabulary in the
        background (`wait`: in the foreground), and until that is done words are looked up one
        text at a time."""
        with self.lock:
            stats = self.statistics.get(index)
            fresh = stats is None
            if fresh:
                stats = self.statistics[index] = IndexStatistics(index)
                while len(self.statistics) > MAX_INDICES:
                    self.statistics.pop(next(iter(self.statistics)))
            # The last fill failed (a busy node, a timeout): try again, once per RETRY_SECONDS.
            again = not fresh and bool(stats.retry_at) and time.monotonic() > stats.retry_at
            if again:
                stats.retry_at = 0.0
        if fresh and wait:
            _fill(client, stats)
        elif fresh or again:
            threading.Thread(target=_fill, args=(client, stats), name=f"word-statistics {index}", daemon=True).start()
        elif wait:
            stats.filled.wait(FILL_WAIT_SECONDS)
        return stats

    def forget(self) -> None:
        with self.lock:
            self.statistics.clear()
            self.aliases.clear()


def _fill(client: OpenSearch, stats: IndexStatistics) -> None:
    started = time.monotonic()
    try:
        stats.fill(client)
    except TransportError as exc:  # the index went away, or the node is busy: look words up meanwhile
        log.warning("word statistics of %s not read (again in %.0f s): %s", stats.index, RETRY_SECONDS, exc)
        stats.retry_at = time.monotonic() + RETRY_SECONDS
        return
    finally:
        stats.filled.set()
    log.info("word statistics of %s: %d words in %.0f ms", stats.index, len(stats.words),
             (time.monotonic() - started) * 1000)


_REGISTRY = _Registry()
forget = _REGISTRY.forget


def statistics(client: OpenSearch, alias: str, hint: str | None = None, wait: bool = False) -> IndexStatistics:
    """The statistics of the index `alias` points at now (`hint`: its name, when already known);
    `wait` reads its whole vocabulary first if that has not been done (benches, tests)."""
    return _REGISTRY.for_index(client, _REGISTRY.concrete(client, alias, hint), wait)


def unknown_words(client: OpenSearch, alias: str, text: str, hint: str | None = None) -> list[str] | None:
    """The words of `text`, folded, that no text of the vocabulary behind `alias` uses as written:
    a typo, or a word it lacks ("bootcamp"). Asked of the words read once per index, so never a
    request; None until they are read. (As written: the stemmed terms would take "registred" for
    "registry".)"""
    stats = statistics(client, alias, hint)
    if not stats.filled.is_set() or not stats.words:
        return None
    return [word for word in relaxed.fold(text).split() if word not in stats.words]


def word_weights(client: OpenSearch, alias: str, text: str, timeout: float | None = None,
                 head_factor: float = relaxed.HEAD_FACTOR, hint: str | None = None) -> list[WordWeight]:
    """How much each word of `text` tells (relaxed.word_weights), from the statistics kept for the
    index behind `alias`; `hint` is that index's name when a search just named it."""
    if not splits_like_the_index(text):
        return relaxed.word_weights(client, alias, text, timeout, head_factor)
    try:
        return statistics(client, alias, hint).weights(client, text, head_factor, timeout)
    except NotFoundError:
        # The alias moved and the index it pointed at is gone: ask again, once.
        _REGISTRY.aliases.pop(alias, None)
        return statistics(client, alias).weights(client, text, head_factor, timeout)
