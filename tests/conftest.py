import sys
from pathlib import Path

# make tests/tests_support.py importable from every test folder
sys.path.insert(0, str(Path(__file__).resolve().parent))
