"""A reading-group slide deck of the reproduced results: one self-contained reveal.js HTML file.

The deck follows the outline of a reading-group presentation of the paper — summary, method (two tests),
datasets, correlation, Kendall τ explained, the τ histograms, permuting attention, adversarial attention,
more adversarial examples, conclusions — and closes with the critique of Wiegreffe & Pinter (2019). Its
figures and numbers come from the same cached runs and analyses as the book (:func:`attnlib.report.collect`);
the prose exists in English and Japanese (``lang="en"`` or ``"ja"``); every slide has speaker notes (press
``S`` in the deck). reveal.js is taken from its pinned npm package (:mod:`attnlib.assets`) and inlined with
the figures (PNG data URIs), so the file opens from disk with no network.
"""
from __future__ import annotations

import base64
import html
import io
import tarfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import kendalltau

from .assets import REVEAL, fetch_tarball
from .book import CLASSIFICATION
from .errors import ConfigError
from .io import atomic_path

LANGUAGES = ("en", "ja")


@dataclass(frozen=True)
class Slide:
    """One slide: a title, bullet points (``str.format`` templates over the deck's facts), speaker notes."""

    key: str
    title: str
    bullets: tuple[str, ...]
    notes: str


def _slides(lang: str) -> list[Slide]:
    return [Slide(key, *TEXT[lang][key]) for key in OUTLINE]


#: The reading-group outline, in order.
OUTLINE = ("title", "summary", "method", "datasets", "correlation", "kendall", "histograms", "permutation",
           "adversarial", "examples", "conclusions", "critique")

