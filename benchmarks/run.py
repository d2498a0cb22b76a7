"""Run every benchmark script in this folder, one after another.

Each script measures its own baseline in the same run and prints ratios against it; the
latest figures are recorded by hand in docs/benchmarks.md. Scripts whose name starts with an
underscore are helpers, not benchmarks.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    scripts = sorted(
        p for p in HERE.glob("*.py") if p.name != "run.py" and not p.name.startswith("_")
    )
    if not scripts:
        print("No benchmarks yet: later issues add scripts under benchmarks/.")
        return 0
    failed = 0
    for script in scripts:
        print(f"== {script.name}", flush=True)
        result = subprocess.run([sys.executable, str(script)], check=False)
        failed += result.returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
