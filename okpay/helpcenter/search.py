"""In-process BM25 search over published articles, Chinese (jieba words + character bigrams) and
English (Snowball stems, stop words), with field weights, synonym expansion, highlighted snippets and
prefix suggestions. One index per language, rebuilt lazily when `SearchIndexState.version` moves, so
every process picks up newly published content within a second."""

import functools
import html
import logging
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from okpay.core import i18n
from okpay.core.text import CJK_RUN, jieba_tokenizer, normalize
from okpay.core.text import embed as core_embed

logger = logging.getLogger(__name__)

TOKEN_RE = re.compile(rf"({CJK_RUN})|([a-z0-9]+(?:'[a-z]+)?)")
BIGRAM = "\x01"  # namespace for character bigrams, apart from jieba words

EN_STOP = frozenset(
    [
        "a",
        "about",
        "after",
        "again",
        "all",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "him",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "me",
        "more",
        "most",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "yourself",
        "get",
        "got",
        "can't",
        "cant",
        "dont",
        "don't",
        "im",
        "i'm",
        "want",
        "need",
        "please",
        "help",
        "hi",
        "hello",
        "okpay",
    ]
)
ZH_STOP = frozenset(
    [
        "的",
        "了",
        "吗",
        "呢",
        "吧",
        "啊",
        "呀",
        "嘛",
        "么",
        "我",
        "你",
        "您",
        "他",
        "她",
        "它",
        "我们",
        "你们",
        "是",
        "在",
        "有",
        "和",
        "与",
        "及",
        "或",
        "就",
        "都",
        "也",
        "还",
        "要",
        "想",
        "会",
        "能",
        "可以",
        "怎么",
        "怎样",
        "如何",
        "什么",
        "哪里",
        "哪儿",
        "为什么",
        "为啥",
        "咋",
        "怎么办",
        "一下",
        "一个",
        "这个",
        "那个",
        "这",
        "那",
        "请问",
        "请",
        "帮",
        "帮忙",
        "如果",
        "但是",
        "可是",
        "因为",
        "所以",
        "然后",
        "现在",
        "已经",
        "没有",
        "不",
        "没",
        "多少",
        "几",
        "到",
        "给",
        "把",
        "被",
        "让",
        "对",
        "从",
        "向",
        "于",
        "个",
        "上",
        "下",
        "中",
        "里",
        "过",
        "着",
        "得",
        "地",
        "okpay",
    ]
)

