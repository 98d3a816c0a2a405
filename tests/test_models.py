"""Models: shapes, masking, every encoder/attention pair, the pair model, padding invariance."""
import itertools

import numpy as np
import pytest
import torch

from attnlib.data.base import Split
from attnlib.data.batching import make_batch, real_token_mask
from attnlib.models import ATTENTIONS, ENCODERS, ModelConfig, build_model
from attnlib.plumbing.errors import ConfigError

VOCAB, EMBED, HIDDEN = 30, 8, 16
PAIRS = list(itertools.product(ENCODERS, ATTENTIONS))


def random_split(n=6, n_classes=2, question=False, seed=0):
    rng = np.random.RandomState(seed)
    lengths = rng.randint(1, 9, size=n)
    split = Split(sequences=[[2, *rng.randint(4, VOCAB, size=k), 3] for k in lengths],
                  labels=rng.randint(0, n_classes, size=n))
    if question:
        split.questions = [[2, *rng.randint(4, VOCAB, size=k), 3] for k in rng.randint(1, 5, size=n)]
    return split


def model_for(encoder, attention, task="classification", n_classes=2, seed=0):
    torch.manual_seed(seed)
    config = ModelConfig(task=task, encoder=encoder, attention=attention, hidden=HIDDEN, n_classes=n_classes)
    return build_model(config, torch.randn(VOCAB, EMBED)).eval()


def test_real_token_mask_excludes_sos_eos_and_padding():
    mask = real_token_mask(torch.tensor([5, 3]), 5)
    assert mask.tolist() == [[False, True, True, True, False], [False, True, False, False, False]]


@pytest.mark.parametrize("encoder,attention", PAIRS)
@pytest.mark.parametrize("task", ["classification", "pair"])
def test_shapes_and_attention_support(encoder, attention, task):
    n_classes = 2 if task == "classification" else 5
    split = random_split(question=task == "pair", n_classes=n_classes)
    model = model_for(encoder, attention, task, n_classes)
    batch = make_batch(split, range(len(split)))
    encoded = model.encode(batch)
    attn = model.attend(encoded)
    probs = model.decode(encoded, attn)
    assert encoded.states.shape[:2] == batch.tokens.shape
    assert attn.shape == batch.tokens.shape
    assert torch.all(attn[~batch.mask] == 0)
    torch.testing.assert_close(attn.sum(-1), torch.ones(len(split)))
    assert probs.shape == (len(split), n_classes)
    torch.testing.assert_close(probs.sum(-1), torch.ones(len(split)))
    torch.testing.assert_close(probs, model.predict(batch))


@pytest.mark.parametrize("encoder,attention", PAIRS)
@pytest.mark.parametrize("task", ["classification", "pair"])
def test_decoding_projected_states_equals_decoding_the_context(encoder, attention, task):
    """decode_logits(encoded, a) == decode_projected(encoded, sum_t a_t project_states(encoded)_t), for any weights a."""
    n_classes = 2 if task == "classification" else 5
    split = random_split(question=task == "pair", n_classes=n_classes, seed=4)
    model = model_for(encoder, attention, task, n_classes)
    encoded = model.encode(make_batch(split, range(len(split))))
    projected = model.project_states(encoded)
    assert projected.shape == (*encoded.states.shape[:2], 1 if task == "classification" else encoded.states.shape[2] // 2)
    for attn in (model.attend(encoded), torch.softmax(torch.randn(encoded.mask.shape), -1) * encoded.mask):
        expected = model.decode_logits(encoded, attn)
        got = model.decode_projected(encoded, torch.einsum("bs,bsk->bk", attn, projected))
        torch.testing.assert_close(got, expected, atol=1e-6, rtol=1e-5)
        assert torch.equal(torch.isinf(got), torch.isinf(expected))           # the pair model's non-candidates


@pytest.mark.parametrize("encoder,attention", PAIRS)
@pytest.mark.parametrize("task", ["classification", "pair"])
def test_output_does_not_depend_on_batch_padding(encoder, attention, task):
    """An example alone and padded inside a batch of longer ones gets the same output."""
    n_classes = 2 if task == "classification" else 4
    split = random_split(n=5, question=task == "pair", n_classes=n_classes, seed=3)
    model = model_for(encoder, attention, task, n_classes)
    together = model.predict(make_batch(split, range(5)))
    alone = torch.cat([model.predict(make_batch(split, [i])) for i in range(5)])
    torch.testing.assert_close(together, alone, atol=1e-6, rtol=1e-5)


def test_tokens_outside_the_mask_do_not_change_attention_weights_of_average_encoder():
    """Average encoder: a token's score depends on that token only."""
    split = random_split(n=1, seed=1)
    model = model_for("average", "tanh")
    batch = make_batch(split, [0])
    weights = model.attend(model.encode(batch))[0, 1:-1]
    changed = batch.tokens.clone()
    changed[0, 1] = (changed[0, 1] + 1 - 4) % (VOCAB - 4) + 4
    batch.tokens = changed
    new = model.attend(model.encode(batch))[0, 1:-1]
    scores_ratio = (new[1:] / weights[1:])
    torch.testing.assert_close(scores_ratio, scores_ratio[0].expand_as(scores_ratio))


def test_pair_model_masks_non_candidates():
    split = random_split(n=4, question=True, n_classes=5)
    split.candidates = np.zeros((4, 5), dtype=bool)
    split.candidates[:, [1, 3]] = True
    model = model_for("lstm", "tanh", "pair", 5)
    probs = model.predict(make_batch(split, range(4)))
    assert torch.all(probs[:, [0, 2, 4]] == 0)
    torch.testing.assert_close(probs.sum(-1), torch.ones(4))


def test_pair_model_uses_the_question():
    split = random_split(n=2, question=True, n_classes=3)
    model = model_for("cnn", "dot", "pair", 3)
    before = model.predict(make_batch(split, [0, 1]))
    split.questions = [split.questions[1], split.questions[0]]
    after = model.predict(make_batch(split, [0, 1]))
    assert not torch.allclose(before, after)


def test_padding_embedding_row_is_zero_and_trained_embeddings_are_used():
    model = model_for("lstm", "tanh")
    assert torch.all(model.embedding.weight[0] == 0)
    assert model.embedding.weight.requires_grad


@pytest.mark.parametrize("field,value", [("encoder", "gru"), ("attention", "mlp"), ("task", "seq2seq")])
def test_unknown_names_are_config_errors(field, value):
    kwargs = dict(task="classification", encoder="lstm", attention="tanh")
    kwargs[field] = value
    with pytest.raises(ConfigError, match=f"unknown {field} '{value}'; choose one of"):
        ModelConfig(**kwargs)


@pytest.mark.parametrize("hidden", [8, 32])
def test_the_fused_cnn_computes_the_separate_convolutions_and_their_gradients(hidden):
    from attnlib.models.encoders import CNNEncoder

    torch.manual_seed(0)
    fused = CNNEncoder(6, hidden).double()
    separate = CNNEncoder(6, hidden, separate=True).double()
    separate.load_state_dict(fused.state_dict())
    embedded = torch.randn(3, 11, 6, dtype=torch.float64)
    lengths = torch.tensor([11, 7, 3])
    outputs = []
    for encoder in (fused, separate):
        states, last = encoder(embedded, lengths)
        (states.sum() + (last ** 2).sum()).backward()
        outputs.append([states, last, *(p.grad for p in encoder.parameters())])
    assert len(outputs[0]) == 2 + 2 * 4
    for a, b in zip(*outputs):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)
