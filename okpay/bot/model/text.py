"""Text as the bot sees it: cleaned, cut to a length, Chinese segmented for the lexical model."""

from okpay.core.text import CJK, jieba_tokenizer, normalize

OUT_OF_SCOPE = "out_of_scope"
MAX_CHARS = 300  # latency grows with length (bot-notes.md): long messages are cut


def clean(text: str) -> str:
    return " ".join(normalize(text).split())[:MAX_CHARS]


def lexical_form(text: str) -> str:
    """Chinese runs become space-separated jieba words so word n-grams see Chinese words too."""
    text = clean(text)
    return CJK.sub(lambda m: " " + " ".join(jieba_tokenizer().cut(m.group(0), HMM=False)) + " ", text)
