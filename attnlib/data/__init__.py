"""Datasets of Jain & Wallace (2019): finding, downloading, tokenising, vocabularies, vectors, batches.

The entry point is :func:`load_dataset`::

    from attnlib.data import load_dataset, load_embeddings
    ds = load_dataset("sst")                       # data dir: $ATTNLIB_DATA, else <project>/data
    weight, description = load_embeddings(ds.vocab, "glove-6b-50d")

Every prepared dataset is a :class:`TextDataset` whose ``notes`` list how it differs from the data
the paper used. ``load_dataset("planted")`` (and the other :data:`PLANTED_NAMES`) generates a task whose true
explanation is known; ``load_dataset("file:my.csv")`` reads your own labelled texts (:mod:`attnlib.data.own`).
"""
from .base import EOS, PAD, SOS, SPECIAL_TOKENS, SPLITS, UNK, Split, TextDataset, Vocabulary
from .cache import PREPROCESS_VERSION
from .download import HOW_TO_GET, SOURCES, DownloadWarning, Resource, fetch, fetch_url, sources
from .embeddings import EMBEDDING_SOURCES, Embeddings, default_embedding_source, load_embeddings
from .locate import DataDir, FileRef, FileSpec, resolve_data_dir
from .registry import (DATASET_NAMES, PLANTED_NAMES, TASK_KINDS, dataset_family, dataset_info, dataset_slug,
                       dataset_status, fetch_missing, is_classification, known_dataset, load_dataset, task_kind)
from .text import clean, clean_20news, keras_tokenize, spacy_tokenize, split_tokens, sst_tokenize
from .vocab import MIN_DF, build_vocab, length_filter

__all__ = [
    # prepared data
    "TextDataset", "Split", "Vocabulary", "PAD", "UNK", "SOS", "EOS", "SPECIAL_TOKENS", "SPLITS",
    # registry
    "DATASET_NAMES", "PLANTED_NAMES", "TASK_KINDS", "load_dataset", "fetch_missing", "dataset_status", "dataset_info",
    "dataset_family", "dataset_slug", "is_classification", "known_dataset", "task_kind",
    # vectors
    "load_embeddings", "Embeddings", "EMBEDDING_SOURCES", "default_embedding_source",
    # tokenisers and vocabulary
    "sst_tokenize", "clean", "clean_20news", "keras_tokenize", "split_tokens", "spacy_tokenize",
    "build_vocab", "length_filter", "MIN_DF",
    # files, downloads, cache
    "DataDir", "FileRef", "FileSpec", "resolve_data_dir",
    "Resource", "SOURCES", "HOW_TO_GET", "sources", "fetch", "fetch_url", "DownloadWarning",
    "PREPROCESS_VERSION",
]
