"""One module per pipeline stage; each has ``run(params)`` and is called by ``python -m``."""