TEXT = {
    "en": {
        "title": ("Attention is not Explanation — re-run", (
            "Jain & Wallace, NAACL 2019, reproduced with attnlib",
            "{n_experiments} experiments on {datasets} (preset “{preset}”)",
        ), "Introduce the paper and say that every number on the following slides was produced by the book's "
           "own code on this machine; the paper's values are given in parentheses where it reports them."),
        "summary": ("Summary", (
            "Attention weights are often shown as the reason for a prediction. Are they?",
            "Test 1: do they agree with gradient and leave-one-out importance? Mean τ(attention, gradient) is "
            "{tau_lstm:.2f} for the BiLSTM (paper: {tau_lstm_paper}) and {tau_average:.2f} for the Average encoder (paper: {tau_average_paper}).",
            "Test 2: does changing them change the output? Shuffling them moves the BiLSTM's output by a median TVD "
            "of {perm_lstm_cls:.3f} on average on the classification datasets ({perm_lstm_qa:.3f} on the QA and "
            "inference tasks); within ε = 0.01, {share_far:.0%} of BiLSTM instances admit an attention with JSD > 0.5 "
            "from the model's own.",
            "So: a heat-map of attention is one of many the model would accept.",
        ), "The claim is narrow: attention weights, as usually shown, are not a faithful account of why the model "
           "predicted what it did. Keep the two tests apart: agreement with other importance measures, and "
           "counterfactual attention."),
        "method": ("Method: two tests", (
            "Models: BiLSTM, CNN or Average encoder; additive (tanh) or scaled-dot attention; a linear decoder reads "
            "the attention-weighted average of the hidden states.",
            "1. Correlation: Kendall τ between attention and (a) the gradient of the output with respect to each "
            "input word, (b) leave-one-out: the output change (TVD) when the word is removed.",
            "2. Counterfactual attention on the same hidden states: (a) random permutations of the weights — median "
            "output TVD over {n_permutations} permutations; (b) adversarial search — the largest JSD from the "
            "original attention whose output moves at most ε.",
        ), "Stress that both counterfactual tests keep the hidden states fixed and only change the weights the "
           "decoder reads. Ask the group whether this is a fair test for a BiLSTM, whose states already mix context."),
        "datasets": ("Datasets", (
            "Classification and question answering / inference, as available here; test performance, ours (paper):",
        ), "Point out the deviations: 50-d GloVe instead of 300-d fastText, AG News carved from its test file, SNLI "
           "trained on 1% of its training data, bAbI-3 on the 1k file, CNN/ADR/MIMIC absent. Performance is close to "
           "the paper's on the classification datasets and bAbI-1; where it is far below (SNLI with 1% of its "
           "training data, bAbI-3 with the 1k file), read the later numbers of that dataset with care."),
        "correlation": ("Correlation with feature importance", (
            "Mean Kendall τ over the test instances, ours (paper):",
        ), "The paper's Table 2. Read the BiLSTM rows against the Average rows: without context the attention "
           "of a token is tied to that token, so it agrees better with gradients and leave-one-out."),
        "kendall": ("Kendall τ explained", (
            "Count the pairs of tokens that the two rankings order the same way (concordant, C) and the other way "
            "(discordant, D): τ = (C − D) / (n(n − 1)/2), from −1 to 1.",
            "Example: attention {toy_attention} and gradient {toy_gradient} over 5 tokens give C = {toy_c}, "
            "D = {toy_d}, τ = {toy_tau:.2f}.",
            "Long texts make even small τ “significant”; many ties among unimportant tokens pull τ down.",
        ), "Work the small example on the board. Then explain why the paper reports τ rather than Pearson: only the "
           "ranking of tokens matters for a heat-map."),
        "histograms": ("τ histograms", (), "The paper's Figure 2: per-instance τ between attention and gradients, "
                       "one colour per predicted class. Ask the group where the mass sits and whether that is low."),
        "permutation": ("Permuting attention", (), "Median output change when the attention weights are shuffled "
                        "over the tokens, against the largest attention weight. Flat and low means the weights hardly "
                        "matter; the QA tasks, where the answer sits in one sentence, are the exception."),
        "adversarial": ("Adversarial attention", (), "Largest JSD (at most ln 2 ≈ 0.69) between the model's "
                        "attention and an adversarial one that changes the output by at most ε = 0.01. Mass near 0.69 "
                        "means nearly disjoint attention gives the same prediction."),
        "examples": ("More adversarial examples", (), "Read the rows top to bottom: the model's attention, the gradient, "
                     "leave-one-out, and the adversary found within ε. The output barely moves while the highlighted "
                     "words change."),
        "conclusions": ("Conclusions", (
            "Attention ranks tokens differently from gradients and leave-one-out when the encoder has context "
            "(BiLSTM τ ≈ {tau_lstm:.2f}; Average ≈ {tau_average:.2f}).",
            "Very different attention often leaves the output unchanged (mean max JSD within ε = 0.01: BiLSTM "
            "{jsd_lstm:.2f}, Average {jsd_average:.2f}).",
            "Not shown: that attention carries no information, or that no model's attention can explain.",
        ), "Close the first half here: what exactly do the two tests establish? Collect the group's objections "
           "before the next slide."),
        "critique": ("The critique: Wiegreffe & Pinter (2019)", (
            "“Attention is not not Explanation” (EMNLP 2019) asks what a fair baseline is:",
            "Uniform attention frozen during training does about as well on several of these datasets (SST, AG News, "
            "20 Newsgroups): where attention is not needed, manipulating it says little.",
            "Different random seeds already give different attention: a baseline for how large a JSD is unusual.",
            "A diagnostic MLP guided by the learned weights beats uniform weights; per-instance adversaries are not a "
            "model, and an end-to-end adversarial model's attention does worse in that diagnostic.",
            "Explanation needs a definition (plausible? faithful? exclusive?) before it can be tested.",
        ), "Use this for the discussion. Our book's discussion chapter adds a test-time uniform-attention check; "
           "ask which of W&P's points would change the reading of the previous slides."),
    },
    "ja": {
        "title": ("Attention is not Explanation — 再現実験", (
            "Jain & Wallace (NAACL 2019) を attnlib で再現",
            "{datasets} の {n_experiments} 実験（プリセット「{preset}」）",
        ), "論文の紹介。以降のスライドの数値はすべて本書のコードがこのマシンで計算したもので、論文の値は括弧内に示す。"),
        "summary": ("概要", (
            "Attention の重みは予測の「理由」としてよく可視化される。本当にそう読んでよいのか？",
            "検証1: 勾配や leave-one-out による重要度と一致するか？ τ(attention, 勾配) の平均は BiLSTM で "
            "{tau_lstm:.2f}（論文 {tau_lstm_paper}）、Average エンコーダで {tau_average:.2f}（論文 {tau_average_paper}）。",
            "検証2: 重みを変えると出力は変わるか？ 重みをシャッフルしても、分類データでの BiLSTM の出力変化"
            "（TVD の中央値の平均）は {perm_lstm_cls:.3f}（QA・推論タスクでは {perm_lstm_qa:.3f}）。ε = 0.01 以内で、BiLSTM の事例の {share_far:.0%} に JSD > 0.5 の別の attention が存在する。",
            "結論: attention のヒートマップは、モデルが受け入れる多数の重みのうちの一つにすぎない。",
        ), "主張の範囲は狭い。通常示される attention の重みは、モデルの予測理由を忠実に表したものとは言えない、という主張。"
           "「他の重要度との一致」と「反実仮想的な attention」の2つの検証を分けて説明する。"),
        "method": ("手法: 2つの検証", (
            "モデル: BiLSTM・CNN・Average エンコーダ、加法（tanh）またはスケール付き内積の attention。"
            "線形デコーダが隠れ状態の attention 加重平均を読む。",
            "1. 相関: attention と (a) 各入力単語に対する出力の勾配、(b) leave-one-out（単語を除いたときの出力変化 TVD）"
            "との Kendall τ。",
            "2. 同じ隠れ状態の上での反実仮想: (a) 重みのランダムな並べ替え（{n_permutations} 回の出力 TVD の中央値）、"
            "(b) 敵対的探索（出力変化 ε 以内で元の attention から最も離れた JSD）。",
        ), "反実仮想の2つの検証は隠れ状態を固定し、デコーダが読む重みだけを変えている点を強調する。"
           "文脈を混ぜ合わせた BiLSTM の状態に対して公平な検証か、参加者に問いかける。"),
        "datasets": ("データセット", (
            "この環境で使える分類・質問応答／推論データ。テスト性能、本再現（論文）:",
        ), "論文との違い: 300次元 fastText の代わりに 50次元 GloVe、AG News は公式テストファイルから分割、"
           "SNLI は訓練データの 1%、bAbI-3 は 1k 版、CNN・ADR・MIMIC は未使用。分類データと bAbI-1 の性能は論文に近いが、"
           "大きく下回るデータ（訓練データ 1% の SNLI、1k 版の bAbI-3）では以降の数値を慎重に読む。"),
        "correlation": ("特徴量重要度との相関", (
            "テスト事例での Kendall τ の平均、本再現（論文）:",
        ), "論文の表2。BiLSTM の行と Average の行を比べる。文脈がないとトークンの attention はそのトークン自身と"
           "結びつくため、勾配や leave-one-out とよく一致する。"),
        "kendall": ("Kendall の τ とは", (
            "2つの順位付けで同じ向きに並ぶトークン対（一致 C）と逆向きの対（不一致 D）を数える: "
            "τ = (C − D) / (n(n − 1)/2)、範囲は −1 から 1。",
            "例: 5トークンの attention {toy_attention} と勾配 {toy_gradient} では C = {toy_c}、D = {toy_d}、τ = {toy_tau:.2f}。",
            "長い文書では小さな τ でも「有意」になり、重要でないトークン同士の同順位は τ を下げる。",
        ), "小さな例を板書で計算する。ヒートマップで意味を持つのはトークンの順位だけなので、"
           "論文はピアソン相関ではなく τ を使っていることを説明する。"),
        "histograms": ("τ のヒストグラム", (), "論文の図2。事例ごとの attention と勾配の τ を、予測クラスごとに色分けして示す。"
                       "分布の山がどこにあるか、それは低いと言えるかを問う。"),
        "permutation": ("Attention の並べ替え", (), "attention の重みをトークン間でシャッフルしたときの出力変化の中央値を、"
                        "最大の attention の重みに対して示す。平らで低ければ重みはほとんど効いていない。"
                        "答えが1文にある QA タスクは例外。"),
        "adversarial": ("敵対的 Attention", (), "出力を ε = 0.01 以内しか変えない敵対的 attention と元の attention の"
                        "最大 JSD（最大 ln 2 ≈ 0.69）。0.69 付近に集まるなら、ほぼ重ならない attention でも同じ予測になる。"),
        "examples": ("敵対的 Attention の例", (), "上から順に、モデルの attention、勾配、leave-one-out、ε 以内で見つかった敵対的"
                     " attention。強調される単語が変わっても出力はほとんど動かない。"),
        "conclusions": ("結論", (
            "文脈を持つエンコーダでは、attention は勾配や leave-one-out と異なる順位を付ける"
            "（BiLSTM τ ≈ {tau_lstm:.2f}、Average ≈ {tau_average:.2f}）。",
            "大きく異なる attention でも出力が変わらないことが多い（ε = 0.01 以内の最大 JSD の平均: BiLSTM "
            "{jsd_lstm:.2f}、Average {jsd_average:.2f}）。",
            "示していないこと: attention に情報がないこと、どのモデルの attention も説明になりえないこと。",
        ), "前半はここまで。2つの検証が厳密に何を示したのかを確認し、次のスライドの前に参加者の反論を集める。"),
        "critique": ("批判: Wiegreffe & Pinter (2019)", (
            "“Attention is not not Explanation”（EMNLP 2019）は公平な比較対象を問う:",
            "訓練中に一様分布に固定した attention でも、いくつかのデータ（SST、AG News、20 Newsgroups）でほぼ同じ性能。"
            "attention が不要な場合、それを操作しても説明について多くは言えない。",
            "乱数シードが違うだけで attention は変わる。どの程度の JSD が「異常」かの基準になる。",
            "学習済みの重みで導いた診断用 MLP は一様な重みより良い。事例ごとの敵対的重みはモデルではなく、"
            "end-to-end で学習した敵対的モデルの attention はこの診断で劣る。",
            "検証の前に「説明」の定義（もっともらしさ？忠実さ？唯一性？）が必要。",
        ), "議論に使う。本書の考察の章ではテスト時に一様な attention を使う検証を追加している。"
           "W&P のどの指摘が前のスライドの読み方を変えるか、参加者に問う。"),
    },
}


