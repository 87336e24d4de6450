"""Task implementations (``edgenn.task_protocol.Task``), one module per task, found by the protocol's package scan."""