# Words customers use for the same thing; expanded at query time with a lower weight.
SYNONYMS = [
    ["提现", "资金转出", "转出", "取钱", "提款", "withdraw", "withdrawal", "cash out", "payout"],
    ["到账", "到帐", "入账", "arrive", "arrival"],
    ["纠纷", "交易纠纷", "争议", "申诉", "dispute", "chargeback"],
    ["退款", "退钱", "refund"],
    ["汇率", "换汇", "兑换", "exchange rate", "conversion"],
    ["国际", "跨境", "境外", "海外", "international", "abroad", "overseas", "cross-border"],
    ["手续费", "费用", "收费", "扣费", "fee", "fees", "charge"],
    ["密码", "登录密码", "password", "passcode", "pw"],
    ["忘记", "忘了", "找回", "forgot", "forgotten"],
    ["重置", "重设", "reset"],
    ["锁定", "冻结", "被锁", "locked", "lockout", "frozen"],
    ["验证", "认证", "实名", "verify", "verification", "kyc"],
    ["客服", "人工", "联系", "contact", "support", "agent", "human"],
    ["银行卡", "借记卡", "卡", "card", "debit card", "bank card"],
    ["充值", "充钱", "top up", "topup", "top-up", "add money"],
    ["转账", "汇款", "打钱", "transfer", "send money"],
    ["扣了两次", "重复扣款", "扣两次", "charged twice", "double charge", "duplicate"],
    ["双重验证", "两步验证", "二次验证", "2fa", "two-factor", "authenticator"],
    ["商户", "商家", "卖家", "店家", "merchant", "seller", "shop", "store"],
    [
        "多久",
        "多长时间",
        "几天",
        "几个工作日",
        "how long",
        "how many days",
        "business days",
        "processing time",
    ],
    ["取消", "撤销", "撤回", "cancel", "stop"],
    ["证据", "截图", "聊天记录", "凭证", "evidence", "screenshot", "screenshots", "proof"],
    ["冻结", "被冻结", "暂扣", "on hold", "held", "hold", "frozen"],
    ["证件", "身份证", "护照", "身份", "id", "identity", "passport"],
    ["钓鱼", "诈骗", "骗子", "假冒", "phishing", "scam", "fraud", "fake"],
    ["登录设备", "登录记录", "登过", "设备", "sessions", "signed in", "devices", "logged in"],
    ["验证器", "谷歌验证器", "身份验证器", "authenticator", "google authenticator", "totp"],
    ["限额", "上限", "最多", "最高", "limit", "limits", "maximum", "max"],
    ["收款", "收钱", "收到钱", "receive", "receiving", "get paid"],
    ["货币", "币种", "外币", "currency", "currencies"],
    ["取出", "转到银行", "to my bank", "to bank", "cash out"],
    ["手机丢了", "手机被偷", "lost phone", "stolen phone"],
    ["注销", "销户", "关闭账户", "close account", "delete account"],
]
FIELD_WEIGHTS = {"title": 3.0, "tags": 2.0, "summary": 1.5, "body": 1.0, "transcript": 0.8}
FIELD_B = {"title": 0.5, "tags": 0.3, "summary": 0.6, "body": 0.75, "transcript": 0.75}
K1 = 1.2
GOOD_MATCH_RATIO = 0.34
# Hybrid ranking: BM25F (normalised by the best lexical score) plus the cosine similarity of
# multilingual sentence embeddings (Universal Sentence Encoder, shipped in its PyPI package).
SEMANTIC_WEIGHT = 1.5
SEMANTIC_FLOOR = 0.2
GOOD_COSINE = 0.55
LEXICAL_CANDIDATES, SEMANTIC_CANDIDATES = 50, 20


def embed(texts: list[str], *, batch: bool = False) -> np.ndarray | None:
    """Sentence embeddings for search, or None when semantic ranking is off (OKPAY_HELP_SEMANTIC=0)."""
    if not _semantic_on() or not texts:
        return None
    return core_embed(texts, batch=batch)


def _semantic_on() -> bool:
    from django.conf import settings

    return bool(getattr(settings, "OKPAY_HELP_SEMANTIC", True))


_embedded: dict[str, np.ndarray] = {}
_embedded_lock = threading.Lock()


def _document_embeddings(texts: list[str]) -> np.ndarray | None:
    """The documents' embeddings, each text encoded once per process: an index rebuilt after one
    article changed (in a visitor's request) encodes only that article."""
    if not texts or not _semantic_on():
        return None
    with _embedded_lock:
        known = {t: _embedded[t] for t in texts if t in _embedded}
    missing = [t for t in dict.fromkeys(texts) if t not in known]
    if missing:
        # the one-thread encoder that queries (and the answer bot) use: a second, two-thread instance
        # cost another 2-5 s to start and was no faster for the ~80 texts of an index on two busy cores
        vectors = embed(missing)
        if vectors is None:
            return None
        known.update(zip(missing, vectors, strict=True))
        with _embedded_lock:
            if len(_embedded) > 20_000:
                _embedded.clear()
            _embedded.update(zip(missing, vectors, strict=True))
    return np.stack([known[t] for t in texts])


_stemmer = None


@functools.lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    global _stemmer
    if _stemmer is None:
        import snowballstemmer

        _stemmer = snowballstemmer.stemmer("english")
    return _stemmer.stemWord(word)


@functools.lru_cache(maxsize=100_000)
def _segment(run: str) -> tuple[str, ...]:
    """jieba words of one run of Chinese characters (search mode), cached: runs repeat a lot."""
    return tuple(
        w for w in jieba_tokenizer().cut_for_search(run, HMM=False) if len(w) > 1 and w not in ZH_STOP
    )


