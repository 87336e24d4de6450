"""Task implementations (``edgenn.task_protocol.Task``), one module per task, registered in ``registry`` and
found by its package scan; ``recipe_check`` checks a recipe against its family and task."""
