"""`python -m edgenn` runs the same command line as the `edgenn` script."""

import os
import subprocess
import sys
from pathlib import Path

from edgenn._version import __version__


def test_python_dash_m_edgenn_is_the_cli():
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-m", "edgenn", "--version"], capture_output=True, text=True, env=env,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"edgenn {__version__}"
    bad = subprocess.run([sys.executable, "-m", "edgenn", "no-such-command"], capture_output=True, text=True, env=env,
                         timeout=120)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
