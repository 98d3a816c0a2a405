"""The page check finds every kind of defect a reader must not meet, on a deliberately broken page, and nothing on a
clean one."""
from attnlib.book.pagecheck import book_problems, page_problems

CLEAN = """<html><body><h1>A chapter</h1><p>Mean τ 0.35 (the paper 0.35).</p>
<table><tr><th>dataset</th><th>τ</th></tr><tr><td>sst</td><td>0.35</td></tr><tr><td>imdb</td><td>–</td></tr></table>
<img src="_images/figure.png" alt="τ histogram"><a href="other.html">next</a><a href="#top">top</a>
<a href="https://example.org/paper">the paper</a><a download="t.csv" href="data:text/csv;base64,YQ==">CSV</a>
<div class="output stdout">ok</div><script>var x = "array(";</script></body></html>"""

BROKEN = """<html><body><p>410 rows × 8 columns</p>
<table><tr><td>sst</td><td>nan</td></tr><tr><td>...</td><td>...</td></tr><tr><td>imdb</td><td>NaN</td></tr></table>
<pre>array([0.1, 0.2], dtype=float32)</pre><img src="_images/missing.png"><img src="_images/figure.png" alt="">
<a href="../protocol.md">the protocol</a><p>data_dir = "/home/builder/data"</p>
<div class="output stderr">RuntimeWarning: Mean of empty slice</div></body></html>"""


def _site(tmp_path, body):
    (tmp_path / "_images").mkdir(exist_ok=True)
    (tmp_path / "_images" / "figure.png").write_bytes(b"png")
    (tmp_path / "other.html").write_text(CLEAN)
    page = tmp_path / "chapter.html"
    page.write_text(body)
    return page


def test_a_clean_page_has_no_problem(tmp_path):
    page = _site(tmp_path, CLEAN)
    assert page_problems(page, tmp_path, machine_paths=["/home/builder"]) == []


def test_a_broken_page_names_every_defect(tmp_path):
    page = _site(tmp_path, BROKEN)
    problems = page_problems(page, tmp_path, machine_paths=["/home/builder", ""])
    expected = ["a table cut by pandas (410 rows × 8 columns)", "a table row of '...'", "2 table cell(s) show",
                "a raw repr ('array(')", "a raw repr ('dtype=')", "a link to '_images/missing.png'",
                "a link to '../protocol.md'", "a path of the building machine (/home/builder)",
                "an image without alt text (_images/missing.png)", "an image without alt text (_images/figure.png)",
                "1 cell output(s) on stderr"]
    for fragment in expected:
        assert any(fragment in p for p in problems), (fragment, problems)
    assert len(problems) == len(expected), problems
    assert all(p.startswith("chapter.html: ") for p in problems)
    assert len(book_problems(tmp_path, machine_paths=["/home/builder"])) == len(expected)
