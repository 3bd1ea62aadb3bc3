"""Template hygiene a render would not catch."""

from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def test_no_template_opens_a_comment_it_does_not_close_on_the_same_line():
    """Django's {# #} comment is one line only: one spread over lines shows on the page as
    text. Longer comments use {% comment %}."""
    found = [f"{path.relative_to(TEMPLATES)}:{number}"
             for path in TEMPLATES.rglob("*.html")
             for number, line in enumerate(path.read_text().splitlines(), start=1)
             if "{#" in line and "#}" not in line[line.index("{#"):]]
    assert found == []