def tokenize(text: str) -> list[str]:
    """Index/query terms: jieba words (search mode) and character bigrams for Chinese, stems for
    Latin words; stop words dropped."""
    terms: list[str] = []
    for match in TOKEN_RE.finditer(normalize(text)):
        cjk, latin = match.groups()
        if cjk:
            if len(cjk) == 1:
                if cjk not in ZH_STOP:
                    terms.append(cjk)
                continue
            terms.extend(_segment(cjk))
            terms.extend(BIGRAM + cjk[i : i + 2] for i in range(len(cjk) - 1))
        elif (latin not in EN_STOP and len(latin) > 1) or (latin.isdigit()):
            terms.append(_stem(latin.replace("'", "")))
    return terms


def _synonym_map() -> dict[str, list[str]]:
    mapping: dict[str, list[str]] = {}
    for group in SYNONYMS:
        for phrase in group:
            for other in group:
                if other != phrase:
                    mapping.setdefault(normalize(phrase), []).append(other)
    return mapping


_SYNONYMS: dict[str, list[str]] | None = None


Alternative = tuple[float, tuple[str, ...]]


def query_concepts(query: str) -> list[list[Alternative]]:
    """The query as concepts; each concept is a list of alternative term sets (weight, terms). A
    synonym phrase found in the query becomes one concept whose alternatives are the group's other
    phrases at weight 0.7; a document scores the best alternative of each concept, so a long
    article that mentions every synonym gains nothing over one that uses the customer's word."""
    global _SYNONYMS
    if _SYNONYMS is None:
        _SYNONYMS = _synonym_map()
    text = normalize(query)
    concepts: list[list[Alternative]] = []
    covered: set[str] = set()
    for phrase in sorted(_SYNONYMS, key=len, reverse=True):
        if phrase in text and not any(phrase in longer for longer in covered):
            own = tuple(tokenize(phrase))
            if not own:
                continue
            covered.add(phrase)
            alternatives: list[Alternative] = [(1.0, own)]
            alternatives += [(0.7, terms) for other in _SYNONYMS[phrase] if (terms := tuple(tokenize(other)))]
            concepts.append(alternatives)
    phrase_terms = {t for c in concepts for t in c[0][1]}
    concepts += [[(1.0, (term,))] for term in dict.fromkeys(tokenize(query)) if term not in phrase_terms]
    return concepts


def query_terms(query: str) -> dict[str, float]:
    """Flat view of the concepts: every term with its best weight (for prefix merging and tests)."""
    weights: dict[str, float] = {}
    for concept in query_concepts(query):
        for weight, terms in concept:
            for term in terms:
                weights[term] = max(weights.get(term, 0.0), weight)
    return weights


@dataclass
class Document:
    article_id: int
    key: str
    language: str  # language of the text indexed (may differ from the index language: fallback)
    title: str
    summary: str
    url: str
    kind: str
    body_text: str
    fields: dict = field(default_factory=dict)
    sentences: list[str] = field(default_factory=list)  # the body as sentences, for snippets


@dataclass
class Hit:
    document: Document
    score: float
    match_ratio: float
    cosine: float = 0.0

    @property
    def is_good(self) -> bool:
        return self.match_ratio >= GOOD_MATCH_RATIO or self.cosine >= GOOD_COSINE


