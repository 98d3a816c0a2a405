"""Tokenisers, vocabulary, length filter and word vectors."""
from __future__ import annotations

import gzip

import pytest
import torch

from attnlib.data import (PAD, SPECIAL_TOKENS, build_vocab, clean, clean_20news, keras_tokenize, length_filter,
                          load_embeddings, split_tokens, sst_tokenize)
from attnlib.plumbing.errors import ConfigError, DataError


def test_sst_tokenize_follows_the_notebook():
    assert sst_tokenize(["-LRB- The film 's best -RRB- scene ... really works !"]) == [
        ["the", "film", "s", "best", "scene", "really", "works"]
    ]
    assert sst_tokenize([""]) == [[]]


def test_cleaner_lowercases_and_replaces_digit_tokens():
    assert clean(["  Stocks  fell 3.5%\nin Q2 ,  2004 "]) == [["stocks", "fell", "qqq", "%", "in", "qqq", ",", "qqq"]]


def test_cleaner_20news_keeps_only_final_punctuation():
    # each run of non-word characters, spaces included, becomes its last character
    assert clean_20news(["Great game, eh? Go Leafs!!!"]) == [["great", "game", "eh", "go", "leafs", "!"]]
    assert clean_20news(["  "]) == [[]]


def test_keras_tokenize():
    text = "This movie's GREAT!<br /><br />10/10, see it."
    assert keras_tokenize(text) == ["this", "movie's", "great", "br", "br", "10", "10", "see", "it"]
    assert keras_tokenize(text, keep_br=False) == ["this", "movie's", "great", "10", "10", "see", "it"]


def test_split_tokens_keeps_case():
    assert split_tokens("Mary went  to the Kitchen") == ["Mary", "went", "to", "the", "Kitchen"]


def test_vocab_uses_document_frequency_and_sorted_order():
    docs = [["b", "b", "b", "a"], ["a", "c"], ["a", "c", "<UNK>"]]
    vocab = build_vocab(docs, min_df=2)
    assert vocab.itos == [*SPECIAL_TOKENS, "a", "c"]  # b occurs 3 times but in one document
    assert vocab.encode(["c", "zzz"]) == [2, 5, 1, 3]
    assert build_vocab(docs, min_df=1, extra=["z", "a"]).itos[-2:] == ["c", "z"]
    with pytest.raises(ValueError, match="min_df"):
        build_vocab(docs, min_df=0)


def test_length_filter_is_strict_with_observed_bounds():
    lengths = [5, 6, 7, 7, 12, 12, 9]
    assert length_filter(lengths).tolist() == [1, 2, 3, 6]  # both extremes dropped (Q6)
    assert length_filter(lengths, min_length=6, max_length=12).tolist() == [2, 3, 6]
    assert length_filter(lengths, min_length=4).tolist() == [0, 1, 2, 3, 6]
    assert length_filter([]).tolist() == []


def _vocab():
    return build_vocab([["the", "cat", "Cat", "zzzunknownzzz"]])


@pytest.mark.parametrize("header", [True, False])
@pytest.mark.parametrize("compress", [True, False])
def test_vectors_text_file(tmp_path, header, compress):
    lines = ["the 0.5 1 1.5", "cat 1 2 3", "dog 4 5 6", "cat 9 9 9", "new york 7 7 7"]
    text = ("5 3\n" if header else "") + "\n".join(lines) + "\n"
    path = tmp_path / ("vec.txt.gz" if compress else "vec.txt")
    path.write_bytes(gzip.compress(text.encode()) if compress else text.encode())
    emb = load_embeddings(_vocab(), path)
    weight, description = emb  # unpacks as (weight, description)
    vocab = _vocab()
    assert weight.shape == (len(vocab), 3) and weight.dtype == torch.float32
    assert weight[vocab.stoi["cat"]].tolist() == [1, 2, 3]  # first occurrence wins
    assert weight[vocab.stoi["Cat"]].abs().sum() == 0  # exact lookup, like torchtext
    assert weight[:4].abs().sum() == 0  # <0>, <UNK>, <SOS>, <EOS> are zeros
    assert emb.n_matched == 2 and "2 of 4" in description


def test_vectors_file_errors(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("the 1 2 3\ncat 1 2\n")
    with pytest.raises(DataError, match="line 2 has 2 numbers, expected 3"):
        load_embeddings(_vocab(), bad)
    good = tmp_path / "good.txt"
    good.write_text("the 1 2 3\n")
    with pytest.raises(ConfigError, match="3-d"):
        load_embeddings(_vocab(), good, dim=5)
    with pytest.raises(DataError, match="neither a file nor one of"):
        load_embeddings(_vocab(), tmp_path / "missing.txt")


def test_random_vectors_are_seeded_with_zero_padding():
    a = load_embeddings(_vocab(), "random", seed=3)
    b = load_embeddings(_vocab(), "random", seed=3)
    c = load_embeddings(_vocab(), "random", seed=4)
    assert a.weight.shape == (len(_vocab()), 50)
    assert torch.equal(a.weight, b.weight) and not torch.equal(a.weight, c.weight)
    assert a.weight[PAD].abs().sum() == 0 and a.n_matched == 0


def test_glove_6b_50d_from_package():
    vocab = build_vocab([["the", "cat", "zzzunknownzzz"]])
    emb = load_embeddings(vocab, "glove-6b-50d")
    assert emb.weight.shape == (len(vocab), 50) and emb.n_matched == 2
    assert emb.weight[vocab.stoi["the"], :3].tolist() == pytest.approx([0.418, 0.24968, -0.41242])
    assert emb.weight[vocab.stoi["zzzunknownzzz"]].abs().sum() == 0
    with pytest.raises(ConfigError, match="50-d"):
        load_embeddings(vocab, "glove-6b-50d", dim=300)