def _png(fig) -> str:
    """A matplotlib figure as a base64 PNG ``<img>`` (the figure is closed)."""
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return f'<img alt="figure" src="data:image/png;base64,{base64.b64encode(buffer.getvalue()).decode()}">'


def _ours_paper(ours: float, paper: float) -> str:
    return f"{ours:.2f}" + ("" if pd.isna(paper) else f" ({paper:.2f})")


def featured(results, n: int = 4):
    """Up to ``n`` results for the figure slides: the BiLSTM+tanh experiments (else the first configuration)."""
    lstm = [r for r in results if (r.encoder, r.attention) == ("lstm", "tanh")]
    chosen = lstm or [r for r in results if (r.encoder, r.attention) == (results[0].encoder, results[0].attention)]
    return chosen[:n]


def deck_facts(results, preset: str) -> dict:
    """The numbers the slides' text refers to, computed from ``results``."""
    from . import report

    correlation = report.correlation_table(results)
    tau = correlation[correlation.measure == "tau_attention_gradient"]
    instances = report.all_instances(results)

    def mean_over(frame, encoder, column):
        values = frame.loc[(frame.encoder == encoder) & (frame.attention == "tanh"), column]
        return float(values.mean()) if len(values) else float("nan")

    def paper_mean(encoder):
        value = mean_over(tau.dropna(subset=["paper_mean"]), encoder, "paper_mean")
        return "n/a" if np.isnan(value) else f"{value:.2f}"

    perm = report.summary_table(results, "perm_median_tvd")
    jsd = report.summary_table(results, "adv_max_jsd@0.01")
    lstm = instances[(instances.encoder == "lstm") & (instances.attention == "tanh")]
    toy_attention, toy_gradient = np.array([0.40, 0.25, 0.15, 0.12, 0.08]), np.array([0.30, 0.05, 0.35, 0.20, 0.10])
    pairs = [(i, j) for i in range(5) for j in range(i + 1, 5)]
    signs = [np.sign((toy_attention[i] - toy_attention[j]) * (toy_gradient[i] - toy_gradient[j])) for i, j in pairs]
    return {
        "preset": preset, "n_experiments": len(results),
        "datasets": ", ".join(dict.fromkeys(r.dataset for r in results)),
        "n_permutations": results[0].analysis.config.n_permutations,
        "tau_lstm": mean_over(tau, "lstm", "ours_mean"), "tau_average": mean_over(tau, "average", "ours_mean"),
        "tau_lstm_paper": paper_mean("lstm"), "tau_average_paper": paper_mean("average"),
        "perm_lstm_cls": mean_over(perm[perm.dataset.isin(CLASSIFICATION)], "lstm", "mean"),
        "perm_lstm_qa": mean_over(perm[~perm.dataset.isin(CLASSIFICATION)], "lstm", "mean"), "jsd_lstm": mean_over(jsd, "lstm", "mean"),
        "jsd_average": mean_over(jsd, "average", "mean"),
        "share_far": float((lstm["adv_max_jsd@0.01"] > 0.5).mean()) if len(lstm) else float("nan"),
        "toy_attention": " ".join(f"{v:.2f}" for v in toy_attention),
        "toy_gradient": " ".join(f"{v:.2f}" for v in toy_gradient),
        "toy_c": sum(s > 0 for s in signs), "toy_d": sum(s < 0 for s in signs),
        "toy_tau": float(kendalltau(toy_attention, toy_gradient)[0]),
    }


