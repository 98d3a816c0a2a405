"""attnlib: the models, scorers and analyses of Jain & Wallace (2019), "Attention is not Explanation"."""
__version__ = "0.1.0"
