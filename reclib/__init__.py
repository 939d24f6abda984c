"""reclib: the library of the book *Personalized Recommendation Reasons with
Deep Generative Models*.

Every notebook in ``chapters/`` imports from here, so each idea has one
implementation that is tested once.
"""
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

__version__ = "0.2.0"
