"""Explainers from Captum behind the scorer contract of :mod:`attnlib.explain.importance`.

Every explainer is ``explainer(model, batch) -> Tensor (batch, seq_len)`` on the model's device, one value per
position of ``batch.tokens`` (the passage for pair models), **0 outside ``batch.mask``**, like the paper's
scorers. Captum's attributions are per embedding dimension; a token's score is their sum over the dimensions.
They explain the probability of the **predicted class** (for classifiers the paper's gradient explains
``p(class 1)``; the two differ only in sign) and are **signed**: positive for a token that raises that probability.
The paper's gradient and leave-one-out are magnitudes; :func:`magnitude` is what τ compares.

The references (Captum's "baselines") keep ``<SOS>``, ``<EOS>`` and padding as they are and give every real token
the zero vector, so a perturbation or path touches the real tokens only, and attributions at the frame are 0.

* ``integrated_gradients``: the path integral of gradients from the reference to the input
  (Sundararajan et al. 2017), :data:`IG_STEPS` Gauss-Legendre steps. Completeness: the scores of a row sum to
  ``p(x) - p(reference)``; :func:`integrated_gradients_delta` is Captum's convergence delta (the error of that sum).
* ``input_x_gradient``: gradient times input on the embeddings, attention *not* detached (the paper's ``gradient``
  detaches it and takes the absolute value of ``p(class 1)``'s).
* ``occlusion``: feature ablation per token: the drop in the predicted probability when the token's vector is
  replaced by zeros (the text keeps its length; leave-one-out removes the token instead).
* ``gradient_shap``: expected gradients (Lundberg & Lee 2017) over :data:`SHAP_BACKGROUND` references in which
  every real token is a word drawn uniformly from the vocabulary, :data:`GRADIENT_SHAP_SAMPLES` samples.
* ``kernel_shap``: Kernel SHAP over the real tokens as features, removed tokens set to the zero vector,
  :data:`KERNEL_SHAP_SAMPLES` coalitions.

The two sampling explainers draw from generators seeded per instance by its content
(:func:`~attnlib.explain.instance_seed`), so their results do not depend on batch size, order or padding.

**DeepLIFT is not offered.** Captum's DeepLift replaces the gradients of non-linearities that are ``nn.Module``
objects; our encoders and attention call ``torch.tanh``, ``torch.relu`` and the softmax as functions, and the BiLSTM
is one fused kernel whose gates it cannot see, so for none of the six configurations would the result be DeepLIFT's
rule (:func:`deeplift_support` says why for each encoder).

On CUDA, cuDNN computes an RNN's backward pass only in training mode; the gradient explainers run with cuDNN
switched off (:func:`_attribution_mode`): the same LSTM in PyTorch's own kernels, in eval mode, so dropout-free and
exact.
"""
from __future__ import annotations

import contextlib
from dataclasses import replace
from typing import Callable

import numpy as np
import torch

from ..data.batching import Batch
from ..explain import SCORERS, instance_seed
from ..models.encoders import AverageEncoder, CNNEncoder, LSTMEncoder
from ..models.model import AttentionModel

__all__ = ["CAPTUM_EXPLAINERS", "EXPLAINERS", "GRADIENT_SHAP_SAMPLES", "IG_STEPS", "KERNEL_SHAP_SAMPLES",
           "PERTURBATIONS_PER_EVAL", "SHAP_BACKGROUND", "captum_defaults", "deeplift_support",
           "integrated_gradients_delta", "magnitude", "predicted_class", "random_scores"]

IG_STEPS = 50
"""Integrated gradients: Gauss-Legendre steps along the path (Captum's default)."""
GRADIENT_SHAP_SAMPLES = 32
"""GradientSHAP: (reference, point on the path) samples per instance."""
SHAP_BACKGROUND = 8
"""GradientSHAP: references per instance, each a text of random vocabulary words of the instance's length."""
KERNEL_SHAP_SAMPLES = 200
"""Kernel SHAP: coalitions of tokens sampled per instance."""
PERTURBATIONS_PER_EVAL = 64
"""Perturbations (or path points) evaluated in one forward pass by the batched explainers."""


