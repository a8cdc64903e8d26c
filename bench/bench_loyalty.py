"""`make bench` runs bench/bench_*.py: the loyalty benchmarks live in bench/loyalty.py (all parts, SQLite)."""
import runpy; from pathlib import Path; runpy.run_path(str(Path(__file__).with_name("loyalty.py")), run_name="__main__")  # noqa: E702