class Index:
    def __init__(self, documents: list[Document]):
        self.documents = documents
        n = len(documents)
        field_counts: list[dict[str, Counter]] = []
        field_lengths = {name: np.zeros(n, dtype=np.float32) for name in FIELD_WEIGHTS}
        surface_words: set[str] = set()
        for i, doc in enumerate(documents):
            counts = {}
            for name in FIELD_WEIGHTS:
                text = doc.fields.get(name, "")
                if not text:
                    continue
                terms = tokenize(text)
                counts[name] = Counter(terms)
                field_lengths[name][i] = len(terms)
                surface_words.update(re.findall(r"[a-z][a-z0-9]{2,}", normalize(text)))
            field_counts.append(counts)
        averages = {
            name: max(float(lengths.mean()), 1.0) if n else 1.0 for name, lengths in field_lengths.items()
        }
        postings: dict[str, tuple[list[int], list[float]]] = {}
        for i, counts in enumerate(field_counts):
            pseudo: Counter = Counter()
            for name, counter in counts.items():
                norm = 1 - FIELD_B[name] + FIELD_B[name] * field_lengths[name][i] / averages[name]
                weight = FIELD_WEIGHTS[name] / norm
                for term, tf in counter.items():
                    pseudo[term] += weight * tf
            for term, tf in pseudo.items():
                ids, tfs = postings.setdefault(term, ([], []))
                ids.append(i)
                tfs.append(tf)
        self.terms: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for term, (ids, tfs) in postings.items():
            tf_a = np.asarray(tfs, dtype=np.float32)
            df = len(ids)
            idf = np.log(1 + (n - df + 0.5) / (df + 0.5))
            self.terms[term] = (
                np.asarray(ids, dtype=np.int32),
                (idf * tf_a * (K1 + 1) / (tf_a + K1)).astype(np.float32),
            )
        self.prefix_words = sorted(surface_words)
        self.embeddings = _document_embeddings([f"{d.title}. {d.summary}" for d in documents])

    def _expand_prefix(self, query: str) -> dict[str, float]:
        """Search-as-you-type: the last, unfinished Latin word matches words it starts."""
        match = re.search(r"([a-z]{2,})$", normalize(query))
        if not match:
            return {}
        import bisect

        prefix = match.group(1)
        start = bisect.bisect_left(self.prefix_words, prefix)
        expanded: dict[str, float] = {}
        for word in self.prefix_words[start : start + 12]:
            if not word.startswith(prefix):
                break
            expanded[_stem(word)] = 0.6
        return expanded

    def _term_scores(self, terms: tuple[str, ...]) -> np.ndarray | None:
        total = None
        for term in terms:
            posting = self.terms.get(term)
            if posting is None:
                continue
            if total is None:
                total = np.zeros(len(self.documents), dtype=np.float32)
            total[posting[0]] += posting[1]
        return total

    def search(self, query: str, *, limit: int = 10, prefix: bool = False) -> list[Hit]:
        concepts = query_concepts(query[:500])
        real_concepts = len(concepts)
        if prefix:
            concepts += [[(weight, (term,))] for term, weight in self._expand_prefix(query).items()]
        if not concepts or not self.documents:
            return []
        scores = np.zeros(len(self.documents), dtype=np.float32)
        matched = np.zeros(len(self.documents), dtype=np.int16)
        for position, concept in enumerate(concepts):
            best = None
            for weight, terms in concept:
                partial = self._term_scores(terms)
                if partial is None:
                    continue
                partial *= weight
                best = partial if best is None else np.maximum(best, partial)
            if best is not None:
                scores += best
                if position < real_concepts:  # prefix expansions do not count as matches
                    matched += best > 0
        lexical = np.flatnonzero(scores)
        if lexical.size == 0:
            return []  # nothing in common with the query: no semantic guesses either
        lexical = lexical[np.argsort(-scores[lexical], kind="stable")[:LEXICAL_CANDIDATES]]
        cosines = np.zeros(len(self.documents), dtype=np.float32)
        candidates = lexical
        if self.embeddings is not None:
            vector = embed([query[:500]])
            if vector is not None:
                cosines = self.embeddings @ vector[0]
                semantic = np.argsort(-cosines, kind="stable")[:SEMANTIC_CANDIDATES]
                candidates = np.union1d(lexical, semantic)
        best_lexical = float(scores[lexical[0]]) or 1.0
        combined = scores[candidates] / best_lexical + SEMANTIC_WEIGHT * np.maximum(
            cosines[candidates] - SEMANTIC_FLOOR, 0
        )
        order = candidates[np.argsort(-combined, kind="stable")[:limit]]
        final = dict(zip(candidates.tolist(), combined.tolist(), strict=True))
        return [
            Hit(
                self.documents[int(i)],
                final[int(i)],
                int(matched[i]) / max(real_concepts, 1),
                float(cosines[i]),
            )
            for i in order
        ]