def _tables(results) -> dict[str, str]:
    """The deck's two tables as HTML: test performance and mean τ, ours (paper)."""
    from . import report

    performance = report.performance_table(results)
    performance["ours (paper)"] = [_ours_paper(o, p) for o, p in zip(performance.ours, performance.paper)]
    performance = performance.pivot_table(index="dataset", columns="encoder", values="ours (paper)", aggfunc="first",
                                          sort=False)
    correlation = report.correlation_table(results)
    correlation["value"] = [_ours_paper(o, p) for o, p in zip(correlation.ours_mean, correlation.paper_mean)]
    correlation["column"] = correlation.encoder + " " + correlation.measure.map(
        {"tau_attention_gradient": "τ(attn, grad)", "tau_attention_loo": "τ(attn, LOO)"})
    correlation = correlation.pivot_table(index="dataset", columns="column", values="value", aggfunc="first", sort=False)
    for table in (performance, correlation):
        table.index.name, table.columns.name = None, None
    return {name: table.to_html(border=0, escape=True) for name, table in
            (("datasets", performance), ("correlation", correlation))}


def _figures(results, epsilon: float = 0.01) -> dict[str, str]:
    from . import plots

    shown = featured(results)
    panels = [(r.label, r.analysis.instances, r.class_names) for r in shown]
    figures = {
        "histograms": _png(plots.panel_grid(panels, plots.tau_histogram)),
        "permutation": _png(plots.panel_grid(panels, plots.permutation_violin)),
        "adversarial": _png(plots.panel_grid(panels, plots.adversarial_histogram, epsilon=epsilon)),
    }
    examples = []
    for r in (shown[0], shown[-1]) if len(shown) > 1 else (shown[0],):
        frame = r.analysis.instances
        candidates = frame[(frame.length >= 5) & (frame.length <= 30)]
        row = int((candidates if len(candidates) else frame)[f"adv_max_jsd@{epsilon:g}"].idxmax())
        importance = r.analysis.importance(row)
        adversary, distance, change = r.analysis.adversary(row, epsilon)
        rows = {"attention": importance["attention"], "gradient": importance["gradient"],
                "leave-one-out": importance["loo"], f"adversarial (JSD {distance:.2f})": adversary}
        examples.append(_png(plots.example_heatmap(r.analysis.tokens[row], rows, max_tokens=30,
                                                   title=f"{r.label} #{int(frame['index'][row])}: output TVD {change:.3f}")))
    figures["examples"] = f'<div class="figure two">{"".join(examples)}</div>'
    return figures


