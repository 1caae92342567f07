"""The trainer picks notes with the same include/exclude globs as the sidecar and the editor (src/shared/glob.ts)."""
import pytest

from drehr_train.cli import _glob


@pytest.mark.parametrize("path,pattern,want", [
    ("a.md", "**/*.md", True),            # `**/` also matches no folder: notes at the workspace root
    ("p1/a.md", "**/*.md", True),
    ("p1/a.md", "*.md", False),           # `*` stays within a name, as in the sidecar
    ("a.md", "*.md", True),
    ("README.md", "**/README.md", True),  # the default exclude drops a root README too
    ("x/.drehr/index/a.md", "**/.drehr/**", True),
    ("exports/a.csv", "**/*.{csv,jsonl}", True),
    ("exports/a.txt", "**/*.{csv,jsonl}", False),
    ("a.txt", "[ab].txt", True),
    ("c.txt", "[!ab].txt", True),
    ("p1\\a.md", "**/*.md", True),        # a Windows separator reads as /
])
def test_glob_matches_like_the_sidecar(path, pattern, want):
    assert _glob(path, pattern) is want
