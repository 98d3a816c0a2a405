"""The dense BiLSTM equals the packed reference: states, final states and every gradient.

Tolerance: 1e-6 in float32 and 1e-12 in float64, relative to the largest magnitude of the compared tensor
when that is above 1 (weight gradients sum over every position of the batch, so their rounding grows with
them; states and final states are below 1, so for them the bound is absolute).
"""
import pytest
import torch
from torch import nn

from attnlib.models.encoders import LSTMEncoder, dense_bilstm, packed_bilstm, reverse_within_length

TOLERANCE = {torch.float32: 1e-6, torch.float64: 1e-12}
LENGTHS = {
    "random with 1 and 2": [7, 1, 12, 2, 5, 12, 3, 9],
    "all equal": [6, 6, 6, 6],
    "single row": [4],
    "all length 1": [1, 1, 1],
}


def _max_difference(dense: torch.Tensor, packed: torch.Tensor) -> float:
    """``max |dense - packed|`` divided by ``max(1, max |packed|)``."""
    return (dense - packed).abs().max().item() / max(1.0, packed.abs().max().item())


def _both(dtype, lengths, seed=0, embed_dim=5, hidden=7):
    """Outputs and gradients of the dense and the packed BiLSTM on the same random inputs and weights."""
    generator = torch.Generator().manual_seed(seed)
    rnn = nn.LSTM(embed_dim, hidden, batch_first=True, bidirectional=True).to(dtype)
    with torch.no_grad():
        for weight in rnn.parameters():
            weight.copy_(torch.rand(weight.shape, generator=generator, dtype=dtype) * 2 - 1)
    lengths = torch.tensor(lengths)
    embedded = torch.randn(len(lengths), int(lengths.max()) + 2, embed_dim, generator=generator, dtype=dtype)
    results = []
    for encode in (dense_bilstm, packed_bilstm):
        inputs = embedded.clone().requires_grad_(True)
        rnn.zero_grad()
        states, last = encode(rnn, inputs, lengths)
        # a random linear function of every output, so each gradient entry is exercised
        loss = (states * torch.linspace(-1, 1, states.numel(), dtype=dtype).view_as(states)).sum() \
            + (last * torch.linspace(1, 2, last.numel(), dtype=dtype).view_as(last)).sum()
        loss.backward()
        results.append({"states": states.detach(), "last_hidden": last.detach(), "d_input": inputs.grad.clone(),
                        **{f"d_{name}": p.grad.clone() for name, p in rnn.named_parameters()}})
    return results


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("case", LENGTHS)
def test_dense_bilstm_equals_packed(dtype, case):
    dense, packed = _both(dtype, LENGTHS[case])
    assert dense.keys() == packed.keys()
    for name in dense:
        assert dense[name].shape == packed[name].shape, name
        difference = _max_difference(dense[name], packed[name])
        assert difference <= TOLERANCE[dtype], f"{name}: scaled max |dense - packed| = {difference:.3g}"


def test_dense_bilstm_is_zero_on_padding_and_gradient_free_there():
    dense, _ = _both(torch.float64, [3, 1, 5])
    assert torch.all(dense["states"][0, 3:] == 0) and torch.all(dense["states"][1, 1:] == 0)
    assert torch.all(dense["d_input"][0, 3:] == 0) and torch.all(dense["d_input"][1, 1:] == 0)


@pytest.mark.parametrize("seed", range(3))
def test_dense_bilstm_equals_packed_on_random_batches(seed):
    lengths = torch.randint(1, 30, (16,), generator=torch.Generator().manual_seed(seed)).tolist()
    for dtype in TOLERANCE:
        dense, packed = _both(dtype, lengths, seed=seed, embed_dim=6, hidden=8)
        for name in dense:
            assert _max_difference(dense[name], packed[name]) <= TOLERANCE[dtype], (name, dtype)


def test_reverse_within_length_is_its_own_inverse_and_keeps_padding():
    x = torch.arange(12.0).view(2, 6)
    lengths = torch.tensor([4, 1])
    reversed_ = reverse_within_length(x.unsqueeze(-1), lengths).squeeze(-1)
    assert reversed_.tolist() == [[3, 2, 1, 0, 4, 5], [6, 7, 8, 9, 10, 11]]
    assert torch.equal(reverse_within_length(reversed_, lengths), x)


def test_lstm_encoder_keeps_the_parameter_names_of_old_checkpoints():
    encoder = LSTMEncoder(5, 7)
    names = {name: tuple(p.shape) for name, p in encoder.state_dict().items()}
    reference = {f"rnn.{name}": tuple(p.shape)
                 for name, p in nn.LSTM(5, 7, batch_first=True, bidirectional=True).state_dict().items()}
    assert names == reference