def _reveal_files() -> dict[str, str]:
    """reveal.js, its stylesheets and the notes plugin, read from the pinned npm package."""
    wanted = {"dist/reset.css", "dist/reveal.css", "dist/theme/white.css", "dist/reveal.js", "plugin/notes/notes.js"}
    with tarfile.open(fetch_tarball(REVEAL)) as tar:
        files = {m.name.removeprefix("package/"): tar.extractfile(m).read().decode("utf-8")
                 for m in tar.getmembers() if m.name.removeprefix("package/") in wanted}
    # The theme imports its web font from a relative folder; the deck is one file, so it uses system fonts.
    files["dist/theme/white.css"] = "\n".join(line for line in files["dist/theme/white.css"].splitlines()
                                              if not line.startswith("@import"))
    return files


def _inline_script(code: str) -> str:
    return "<script>" + code.replace("</script", "<\\/script") + "</script>"


def render_deck(results, preset: str, lang: str = "en") -> str:
    """The deck's HTML for analysed ``results`` (a list of :class:`attnlib.report.Result`)."""
    if lang not in LANGUAGES:
        raise ConfigError(f"unknown language {lang!r}; choose one of {', '.join(LANGUAGES)}")
    if not results:
        raise ConfigError("the deck needs at least one analysed experiment")
    facts = deck_facts(results, preset)
    extras = {**_tables(results), **{k: f'<div class="figure">{v}</div>' if k != "examples" else v
                                     for k, v in _figures(results).items()}}
    sections = []
    for slide in _slides(lang):
        heading = f"<h1>{html.escape(slide.title)}</h1>" if slide.key == "title" else f"<h2>{html.escape(slide.title)}</h2>"
        bullets = [html.escape(b.format(**facts)) for b in slide.bullets]
        body = ("".join(f"<p>{b}</p>" for b in bullets) if slide.key == "title"
                else "<ul>" + "".join(f"<li>{b}</li>" for b in bullets) + "</ul>" if bullets else "")
        notes = f'<aside class="notes">{html.escape(slide.notes)}</aside>'
        sections.append(f'<section data-slide="{slide.key}">{heading}{body}{extras.get(slide.key, "")}{notes}</section>')
    files = _reveal_files()
    style = "\n".join(files[name] for name in ("dist/reset.css", "dist/reveal.css", "dist/theme/white.css"))
    style += "\n" + resources.files("attnlib").joinpath("static/slides.css").read_text()
    title = html.escape(_slides(lang)[0].title)
    return (f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title>'
            f'<style>{style}</style></head><body><div class="reveal"><div class="slides">{"".join(sections)}'
            f'</div></div>{_inline_script(files["dist/reveal.js"])}{_inline_script(files["plugin/notes/notes.js"])}'
            '<script>Reveal.initialize({hash: true, width: 1280, height: 800, plugins: [RevealNotes]});</script>'
            '</body></html>\n')


def build_deck(preset: str = "default", lang: str = "en", out: str | Path | None = None, *, data_dir=None,
               runs_dir=None, device: str = "auto", progress: bool = True) -> Path:
    """Write the deck of ``preset`` (training and analysing what is missing); returns its path.

    ``out`` defaults to ``_build/slides/attnlib-<preset>-<lang>.html``.
    """
    from . import report

    if lang not in LANGUAGES:
        raise ConfigError(f"unknown language {lang!r}; choose one of {', '.join(LANGUAGES)}")
    results = report.collect(preset, data_dir=data_dir, runs_dir=runs_dir, device=device, progress=progress)
    if not results:
        raise ConfigError(f"no dataset of the {preset!r} preset is available; run `attnlib datasets`")
    out = Path(out or Path("_build") / "slides" / f"attnlib-{preset}-{lang}.html")
    if out.exists() and out.is_dir():
        raise ConfigError(f"{out} is a directory; pass --out with a file name such as {out / 'deck.html'}")
    with atomic_path(out) as tmp:
        tmp.write_text(render_deck(results, preset, lang), encoding="utf-8")
    return out


__all__ = ["LANGUAGES", "OUTLINE", "TEXT", "build_deck", "deck_facts", "render_deck"]
