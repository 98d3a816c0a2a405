"""The paper's encoders, attention functions and models (book/protocol.md §3)."""
from .attention import ATTENTIONS, AdditiveAttention, ScaledDotAttention, masked_softmax
from .build import ModelConfig, build_model
from .encoders import ENCODERS, AverageEncoder, CNNEncoder, LSTMEncoder
from .model import AttentionModel, Classifier, Encoded, PairModel

__all__ = [
    "ATTENTIONS", "ENCODERS", "AdditiveAttention", "AttentionModel", "AverageEncoder", "CNNEncoder",
    "Classifier", "Encoded", "LSTMEncoder", "ModelConfig", "PairModel", "ScaledDotAttention",
    "build_model", "masked_softmax",
]
