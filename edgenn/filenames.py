"""Every file name edgenn writes or reads by convention, in one place (stages, reporting and checks share them).

A model directory (``runs/<name>/train|compress``) holds MODEL .. SCORES; an export directory REPORT_JSON ..
REPORT_HTML; a dataset directory JETS or EVENTS. Layout changes happen here, so no module spells a name itself
(``tests/test_filenames.py`` fails on a literal elsewhere).
"""

MANIFEST = "manifest.json"  # written last: its presence marks a directory complete (io.atomic_dir)

# model directories
MODEL = "model.h5"
TRAINING_MODEL = "training_model.h5"  # the model as trained, when MODEL is only its firmware part (the VAE)
RECIPE = "recipe.yml"
METRICS = "metrics.json"
STANDARDIZER = "standardizer.json"
SPLITS = "splits.npz"
HISTORY = "history.json"
SCORES = "scores.npz"  # per-event anomaly scores of the test split
OUTPUTS = "outputs.npz"  # per-layer outputs on a test sample, test-split scores (records.stage_outputs)

# export directories
REPORT_JSON = "report.json"
REPORT_MD = "report.md"
REPORT_HTML = "report.html"

# dataset directories
JETS = "jets.h5"
EVENTS = "events.h5"

# scan directories
SCAN_SUMMARY = "scan.json"  # written when a scan call finishes (edgenn.records.scan.ScanSummary)

# training-set-size curve directories (edgenn compare --train-sizes)
CURVES = "curves.json"  # the summary record (edgenn.records.curves.LearningCurves), rewritten after every call
CURVES_MD = "curves.md"
CURVES_PNG = "curves.png"
CURVE_CELLS = "curve_cells"  # one JSON per family x size x fold, each written atomically when its training ends
