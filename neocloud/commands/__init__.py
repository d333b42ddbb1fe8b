"""The command line: ``neocloud`` (cli) and ``python -m neocloud.bench``."""
