"""drehr_train: the DR.EHR trainer (tokenizer, chunker, knowledge graph, Stage I/II training, ONNX export).

PyTorch is the only hard dependency for training; the tokenizer, chunker and graph modules need only the standard
library, so tools that build data (benchmarks, graph files) can import them without torch.
"""
__version__ = "0.1.0"
