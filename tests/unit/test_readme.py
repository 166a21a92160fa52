"""The fixture example in the README is the test that runs in tests/integration."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_readme_shows_the_fixture_example_exactly_as_tested():
    example = (ROOT / "tests/integration/test_readme_example.py").read_text().rstrip()
    assert example in (ROOT / "README.md").read_text()
    assert len(example.splitlines()) <= 16
