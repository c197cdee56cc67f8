"""Paths shared by the tests."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
RETURNS = DATA / "returns" / "pan_dorset.csv"