def _forward(model: AttentionModel, template: Batch):
    """Captum's forward function: ``f(embedded, tokens, lengths, mask, question, question_lengths, candidates)``
    returning the output distribution (rows, n_classes); Captum repeats the tensors with the inputs."""

    def forward(embedded, tokens, lengths, mask, question=None, question_lengths=None, candidates=None):
        batch = replace(template, tokens=tokens, lengths=lengths, mask=mask, question=question,
                        question_lengths=question_lengths, candidates=candidates,
                        labels=lengths.new_zeros(len(lengths)), index=lengths.new_zeros(len(lengths)))
        encoded = model.encode(batch, embedded=embedded)
        return model.decode(encoded, model.attend(encoded))

    return forward


def _batch_args(batch: Batch) -> tuple:
    return batch.tokens, batch.lengths, batch.mask, batch.question, batch.question_lengths, batch.candidates


def predicted_class(model: AttentionModel, batch: Batch) -> torch.Tensor:
    """The class each row is predicted to be, shape (batch,)."""
    with torch.no_grad():
        return model.predict(batch).argmax(1)


def _reference(embedded: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """The input with every real token's vector set to zero (frame and padding kept): (batch, seq_len, embed)."""
    return embedded * (~mask).unsqueeze(-1).to(embedded.dtype)


@contextlib.contextmanager
def _attribution_mode(device: torch.device):
    """Gradients on, and on CUDA cuDNN off (its RNN backward refuses eval mode)."""
    with torch.enable_grad(), torch.backends.cudnn.flags(enabled=device.type != "cuda"):
        yield


@contextlib.contextmanager
def _seeded(seed: int):
    """Seed NumPy's and torch's global generators (which Captum's samplers use), then restore both."""
    state = np.random.get_state()
    with torch.random.fork_rng(devices=[]):
        np.random.seed(seed % 2 ** 32)
        torch.manual_seed(seed)
        try:
            yield
        finally:
            np.random.set_state(state)


def _per_token(attributions: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Sum over the embedding dimension, 0 outside ``mask``: (batch, seq_len, embed) -> (batch, seq_len)."""
    scores = attributions.sum(-1)
    return torch.where(mask, scores, torch.zeros_like(scores)).detach()


def _integrated_gradients(model, batch, *, n_steps=IG_STEPS, internal_batch_size=None, with_delta=False):
    from captum.attr import IntegratedGradients

    embedded = model.embed(batch).detach()
    internal = internal_batch_size or max(len(batch), PERTURBATIONS_PER_EVAL // 4 * len(batch))
    with _attribution_mode(embedded.device):
        attributions, delta = IntegratedGradients(_forward(model, batch)).attribute(
            embedded, baselines=_reference(embedded, batch.mask), target=predicted_class(model, batch),
            additional_forward_args=_batch_args(batch), n_steps=n_steps, internal_batch_size=internal,
            return_convergence_delta=True)
    scores = _per_token(attributions, batch.mask)
    return (scores, delta.detach()) if with_delta else scores


def integrated_gradients(model: AttentionModel, batch: Batch) -> torch.Tensor:
    """Integrated gradients of the predicted class's probability from the zero-vector reference: (batch, seq_len)."""
    return _integrated_gradients(model, batch)


def integrated_gradients_delta(model: AttentionModel, batch: Batch, *, n_steps: int = IG_STEPS) -> torch.Tensor:
    """Captum's convergence delta, ``sum_t IG_t - (p(x) - p(reference))`` per row: shape (batch,)."""
    return _integrated_gradients(model, batch, n_steps=n_steps, with_delta=True)[1]


def input_x_gradient(model: AttentionModel, batch: Batch) -> torch.Tensor:
    """Gradient times input of the predicted class's probability, attention differentiated: (batch, seq_len)."""
    from captum.attr import InputXGradient

    embedded = model.embed(batch).detach().requires_grad_(True)
    with _attribution_mode(embedded.device):
        attributions = InputXGradient(_forward(model, batch)).attribute(
            embedded, target=predicted_class(model, batch), additional_forward_args=_batch_args(batch))
    return _per_token(attributions, batch.mask)


def occlusion(model: AttentionModel, batch: Batch, *, perturbations_per_eval: int = PERTURBATIONS_PER_EVAL) -> torch.Tensor:
    """Drop of the predicted class's probability when each token's vector is zeroed: (batch, seq_len)."""
    from captum.attr import FeatureAblation

    embedded = model.embed(batch).detach()
    positions = torch.arange(embedded.shape[1], device=embedded.device)
    feature_mask = positions.view(1, -1, 1).expand(len(batch), -1, 1)
    with torch.no_grad():
        attributions = FeatureAblation(_forward(model, batch)).attribute(
            embedded, baselines=_reference(embedded, batch.mask), target=predicted_class(model, batch),
            additional_forward_args=_batch_args(batch), feature_mask=feature_mask,
            perturbations_per_eval=perturbations_per_eval)
    # every dimension of a token carries the token's whole drop: keep one
    scores = attributions[..., 0]
    return torch.where(batch.mask, scores, torch.zeros_like(scores)).detach()


def _row(batch: Batch, row: int) -> Batch:
    """Row ``row`` of ``batch`` cut to its own length (no padding)."""
    single = batch.index_select(torch.tensor([row], device=batch.tokens.device))
    length = int(single.lengths[0])
    return replace(single, tokens=single.tokens[:, :length], mask=single.mask[:, :length])


def _per_instance(model: AttentionModel, batch: Batch, explain_row: Callable, purpose: str) -> torch.Tensor:
    """Run ``explain_row(model, row_batch, target)`` on every row with its own seeded generators."""
    out = torch.zeros(batch.tokens.shape, dtype=model.embedding.weight.dtype, device=batch.tokens.device)
    targets = predicted_class(model, batch)
    tokens = batch.tokens.cpu()
    questions = None if batch.question is None else batch.question.cpu()
    lengths = batch.lengths.cpu()
    for row in range(len(batch)):
        length = int(lengths[row])
        question = None if questions is None else questions[row][questions[row] != 0].tolist()
        seed = instance_seed(tokens[row, :length].tolist(), question, seed=0, purpose=purpose)
        with _seeded(seed):
            out[row, :length] = explain_row(model, _row(batch, row), targets[row: row + 1], seed)[0]
    return torch.where(batch.mask, out, torch.zeros_like(out))


def _gradient_shap_row(model, single, target, seed, *, n_samples=GRADIENT_SHAP_SAMPLES, background=SHAP_BACKGROUND):
    from captum.attr import GradientShap

    embedded = model.embed(single).detach()
    vocab = model.embedding.weight.shape[0]
    words = torch.from_numpy(np.random.RandomState(seed % 2 ** 32).randint(4, vocab, size=(background,
                                                                                        embedded.shape[1])))
    drawn = model.embedding(words.to(embedded.device)).detach()
    real = single.mask.unsqueeze(-1).to(embedded.dtype)
    baselines = embedded * (1 - real) + drawn * real                        # (background, seq_len, embed)
    with _attribution_mode(embedded.device):
        attributions = GradientShap(_forward(model, single)).attribute(
            embedded, baselines=baselines, n_samples=n_samples, target=target,
            additional_forward_args=_batch_args(single))
    return attributions.sum(-1).detach()


def gradient_shap(model: AttentionModel, batch: Batch) -> torch.Tensor:
    """Expected gradients over random-word references, per instance (seeded): (batch, seq_len)."""
    return _per_instance(model, batch, _gradient_shap_row, "gradient_shap")


def _kernel_shap_row(model, single, target, seed, *, n_samples=KERNEL_SHAP_SAMPLES,
                     perturbations_per_eval=PERTURBATIONS_PER_EVAL):
    from captum.attr import KernelShap

    embedded = model.embed(single).detach()
    length = embedded.shape[1]
    inner = embedded[:, 1:length - 1]                                     # the real tokens are the features
    frame_first, frame_last = embedded[:, :1], embedded[:, length - 1:]

    def forward(real_tokens, *args):
        n = real_tokens.shape[0]
        whole = torch.cat([frame_first.expand(n, -1, -1), real_tokens, frame_last.expand(n, -1, -1)], dim=1)
        return _forward(model, single)(whole, *args)

    feature_mask = torch.arange(length - 2, device=embedded.device).view(1, -1, 1)
    with torch.no_grad():
        if length == 3:        # one feature: its Shapley value is the whole change (Captum's sampler needs two)
            probs = forward(torch.cat([inner, torch.zeros_like(inner)]), *(
                None if a is None else a.expand(2, *a.shape[1:]) for a in _batch_args(single)))
            change = probs[0, target] - probs[1, target]
            return torch.cat([change.new_zeros(1, 1), change.view(1, 1), change.new_zeros(1, 1)], dim=1)
        attributions = KernelShap(forward).attribute(
            inner, baselines=torch.zeros_like(inner), target=target, additional_forward_args=_batch_args(single),
            feature_mask=feature_mask, n_samples=n_samples, perturbations_per_eval=perturbations_per_eval)
    scores = attributions[..., 0]
    zero = scores.new_zeros(1, 1)
    return torch.cat([zero, scores, zero], dim=1).detach()


def kernel_shap(model: AttentionModel, batch: Batch) -> torch.Tensor:
    """Kernel SHAP over the real tokens (removed = zero vector), per instance (seeded): (batch, seq_len)."""
    return _per_instance(model, batch, _kernel_shap_row, "kernel_shap")


CAPTUM_EXPLAINERS: dict[str, Callable[[AttentionModel, Batch], torch.Tensor]] = {
    "integrated_gradients": integrated_gradients,
    "input_x_gradient": input_x_gradient,
    "occlusion": occlusion,
    "gradient_shap": gradient_shap,
    "kernel_shap": kernel_shap,
}
"""The Captum explainers by name, each ``explainer(model, batch) -> (batch, seq_len)``, signed, 0 outside the mask."""



def random_scores(model: AttentionModel, batch: Batch) -> torch.Tensor:
    """A random order, the baseline every explainer must beat: uniform scores on the real tokens, drawn per
    instance from a generator seeded by its content: (batch, seq_len)."""
    out = torch.zeros(batch.tokens.shape, dtype=torch.float64)
    tokens, lengths = batch.tokens.cpu(), batch.lengths.cpu()
    questions = None if batch.question is None else batch.question.cpu()
    for row in range(len(batch)):
        length = int(lengths[row])
        question = None if questions is None else questions[row][questions[row] != 0].tolist()
        seed = instance_seed(tokens[row, :length].tolist(), question, seed=0, purpose="random order")
        out[row, 1:length - 1] = torch.from_numpy(np.random.RandomState(seed % 2 ** 32).rand(length - 2))
    return out.to(device=batch.tokens.device, dtype=model.embedding.weight.dtype)


EXPLAINERS = {**SCORERS, **CAPTUM_EXPLAINERS, "random": random_scores}
"""Every explainer the faithfulness lab compares: the paper's three scorers, the Captum explainers and a random
order (the baseline)."""


def magnitude(name: str, scores: np.ndarray) -> np.ndarray:
    """What τ ranks for explainer ``name``: the absolute value of a signed attribution (as the paper's gradient),
    the scores themselves for attention, gradient and leave-one-out."""
    return scores if name in SCORERS else np.abs(scores)


def deeplift_support(model: AttentionModel) -> str:
    """Why Captum's DeepLift is not offered for this model's encoder (one sentence)."""
    encoder = type(model.encoder)
    if encoder is LSTMEncoder:
        return "the BiLSTM is one fused kernel: DeepLift cannot see its gates, and falls back to plain gradients"
    if encoder in (CNNEncoder, AverageEncoder):
        return ("its tanh/ReLU and the attention's softmax are functions, not nn.Module objects, which is all "
                "DeepLift's rules replace; the result would not be DeepLIFT's")
    return "no DeepLift rules are known for this encoder"


def captum_defaults(name: str) -> Callable[[AttentionModel, Batch], torch.Tensor]:
    """Explainer ``name`` as Captum runs it with its own defaults (one path point or perturbation per forward pass;
    every instance alone), for the benchmark; same results as :data:`CAPTUM_EXPLAINERS`."""
    if name == "integrated_gradients":
        return lambda model, batch: _per_row(model, batch, lambda m, b: _integrated_gradients(m, b, internal_batch_size=1))
    if name == "occlusion":
        return lambda model, batch: _per_row(model, batch, lambda m, b: occlusion(m, b, perturbations_per_eval=1))
    if name == "kernel_shap":
        return lambda model, batch: _per_instance(
            model, batch, lambda m, s, t, seed: _kernel_shap_row(m, s, t, seed, perturbations_per_eval=1), "kernel_shap")
    if name in CAPTUM_EXPLAINERS:
        return lambda model, batch: _per_row(model, batch, CAPTUM_EXPLAINERS[name])
    raise ValueError(f"unknown Captum explainer {name!r}; choose one of {', '.join(CAPTUM_EXPLAINERS)}")


def _per_row(model, batch, explainer) -> torch.Tensor:
    """``explainer`` on one row at a time (each cut to its length), stitched back: (batch, seq_len)."""
    out = torch.zeros(batch.tokens.shape, dtype=model.embedding.weight.dtype, device=batch.tokens.device)
    for row in range(len(batch)):
        single = _row(batch, row)
        out[row, : single.tokens.shape[1]] = explainer(model, single)[0]
    return out
