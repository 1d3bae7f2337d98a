"""bytespike: a command-line companion for the ByteSpike LLM gateway."""

__version__ = "0.1.0"
