"""A long API fuzzing run: the CI test (tests/security/test_fuzz.py) with many more examples.

    .venv/bin/python bench/fuzz.py [--examples 200] [-- extra pytest arguments]

Runs schemathesis over every operation of /api/v1/openapi.json with an admin's API token, each
operation getting ``--examples`` generated requests (CI uses 8), and prints the figures pytest's
summary gives: requests sent, operations, requests on real rows, error answers, operations that
failed a check (no 5xx, documented status, schema match, error envelope). Uses DATABASE_URL /
REDIS_URL when set, else the embedded default, like the suite.
"""

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=200, help="per operation")
    parser.add_argument("pytest_args", nargs="*")
    args = parser.parse_args()
    env = {**os.environ, "FUZZ_MAX_EXAMPLES": str(args.examples)}
    command = [
        sys.executable,
        "-m",
        "pytest",
        "tests/security/test_fuzz.py",
        "-q",
        "-p",
        "no:cacheprovider",
        "--timeout=0",
        *args.pytest_args,
    ]
    started = time.monotonic()
    result = subprocess.run(command, cwd=ROOT, env=env, check=False)
    print(f"fuzz run: {args.examples} examples per operation, {time.monotonic() - started:.0f} s")
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
