"""One module per CLI command. Each has ``HELP``, ``add_arguments(parser)`` and ``run(args) -> int``, and imports
its heavy dependencies (onnxruntime, torch, Qt) inside ``run`` only, so ``diffviz --help`` stays fast."""
