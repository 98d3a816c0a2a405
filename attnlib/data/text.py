"""The authors' tokenisers (book/protocol.md §2.1), each returning one list of tokens per text.

=====================  ==========================================================================
function               used for
=====================  ==========================================================================
:func:`sst_tokenize`   SST: drop ``-LRB-``, ``-RRB-`` → space, non-word characters → space, spaCy,
                       lowercase (no ``qqq`` rule)
:func:`clean`          20News, AG News, SNLI (the authors' ``cleaner``): collapse whitespace, spaCy,
                       lowercase, every token containing a digit → ``qqq``
:func:`clean_20news`   20News: :func:`clean`, then every run of non-word characters becomes its
                       last character padded with spaces (``cleaner_20``)
:func:`keras_tokenize` IMDB: Keras ``text_to_word_sequence`` (lowercase, punctuation filters, split)
:func:`split_tokens`   bAbI, CNN and the already-cleaned ADR/MIMIC CSVs: split on spaces, no lowercasing
=====================  ==========================================================================

spaCy's blank English tokenizer (``spacy.blank("en")``) is the tokenizer the authors ran with the
parser, tagger and NER disabled. Texts are tokenised in batches with ``tokenizer.pipe``.
"""
from __future__ import annotations

import functools
import re
from typing import Sequence

__all__ = [
    "spacy_tokenize",
    "sst_tokenize",
    "clean",
    "clean_20news",
    "keras_tokenize",
    "split_tokens",
    "KERAS_FILTERS",
]

#: Characters Keras's ``text_to_word_sequence`` turns into separators by default.
KERAS_FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'
_KERAS_TABLE = str.maketrans({c: " " for c in KERAS_FILTERS})
_WS = re.compile(r"\s+")
_NON_WORD = re.compile(r"\W")
_NON_WORD_RUN = re.compile(r"(\W)+")


@functools.lru_cache(maxsize=1)
def _spacy_tokenizer():
    import spacy

    return spacy.blank("en").tokenizer


def spacy_tokenize(
    texts: Sequence[str], *, progress: bool = False, desc: str = "tokenising", batch_size: int = 1000
) -> list[list[str]]:
    """spaCy tokens (case kept) of every text, in order.

    Parameters
    ----------
    texts : sequence of str
    progress : bool, default False
        Show a tqdm bar.
    desc : str
        Label of the bar.
    batch_size : int, default 1000
        Texts per ``tokenizer.pipe`` batch.
    """
    from tqdm.auto import tqdm

    tokenizer = _spacy_tokenizer()
    out = []
    docs = tokenizer.pipe(texts, batch_size=batch_size)
    for doc in tqdm(docs, total=len(texts), desc=desc, unit="text", disable=not progress, leave=False):
        out.append([t.text for t in doc])
    return out


def _resplit(tokens: list[str]) -> list[str]:
    """What the authors' vectorizer sees: the tokens joined by spaces, then split on spaces."""
    joined = " ".join(tokens)
    return joined.split(" ") if joined else []


def sst_tokenize(texts: Sequence[str], *, progress: bool = False) -> list[list[str]]:
    """SST cleaning: ``-LRB-`` removed, ``-RRB-`` and non-word characters → space, spaCy, lowercase.

    ``texts`` are the trees' leaves joined by single spaces.

    Examples
    --------
    >>> sst_tokenize(["-LRB- It 's a lovely film -RRB- ."])
    [['it', 's', 'a', 'lovely', 'film']]
    """
    pre = []
    for text in texts:
        text = text.replace("-LRB-", "").replace("-RRB-", " ")
        text = _NON_WORD.sub(" ", text)
        pre.append(_WS.sub(" ", text).strip())
    docs = spacy_tokenize(pre, progress=progress, desc="tokenising (SST)")
    return [_resplit([t.lower() for t in d]) for d in docs]


def clean(texts: Sequence[str], *, progress: bool = False, desc: str = "tokenising") -> list[list[str]]:
    """The authors' ``cleaner``: collapse whitespace, spaCy, lowercase, digit-bearing tokens → ``qqq``.

    Examples
    --------
    >>> clean(["Oil  prices rose 5% in 2004."])
    [['oil', 'prices', 'rose', 'qqq', '%', 'in', 'qqq', '.']]
    """
    pre = [_WS.sub(" ", t.strip()) for t in texts]
    docs = spacy_tokenize(pre, progress=progress, desc=desc)
    out = []
    for d in docs:
        words = [t.lower() for t in d]
        out.append(_resplit(["qqq" if any(ch.isdigit() for ch in w) else w for w in words]))
    return out


def clean_20news(texts: Sequence[str], *, progress: bool = False) -> list[list[str]]:
    """20News: :func:`clean`, then each run of non-word characters → its last character, spaced.

    The runs include the spaces between tokens, so a punctuation token between two words is
    removed (the run ends in a space) and only punctuation at the very end of a post survives.
    This is what the authors' ``cleaner_20`` does.

    Examples
    --------
    >>> clean_20news(["Go Leafs!!! -- see you..."])
    [['go', 'leafs', 'see', 'you', '.']]
    """
    out = []
    for tokens in clean(texts, progress=progress, desc="tokenising (20News)"):
        text = _NON_WORD_RUN.sub(r" \1 ", " ".join(tokens))
        text = _WS.sub(" ", text).strip()
        out.append(text.split(" ") if text else [])
    return out


def keras_tokenize(text: str, *, keep_br: bool = True) -> list[str]:
    """Keras ``text_to_word_sequence`` with its default filters: lowercase, punctuation → space, split.

    Parameters
    ----------
    text : str
    keep_br : bool, default True
        Keep the ``br`` tokens that the HTML line breaks ``<br />`` of aclImdb turn into. Keras's own
        IMDB data keeps them (``br`` is its 7th most frequent word), so the default follows it;
        False removes ``<br />`` first.

    Examples
    --------
    >>> keras_tokenize("Great film!<br /><br />Isn't it?")
    ['great', 'film', 'br', 'br', "isn't", 'it']
    >>> keras_tokenize("Great film!<br /><br />Isn't it?", keep_br=False)
    ['great', 'film', "isn't", 'it']
    """
    if not keep_br:
        text = re.sub(r"<br\s*/?>", " ", text, flags=re.IGNORECASE)
    return [w for w in text.lower().translate(_KERAS_TABLE).split(" ") if w]


def split_tokens(text: str) -> list[str]:
    """Split on single spaces, dropping empty strings; case is kept (bAbI, CNN, ADR, MIMIC)."""
    return [w for w in text.split(" ") if w]