SNIPPET_CHARS = 160
_CLAUSE_BREAK = re.compile(r"[，、：；,;:]\s*|\s+")


def snippet(text: str | list[str], query: str, *, lead: str = "", limit: int = SNIPPET_CHARS) -> str:
    """An HTML-escaped excerpt made of whole sentences (`render.sentences`): the sentence that holds
    most of the query's words, and the next ones while they fit, matches wrapped in <mark> with no
    space added. No sentence matching: `lead` (the summary), or the first sentences. A sentence longer
    than `limit` is cut at a clause or word boundary, never inside a word or an address."""
    from .render import split_sentences, tidy

    parts = split_sentences(text) if isinstance(text, str) else [tidy(s) for s in text if s.strip()]
    pattern = _needle_pattern(query)
    scores = [_sentence_score(pattern, s) for s in parts] if pattern else [0] * len(parts)
    if not any(scores):
        if lead.strip():
            parts, scores = split_sentences(lead), []
        if not parts:
            return ""
        best = 0
    else:
        # most of the query's words; among equals a sentence of running text before a heading or a
        # table row; then the earliest
        best = max(
            range(len(parts)), key=lambda i: (scores[i] // 10, _ends_sentence(parts[i]), scores[i], -i)
        )
        summary = split_sentences(lead) if lead.strip() else []
        summary_scores = [_sentence_score(pattern, s) for s in summary] if pattern else []
        # only a heading or a table row matches: the summary says more, if it matches as well
        if (
            summary_scores
            and not _ends_sentence(parts[best])
            and max(summary_scores) // 10 >= scores[best] // 10
        ):
            parts, best = summary, summary_scores.index(max(summary_scores))
    chosen = parts[best]
    for following in parts[best + 1 :]:
        # whole sentences of running text only (a heading or a table row after it is another unit)
        fits = _columns(chosen) + _columns(following) + 1 <= limit
        if not (_ends_sentence(chosen) and _ends_sentence(following) and fits):
            break
        chosen += ("" if _cjk_end(chosen) else " ") + following
    excerpt, before, after = _trim(chosen, pattern, limit)
    return ("…" if before else "") + _highlight(excerpt, pattern) + ("…" if after else "")


def _ends_sentence(text: str) -> bool:
    return bool(re.search(r"[。！？；.!?][”’」』）)\"']*$", text))


def _cjk_end(text: str) -> bool:
    return bool(re.search(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef”’]$", text))


def _sentence_score(pattern: re.Pattern, sentence: str) -> int:
    found = {m.group(0).lower() for m in pattern.finditer(sentence)}
    return len(found) * 10 + min(len(pattern.findall(sentence)), 9) if found else 0


def _trim(text: str, pattern: re.Pattern | None, limit: int) -> tuple[str, bool, bool]:
    """`text` cut to about `limit` characters around its first match, at clause or word boundaries
    (an address or an English word is never cut; Chinese may end between two characters)."""
    if _columns(text) <= limit:
        return text, False, False
    limit = limit * len(text) // _columns(text)  # in characters, at this text's density
    first = pattern.search(text) if pattern else None
    start = 0
    if first and first.end() > limit * 2 // 3:
        earliest = max(0, first.start() - limit // 3)
        breaks = [m.end() for m in _CLAUSE_BREAK.finditer(text, earliest, first.start())]
        start = breaks[0] if breaks else first.start()
    end = min(len(text), start + limit)
    if end < len(text):
        breaks = [m.start() for m in _CLAUSE_BREAK.finditer(text, start + limit // 2, end)]
        if breaks:
            end = breaks[-1]
        elif _WORDISH.match(text[end - 1]) and _WORDISH.match(text[end]):
            space = text.rfind(" ", start, end)
            end = space if space > start else first.end() if first else end
    return text[start:end].strip(), start > 0, end < len(text)


_WORDISH = re.compile(r"[A-Za-z0-9_/.:?=&%#-]")


def _needle_pattern(query: str) -> re.Pattern | None:
    needles = _needles(query)
    if not needles:
        return None
    alternatives = []
    for needle in sorted(needles, key=len, reverse=True):
        escaped = re.escape(needle)
        # an English stem marks the whole word ("withdraw" → "withdrawal"), never half of one
        alternatives.append(rf"\b{escaped}[a-z]*" if needle.isascii() and needle[:1].isalnum() else escaped)
    return re.compile("|".join(alternatives), re.IGNORECASE)


def _highlight(text: str, pattern: re.Pattern | None) -> str:
    if pattern is None:
        return html.escape(text)
    parts, last = [], 0
    for m in pattern.finditer(text):
        parts.append(html.escape(text[last : m.start()]))
        parts.append(f"<mark>{html.escape(m.group(0))}</mark>")
        last = m.end()
    parts.append(html.escape(text[last:]))
    return "".join(parts).replace("</mark><mark>", "")  # 国际转账, not 国际|转账


def _columns(text: str) -> int:
    """Width on screen: a Chinese character takes two columns, so the limit fits the same room."""
    return len(text) + len(_WIDE.findall(text))


_WIDE = re.compile(
    r"[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]"
)


def _needles(query: str) -> set[str]:
    needles: set[str] = set()
    for match in TOKEN_RE.finditer(normalize(query[:500])):
        cjk, latin = match.groups()
        if cjk:
            words = [
                w for w in jieba_tokenizer().cut_for_search(cjk, HMM=False) if len(w) > 1 and w not in ZH_STOP
            ]
            needles.update(words or ([cjk] if cjk not in ZH_STOP else []))
        elif latin not in EN_STOP and len(latin) > 2:
            needles.add(_stem(latin) if len(_stem(latin)) >= 3 else latin)
    return needles


# --- per-process index cache -----------------------------------------------------------------

_cache: dict[str, Index] = {}
_cache_version: int | None = None
_checked_at = 0.0
_build_lock = threading.Lock()
CHECK_EVERY_SECONDS = 1.0


def current_version() -> int:
    from .models import SearchIndexState

    state = SearchIndexState.objects.order_by("pk").first()
    return state.version if state else 0


def index_for(language: str) -> Index:
    global _cache_version, _checked_at
    now = time.monotonic()
    if now - _checked_at > CHECK_EVERY_SECONDS or _cache_version is None:
        version = current_version()
        _checked_at = now
        if version != _cache_version:
            with _build_lock:
                _cache.clear()
                _cache_version = version
    index = _cache.get(language)
    if index is None:
        with _build_lock:
            index = _cache.get(language)
            if index is None:
                from .selectors import search_documents

                started = time.perf_counter()
                index = Index(search_documents(language=language))
                _cache[language] = index
                logger.info(
                    "help search index %s built: %d documents in %.2fs",
                    language,
                    len(index.documents),
                    time.perf_counter() - started,
                )
    return index


def index_forget() -> None:
    """Drop this process's indexes (tests; other processes notice the version change)."""
    global _cache_version
    with _build_lock:
        _cache.clear()
        _cache_version = None


def warm_up() -> None:
    """Build both languages' indexes before the first visitor types (started by `okpay serve`)."""
    from django.db import connection

    try:
        for language in i18n.CODES:
            index_for(language).search("预热 warm up", limit=1)
        # the warm-up query has no word in common with any article, so search() stops before the query
        # encoder: run it once here, and the snippet builder's jieba search mode
        embed(["预热 warm up"])
        snippet("预热。Warm up.", "预热 warm")
    except Exception:  # a failed warm-up only means the first search is slower
        logger.exception("help search warm-up failed")
    finally:
        connection.close()
