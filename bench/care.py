"""The name issue 7 uses for the care benchmark: runs bench_care.py with the same arguments."""

import runpy
from pathlib import Path

runpy.run_path(str(Path(__file__).resolve().parent / "bench_care.py"), run_name="__main__")
