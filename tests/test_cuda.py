"""The same results on a CUDA GPU: the dense BiLSTM, a training step, and every fast analysis against its naive
reference. Skipped, with the reason, where no GPU is present (CI has none)."""
import numpy as np
import pytest
import torch

from attnlib.data.base import Split
from attnlib.plumbing.device import use_deterministic_cuda
from attnlib.explain import adversarial_over_split, importance_over_split, permutation_over_split
from attnlib.explain.naive import naive_adversarial, naive_gradient, naive_loo, naive_permutation
from attnlib.models import ModelConfig, build_model
from attnlib.models.encoders import dense_bilstm, packed_bilstm

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU; none is present")

ENCODERS = ("lstm", "cnn", "average")


@pytest.fixture(autouse=True)
def deterministic():
    use_deterministic_cuda()


def _split(n=12, question=False, seed=0):
    rng = np.random.RandomState(seed)
    lengths = [1, 2, *rng.randint(3, 25, size=n - 2)]
    split = Split(sequences=[[2, *rng.randint(4, 40, size=k), 3] for k in lengths], labels=rng.randint(0, 2, size=n))
    if question:
        split.questions = [[2, *rng.randint(4, 40, size=k), 3] for k in rng.randint(1, 6, size=n)]
    return split


def _model(encoder, attention="tanh", task="classification"):
    torch.manual_seed(0)
    config = ModelConfig(task=task, encoder=encoder, attention=attention, hidden=16, n_classes=2)
    return build_model(config, torch.randn(40, 8)).cuda().eval()


def test_dense_bilstm_equals_packed_on_cuda():
    rnn = torch.nn.LSTM(6, 8, batch_first=True, bidirectional=True).cuda()
    lengths = torch.tensor([7, 1, 12, 2, 5, 12], device="cuda")
    embedded = torch.randn(6, 14, 6, device="cuda")
    torch.backends.cudnn.allow_tf32 = False
    for dense, packed in zip(dense_bilstm(rnn, embedded, lengths), packed_bilstm(rnn, embedded, lengths)):
        assert (dense - packed).abs().max().item() <= 1e-5


@pytest.mark.parametrize("encoder", ENCODERS)
def test_training_step_is_reproducible_on_cuda(encoder):
    from attnlib.data.batching import make_batch
    from attnlib.training.recipe import TrainConfig, make_optimizer, train_epoch

    split = _split()
    losses = []
    for _ in range(2):
        model = _model(encoder).train()
        optimizer = make_optimizer(model, TrainConfig(epochs=1, batch_size=4))
        losses.append(train_epoch(model, optimizer, split, [list(range(6)), list(range(6, 12))], 1.0,
                                  torch.device("cuda")))
    assert losses[0] == losses[1]
    assert make_batch(split, [0]).tokens.device.type == "cpu"


@pytest.mark.parametrize("encoder", ENCODERS)
@pytest.mark.parametrize("task", ["classification", "pair"])
def test_fast_analyses_equal_naive_on_cuda(encoder, task):
    split = _split(question=task == "pair")
    model = _model(encoder, task=task)
    np.testing.assert_allclose(importance_over_split("gradient", model, split, progress=False),
                               naive_gradient(model, split), atol=1e-5)
    np.testing.assert_allclose(importance_over_split("loo", model, split, progress=False),
                               naive_loo(model, split), atol=1e-5)
    np.testing.assert_allclose(permutation_over_split(model, split, n_permutations=20, progress=False),
                               naive_permutation(model, split, n_permutations=20), atol=1e-5)
    fast = adversarial_over_split(model, split, n_adversaries=3, n_iterations=20, progress=False)
    naive = naive_adversarial(model, split, n_adversaries=3, n_iterations=20)
    np.testing.assert_allclose(fast.jsd, naive.jsd, atol=1e-4)
    np.testing.assert_allclose(fast.tvd, naive.tvd, atol=1e-4)


@pytest.mark.parametrize("encoder", ENCODERS)
def test_faithfulness_explainers_run_in_eval_mode_on_cuda_and_equal_the_cpu(encoder):
    """cuDNN's RNN backward refuses eval mode; the gradient explainers switch cuDNN off and give the CPU's scores."""
    from attnlib.faithfulness import EXPLAINERS

    split = _split()
    model = _model(encoder)
    assert not model.training
    for name in ("integrated_gradients", "input_x_gradient", "occlusion", "gradient_shap", "kernel_shap"):
        on_gpu = importance_over_split(EXPLAINERS[name], model, split, progress=False)
        on_cpu = importance_over_split(EXPLAINERS[name], model.cpu(), split, progress=False)
        model.cuda()
        np.testing.assert_allclose(on_gpu, on_cpu, rtol=0, atol=1e-4, err_msg=name)
    assert not model.training
