"""The protocol page the code cites exists in the repository, and every section a docstring cites is on it."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "book" / "protocol.md"


def _sections() -> set[str]:
    """The numbered sections of the page (``2``, ``2.1``, ...) and its quirks (``Q4``)."""
    text = PAGE.read_text()
    numbered = set(re.findall(r"^#{3,4} (\d+(?:\.\d+)?)\.? ", text, flags=re.M))
    quirks = set(re.findall(r"^#### (Q\d+) – ", text, flags=re.M))
    return numbered | quirks


def test_every_cited_section_and_quirk_is_on_the_protocol_page():
    sections = _sections()
    assert {"2.1", "3.4", "5", "7", "Q4", "Q12"} <= sections, sorted(sections)
    cited = set()
    for path in (ROOT / "attnlib").rglob("*.py"):
        text = path.read_text()
        assert "PROTOCOL.md" not in text, f"{path.name} cites PROTOCOL.md, which is not in the repository"
        for match in re.finditer(r"book/protocol\.md((?:[ ,]*§\d+(?:\.\d+)?(?:[-–]§\d+)?)+)", text):
            cited |= {(path.name, s) for s in re.findall(r"§(\d+(?:\.\d+)?)", match.group(1))}
        cited |= {(path.name, q) for q in re.findall(r"quirk (Q\d+)", text)}
    missing = sorted((name, s) for name, s in cited if s not in sections)
    assert not missing, f"cited but not on book/protocol.md: {missing}"
    assert len(cited) > 30
