"""Which FPGA part names edgenn accepts: one rule, used when a recipe is loaded and again by the exporters.

hls4ml 1.3 passes the part string to the vendor tcl unchecked (backends/vitis/vitis_backend.py
create_initial_config), so a typo would only surface hours later in Vitis. AMD/Xilinx part names start with a family
prefix and are dash-separated: xcvu13p-flga2577-2-e, xczu9eg-ffvb1156-2-e, xc7a200t-fbg676-2, xcu250-figd2104-2L-e.
"""

from __future__ import annotations

import re

KNOWN_PART_PREFIXES = ("xc7a", "xc7k", "xc7s", "xc7v", "xc7z", "xcku", "xcvu", "xczu", "xcau", "xcvc", "xcvp",
                       "xcve", "xcvm", "xcvh", "xck2", "xcu", "xqzu", "xqku", "xqvu", "xa7", "xazu")
_PART_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+){1,4}$", re.IGNORECASE)
PART_FIX = (f"use an AMD/Xilinx part name such as 'xcvu13p-flga2577-2-e' (families: "
            f"{', '.join(KNOWN_PART_PREFIXES)})")


def is_known_part(part: object) -> bool:
    return isinstance(part, str) and bool(_PART_PATTERN.match(part)) and part.lower().startswith(KNOWN_PART_PREFIXES)
