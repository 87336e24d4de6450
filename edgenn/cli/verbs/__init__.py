"""One module per ``edgenn`` verb; each defines its command and a ``Verb`` record and registers nothing."""
