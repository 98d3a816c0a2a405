"""The ``attnlib`` command line: ``datasets``, ``train`` (and the analyses, faithfulness, book and slides commands).

User errors print one line, ``error: ...``, and exit with status 2; no traceback. A failed download that the
command can do without prints one line, ``warning: ...``, and the command goes on.
"""
from __future__ import annotations

import argparse
import sys
import warnings

from .plumbing.errors import AttnlibError, ConfigError


def _add_data_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", help="where the datasets are (default: $ATTNLIB_DATA, else data/)")
    parser.add_argument("--download", action=argparse.BooleanOptionalAction, default=None,
                        help="download missing dataset files from their official source before anything else "
                             "(default: on when $ATTNLIB_DOWNLOAD is 1, else off)")


def _attentions() -> tuple[str, ...]:
    """The paper's attentions and the critique's: ``uniform`` (trained with 1/n weights) and ``imposed`` (pooling
    with a base run's attention)."""
    from .critique import UNIFORM
    from .critique.runs import IMPOSED
    from .models import ATTENTIONS

    return (*ATTENTIONS, UNIFORM, IMPOSED)


def _explainers() -> tuple[str, ...]:
    from .faithfulness.explainers import EXPLAINERS

    return tuple(EXPLAINERS)


def _add_run_options(parser: argparse.ArgumentParser, benchmark: bool = False) -> None:
    from .data import DATASET_NAMES, PLANTED_NAMES
    from .models import ATTENTIONS, ENCODERS

    choose = ", ".join
    if benchmark:
        parser.add_argument("--dataset", default="sst", metavar="NAME", help="default: sst")
        parser.add_argument("--encoders", default=",".join(ENCODERS), help=f"comma-separated; default {choose(ENCODERS)}")
        parser.add_argument("--attention", default="tanh", help=f"one of {choose(ATTENTIONS)}; default tanh")
    else:
        parser.add_argument("--dataset", required=True, metavar="NAME",
                            help=f"one of {choose(DATASET_NAMES + PLANTED_NAMES)}, or file:PATH for your own labelled "
                                 ".csv/.tsv/.jsonl (columns text, label, optional split and rationale)")
        parser.add_argument("--encoder", required=True, help=f"one of {choose(ENCODERS)}")
        parser.add_argument("--attention", required=True,
                            help=f"one of {choose(_attentions())} (uniform: 1/n weights, trained; imposed: pooling "
                                 "with --base's attention)")
        parser.add_argument("--base", metavar="RUN",
                            help="a finished run (its directory in the runs folder): the attention an 'imposed' run "
                                 "pools with, or the model an adversary (--lambda) follows")
        parser.add_argument("--lambda", dest="lam", metavar="X",
                            help="train a model-consistent adversary of --base (Wiegreffe & Pinter §4) with this λ")
        parser.add_argument("--patience", type=int, default=10,
                            help="an adversary's early stopping, in epochs without a lower training loss (default 10)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, help="default: the paper's (8 classification, 25 SNLI, 100 bAbI)")
    parser.add_argument("--train-limit", type=int, help="train on the first N training examples only")
    parser.add_argument("--train-sample", type=int, help="train on a seeded random sample of N training examples")
    parser.add_argument("--embedding", help="glove-6b-50d (default), random, or a word-vector text file")
    parser.add_argument("--embedding-dim", type=int, help="size of random vectors (default 50)")
    parser.add_argument("--freeze-embeddings", action="store_true", help="keep the word vectors fixed")
    parser.add_argument("--select", default="dev", choices=("dev", "last"),
                        help="keep the best dev epoch (the paper; default) or the last epoch")
    parser.add_argument("--runs-dir", help="where runs are kept (default: $ATTNLIB_RUNS, else runs/)")
    parser.add_argument("--device", default="auto", help="auto (CUDA when present), cpu or cuda")
    _add_data_options(parser)


def _lambda(text: str | None) -> float | None:
    import math

    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        raise ConfigError(f"--lambda must be a number (such as 0.01); got {text!r}") from None
    if not math.isfinite(value) or value < 0:
        raise ConfigError(f"--lambda must be a number >= 0; got {text!r}")
    return value


def _run_config(args):
    """The run the options name: a :class:`~attnlib.results.runs.RunConfig`, or a
    :class:`~attnlib.critique.CritiqueConfig` for the critique's runs (uniform, imposed, adversary)."""
    from .critique import CritiqueConfig
    from .data import dataset_info
    from .models import ATTENTIONS, ENCODERS
    from .results.runs import RunConfig

    dataset_info(args.dataset)  # an unknown name stops here, with one line naming the known datasets
    for option, value, allowed in (("encoder", args.encoder, ENCODERS), ("attention", args.attention, _attentions())):
        if value not in allowed:
            raise ConfigError(f"unknown {option} {value!r}; choose one of {', '.join(allowed)}")
    run = RunConfig(dataset=args.dataset, encoder=args.encoder, attention=args.attention, seed=args.seed,
                    epochs=args.epochs, embedding=args.embedding, embedding_dim=args.embedding_dim,
                    freeze_embeddings=args.freeze_embeddings, train_limit=args.train_limit,
                    train_sample=args.train_sample, select=args.select)
    base, lam = getattr(args, "base", None), _lambda(getattr(args, "lam", None))
    if args.attention in ATTENTIONS and base is None and lam is None:
        return run
    return CritiqueConfig(run, base=None if base is None else base.rstrip("/").split("/")[-1], lam=lam,
                          patience=getattr(args, "patience", 10))


def _open_run(args):
    from .critique.runs import open_any_run
    from .data import load_dataset

    config = _run_config(args)
    dataset = load_dataset(args.dataset, args.data_dir, download=args.download)
    return open_any_run(config, runs_dir=args.runs_dir, device=args.device, dataset=dataset)


def _shorten(text: str, width: int | None) -> str:
    return text if width is None or len(text) <= width else text[: width - 1] + "…"


def cmd_datasets(args) -> int:
    from .data import DATASET_NAMES, PLANTED_NAMES, dataset_status, fetch_missing
    from .data.locate import resolve_data_dir

    if args.download:  # every dataset that can be downloaded; one that cannot is reported in the table
        fetch_missing(DATASET_NAMES, args.data_dir, strict=False)
    root = resolve_data_dir(args.data_dir)
    print(f"data directory: {root}")
    print(f"{'dataset':<18} {'available':<10} {'train':>7} {'dev':>6} {'test':>6}  notes")
    for name in DATASET_NAMES + PLANTED_NAMES:  # the planted tasks are generated, so always available
        status = dataset_status(name, root, load=True)
        sizes = status.get("sizes") or {}
        row = f"{name:<18} {'yes' if status['available'] else 'no':<10}"
        row += "".join(f" {sizes.get(s, '-'):>{w}}" for s, w in (("train", 7), ("dev", 6), ("test", 6)))
        notes = status["notes"] if status["available"] else [status["error"] or ""]
        shown = notes if args.verbose else notes[:1]
        print(f"{row}  {_shorten(shown[0] if shown else '', None if args.verbose else 100)}")
        for note in shown[1:]:
            print(f"{'':<43}{note}")
    return 0


def cmd_train(args) -> int:
    run = _open_run(args)
    print(f"run: {run.directory}")
    shown = ("accuracy", "macro_f1", "roc_auc", "pr_auc", "seconds_per_epoch", "best_epoch")
    print("test: " + ", ".join(f"{k} {run.metrics[k]:.4f}" if isinstance(run.metrics[k], float)
                               else f"{k} {run.metrics[k]}" for k in shown if k in run.metrics))
    print(f"vectors: {run.metrics.get('vectors', '')}")
    if "consistency" in run.metrics:
        c = run.metrics["consistency"]
        print(f"against the base run (test): attention JSD mean {c['mean_jsd']:.4f} (median {c['median_jsd']:.4f}), "
              f"output TVD mean {c['mean_tvd']:.4f} (median {c['median_tvd']:.4f})")
    return 0


def cmd_analyse(args) -> int:
    from .explain import with_paper_epsilons
    from .results.analyses import AnalysisConfig, analyse_run

    run = _open_run(args)
    config = AnalysisConfig(limit=args.limit, seed=args.seed)
    epsilons = with_paper_epsilons([] if args.epsilon is None else [args.epsilon])
    analysis = analyse_run(run, config, epsilons=epsilons)
    print(f"run: {run.directory}")
    print(f"analysis: {analysis.directory} ({len(analysis.indices)} {config.split} instances)")
    print(analysis.summary.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    summary_name = "summary.csv" if config.limit is None else f"summary-limit{config.limit}.csv"
    print(f"summary: {run.directory / summary_name}")
    return 0


def cmd_faithfulness(args) -> int:
    from .faithfulness import FaithfulnessConfig, faithfulness_of_run, parse_explainers

    config = FaithfulnessConfig(explainers=parse_explainers(args.explainers), limit=args.limit, seed=args.seed)
    run = _open_run(args)
    measured = faithfulness_of_run(run, config)
    print(f"run: {run.directory}")
    print(f"{len(measured.indices)} {config.split} instances; explainer scores toward the predicted class "
          "(comprehensiveness: higher is more faithful; sufficiency: lower is)")
    table = measured.table.pivot(index="metric", columns="explainer", values="value")
    table = table.reindex(index=[m for m in measured.table["metric"].unique()], columns=list(config.explainers))
    print(table.to_string(float_format=lambda v: f"{v:.3f}", na_rep="-"))
    print(f"faithfulness: {measured.csv}")
    return 0


def cmd_bench(args) -> int:
    if args.explainers:
        return _bench_explainers(args)
    return _bench_training(args) if args.training else _bench_analyses(args)


def _bench_explainers(args) -> int:
    import torch

    from .faithfulness import parse_explainers
    from .faithfulness.bench import run_explainer_benchmark
    from .results.analyses import sample_indices

    names = parse_explainers(None if args.explainers == "all" else args.explainers)
    args.encoder = args.encoders.split(",")[0]
    run = _open_run(args)
    test = run.dataset.split("test")
    split = test.subset(sample_indices(len(test), args.limit or 100, args.seed))
    table = run_explainer_benchmark(run.model, split, explainers=names, device=run.device)
    print(f"explainers on {args.dataset} test ({len(split)} instances), {args.encoder} {args.attention}, "
          f"{torch.get_num_threads()} threads, batched vs Captum's defaults in one process:")
    print(table.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    print("captum_defaults: one instance at a time, one path point or perturbation per forward pass; ratio = "
          "captum_defaults_seconds_per_100 / seconds_per_100; max_abs_diff compares the two's scores")
    return 0


def _bench_training(args) -> int:
    import pandas as pd
    import torch

    from .data import load_dataset, load_embeddings
    from .plumbing.device import resolve_device
    from .results.runs import DEFAULT_VECTORS, paper_settings
    from .training.bench import run_training_benchmark

    device = resolve_device(args.device)
    tables = []
    for name in args.datasets.split(","):
        dataset = load_dataset(name, args.data_dir, download=args.download)
        vectors, _ = load_embeddings(dataset.vocab, args.embedding or DEFAULT_VECTORS[dataset.embedding], seed=args.seed)
        settings = paper_settings(name, dataset.task)
        table = run_training_benchmark(dataset, vectors, encoders=args.encoders.split(","), attention=args.attention,
                                       n_batches=args.batches, batch_size=settings["batch_size"],
                                       hidden=settings["hidden"], seed=args.seed, device=device)
        tables.append(table.reset_index().assign(dataset=name))
    table = pd.concat(tables, ignore_index=True)
    print(f"training benchmark on {device}, {torch.get_num_threads()} threads, packed vs fast encoders in one "
          f"process, {args.batches} batches each (+1 warm-up), same weights and batches:")
    columns = ["dataset", "encoder", "n_batches", "batches_per_epoch", "packed_seconds", "fast_seconds",
               "packed_epoch_seconds", "fast_epoch_seconds", "ratio", "max_loss_difference"]
    print(table[columns].to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    print("*_epoch_seconds extrapolate the timed batches to a whole epoch; packed is the reference each fast path "
          "is tested against: the packed nn.LSTM for lstm, four separate convolutions for cnn, the same code for "
          "average (its ratio shows the measurement's noise)")
    return 0


def _bench_analyses(args) -> int:
    import pandas as pd
    import torch

    from .explain.bench import run_benchmark

    tables = []
    for encoder in args.encoders.split(","):
        args.encoder = encoder
        run = _open_run(args)
        test = run.dataset.split("test")
        table = run_benchmark(run.model, test, n_instances=args.limit, seed=args.seed, device=run.device)
        tables.append(table.reset_index().assign(encoder=encoder, attention=args.attention))
    table = pd.concat(tables, ignore_index=True)
    print(f"benchmark on {args.dataset} test ({args.limit or 'all'} instances), {torch.get_num_threads()} threads, "
          "fast vs naive in one process:")
    columns = ["encoder", "method", "n_instances", "naive_instances", "naive_seconds", "fast_seconds", "ratio",
               "max_abs_diff", "extrapolated"]
    print(table[columns].to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    print("naive_seconds is extrapolated per instance from naive_instances where extrapolated is True; "
          "max_abs_diff compares fast and naive results on those instances")
    return 0


def cmd_book(args) -> int:
    import time
    from pathlib import Path

    from .book import build_book
    from .book.timeline import Timeline, timeline_path
    from .teach.slides import LANGUAGES, build_book_decks

    if args.estimate:
        return _estimate_book(args)
    started = time.perf_counter()
    built = build_book(args.preset, root=Path(args.root), data_dir=args.data_dir, runs_dir=args.runs_dir,
                       device=args.device, download=args.download, workers=args.workers, scheduler=args.scheduler)
    decks_started = time.perf_counter()
    decks = build_book_decks(args.preset, built["html"], data_dir=built["data_dir"], runs_dir=built["runs_dir"],
                             device=args.device, progress=False)
    Timeline.resume(timeline_path(Path(args.root))).add("slides", ", ".join(LANGUAGES),
                                                        time.perf_counter() - decks_started, reused=False)
    seconds = time.perf_counter() - started
    print(f"book: {built['html'] / 'index.html'} ({seconds / 60:.1f} min); slides: {', '.join(map(str, decks))}")
    return 0


def _estimate_book(args) -> int:
    from pathlib import Path

    import torch

    from .book.build import fetch_preset_data
    from .book.estimate import estimate_preset, wall_time_on_workers
    from .plumbing import paths
    from .plumbing.io import atomic_path

    root = Path(args.root).resolve()
    data_dir = paths.data_dir(args.data_dir, root)
    fetch_preset_data(args.preset, data_dir, download=args.download)
    table = estimate_preset(args.preset, data_dir=data_dir, device=args.device)
    out = root / "_build" / f"estimate-{args.preset}.csv"
    with atomic_path(out) as tmp:
        table.to_csv(tmp, index=False)
    print(f"estimated time of the {args.preset!r} preset on this machine ({torch.get_num_threads()} threads), "
          "from a few timed batches and instances per experiment:")
    shown = ["experiment", "epochs", "batches_per_epoch", "seconds_per_batch", "train_seconds", "analysed",
             "seconds_per_instance", "analysis_seconds", "total_seconds"]
    print(table[shown].to_string(index=False, float_format=lambda v: f"{v:.3g}"))
    print(f"total: {table['train_seconds'].sum() / 3600:.2f} h training + {table['analysis_seconds'].sum() / 3600:.2f} h "
          f"analysis = {table['total_seconds'].sum() / 3600:.2f} h (chapters and HTML not included); written to {out}")
    if args.workers:
        wall, loads = wall_time_on_workers(table["total_seconds"], args.workers)
        print(f"on {args.workers} workers like this machine (longest experiment first onto the least loaded worker): "
              f"{wall / 3600:.2f} h of experiments, the busiest worker {loads[0] / 3600:.2f} h and the idlest "
              f"{loads[-1] / 3600:.2f} h; the longest experiment alone takes {table['total_seconds'].max() / 3600:.2f} h "
              "(the critique, the faithfulness lab, the chapters and the HTML follow on this machine)")
    return 0


def cmd_slides(args) -> int:
    from .teach.slides import build_deck

    deck = build_deck(args.preset, args.lang, args.out, data_dir=args.data_dir, runs_dir=args.runs_dir,
                      device=args.device, download=args.download)
    print(f"slides: {deck} ({deck.stat().st_size / 1e6:.1f} MB, opens offline; press S for speaker notes)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="attnlib", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    datasets = commands.add_parser("datasets", help="list the datasets, whether each is available, split sizes")
    _add_data_options(datasets)
    datasets.add_argument("--verbose", action="store_true", help="show every note on how the data differs")
    datasets.set_defaults(handler=cmd_datasets)

    train = commands.add_parser("train", help="train a configuration (or re-use its finished run)")
    _add_run_options(train)
    train.set_defaults(handler=cmd_train)

    analyse = commands.add_parser("analyse", help="train if needed, then run every analysis on the test split")
    _add_run_options(analyse)
    analyse.add_argument("--limit", type=int, help="analyse a seeded random sample of N test instances")
    analyse.add_argument("--epsilon", type=float,
                         help="also report max JSD within this output TVD (0.01 and 0.05 are always reported)")
    analyse.set_defaults(handler=cmd_analyse)

    faithfulness = commands.add_parser("faithfulness", help="train if needed, then measure how faithful each "
                                       "explainer is (erasure, τ, rationales); writes faithfulness.csv")
    _add_run_options(faithfulness)
    faithfulness.add_argument("--explainers", help="comma-separated (default: all): " + ", ".join(_explainers()))
    faithfulness.add_argument("--limit", type=int, help="measure a seeded random sample of N test instances")
    faithfulness.set_defaults(handler=cmd_faithfulness)

    bench = commands.add_parser("bench", help="time the fast analyses against their naive versions")
    _add_run_options(bench, benchmark=True)
    bench.add_argument("--limit", type=int, help="benchmark on N test instances (default: all)")
    bench.add_argument("--explainers", metavar="NAMES",
                       help="time these explainers ('all', or comma-separated) per 100 test instances (default "
                            "--limit 100) of the first of --encoders, batched and with Captum's defaults")
    bench.add_argument("--training", action="store_true",
                       help="time training epochs of each encoder (fast vs packed BiLSTM) instead of the analyses")
    bench.add_argument("--datasets", default="sst,imdb", help="with --training: comma-separated; default sst,imdb")
    bench.add_argument("--batches", type=int, default=20, help="with --training: timed batches per side; default 20")
    bench.set_defaults(handler=cmd_bench)
    book = commands.add_parser("book", help="run the preset's experiments, execute every chapter, build the HTML book")
    book.add_argument("--preset", default="default", help="quick (minutes, for tests), default or paper")
    book.add_argument("--root", default=".", help="the project folder holding _config.yml and book/")
    book.add_argument("--runs-dir", help="where runs are kept (default: $ATTNLIB_RUNS, else <root>/runs)")
    book.add_argument("--device", default="auto", help="auto (CUDA when present), cpu or cuda")
    book.add_argument("--estimate", action="store_true",
                      help="only estimate how long the preset's experiments would take here (a few batches and "
                           "instances timed per experiment); with --workers K, their wall time on K workers")
    cluster = book.add_mutually_exclusive_group()
    cluster.add_argument("--workers", type=int, metavar="N",
                         help="run the experiments on a local Dask cluster of N worker processes (the cores shared "
                              "among them)")
    cluster.add_argument("--scheduler", metavar="ADDRESS",
                         help="run the experiments on the Dask cluster whose scheduler is at ADDRESS "
                              "(tcp://host:8786); runs and data folders must be shared storage")
    _add_data_options(book)
    book.set_defaults(handler=cmd_book)

    slides = commands.add_parser("slides", help="write a self-contained reveal.js deck of the preset's results")
    slides.add_argument("--preset", default="default", help="quick, default or paper (the book's presets)")
    slides.add_argument("--lang", default="en", choices=("en", "ja"), help="the deck's language")
    slides.add_argument("--out", help="the HTML file to write (default: _build/slides/attnlib-<preset>-<lang>.html)")
    slides.add_argument("--runs-dir", help="where runs are kept (default: $ATTNLIB_RUNS, else runs/)")
    slides.add_argument("--device", default="auto", help="auto (CUDA when present), cpu or cuda")
    _add_data_options(slides)
    slides.set_defaults(handler=cmd_slides)
    return parser


def _one_line_warnings(show):
    """``warnings.showwarning`` printing what the command goes on without or past (a failed download, a corrupt file
    made again: :class:`~attnlib.plumbing.errors.OneLineWarning`) as one line, ``warning: ...``, and passing every
    other warning to ``show``."""
    from .plumbing.errors import OneLineWarning

    def showwarning(message, category, filename, lineno, file=None, line=None):
        if issubclass(category, OneLineWarning):
            print(f"warning: {message}", file=sys.stderr)
        else:
            show(message, category, filename, lineno, file, line)

    return showwarning


def main(argv: list[str] | None = None) -> int:
    from .plumbing import paths

    parser = build_parser()
    args = parser.parse_args(argv)
    if hasattr(args, "download"):  # the one place --download / --no-download and $ATTNLIB_DOWNLOAD are resolved
        args.download = paths.download_enabled(args.download)
    with warnings.catch_warnings():
        warnings.showwarning = _one_line_warnings(warnings.showwarning)
        try:
            if args.command != "datasets":
                from .plumbing.device import configure_threads

                configure_threads()
            return args.handler(args)
        except AttnlibError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            print("interrupted: finished work is kept; run the same command again to resume", file=sys.stderr)
            return 130


if __name__ == "__main__":
    sys.exit(main())
