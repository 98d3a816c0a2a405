"""The reading-group deck: built from the quick preset's runs in both languages, one file, opens offline."""
from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from attnlib.cli import main
from attnlib.teach.slides import OUTLINE, TEXT


@pytest.fixture(scope="module")
def decks(quick_setup, tmp_path_factory):
    data_dir, runs = quick_setup
    folder = tmp_path_factory.mktemp("slides")
    built = {}
    for lang in ("en", "ja"):
        out = folder / f"deck-{lang}.html"
        assert main(["slides", "--preset", "quick", "--lang", lang, "--out", str(out), "--data-dir", str(data_dir),
                     "--runs-dir", str(runs)]) == 0
        built[lang] = out
    return built


class _Loads(HTMLParser):
    def __init__(self):
        super().__init__()
        self.loaded = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.loaded += [attrs[key] for key in ("src", "href") if attrs.get(key)]


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_deck_has_every_slide_with_notes_and_loads_nothing_remote(decks, lang):
    html = decks[lang].read_text(encoding="utf-8")
    assert re.findall(r'<section data-slide="([a-z]+)"', html) == list(OUTLINE)
    assert html.count('<aside class="notes">') == len(OUTLINE)
    for title, _, _ in TEXT[lang].values():
        assert title.replace("&", "&amp;") in html
    parser = _Loads()
    parser.feed(html)
    assert parser.loaded and all(address.startswith("data:image/png;base64,") for address in parser.loaded)
    assert html.count("<img") >= 5  # τ histograms, permutation, adversarial and two examples
    assert "{" + "tau_lstm" not in html and "{" + "crit_" not in html  # every number was filled in
    critique = html[html.index('data-slide="critique"'):]
    assert "n/a" not in critique[:critique.index("</ul>")]  # the quick preset has a critique: our numbers are cited
    assert len(re.findall(r"0\.\d{3}", critique)) >= 8


def test_japanese_deck_is_written_in_japanese(decks):
    html = decks["ja"].read_text(encoding="utf-8")
    assert '<html lang="ja">' in html and "敵対的 Attention" in html and "批判: Wiegreffe & Pinter (2019)".replace("&", "&amp;") in html


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_deck_opens_offline_in_a_browser_with_every_slide(decks, lang, offline_page):
    page = offline_page
    page.goto(decks[lang].as_uri())
    page.wait_for_function("() => window.Reveal && Reveal.isReady()")
    assert page.evaluate("Reveal.getTotalSlides()") == len(OUTLINE)
    titles = []
    for index in range(len(OUTLINE)):
        page.evaluate(f"Reveal.slide({index})")
        titles.append(page.inner_text(".reveal .slides section.present h1, .reveal .slides section.present h2"))
    assert titles == [TEXT[lang][key][0] for key in OUTLINE]
    page.evaluate("Reveal.slide(6)")  # the τ histograms: the figure is decoded and drawn
    assert page.eval_on_selector("section.present img", "img => img.complete && img.naturalWidth") > 300
    page.screenshot(path=str(decks[lang].with_suffix(".png")))
    assert not page.blocked and not page.errors, (page.blocked, page.errors)


def test_bad_slide_options_give_one_line_errors(quick_setup, tmp_path, capsys):
    data_dir, runs = quick_setup
    with pytest.raises(SystemExit) as exit_info:
        main(["slides", "--lang", "fr"])
    assert exit_info.value.code == 2 and "invalid choice: 'fr'" in capsys.readouterr().err
    assert main(["slides", "--preset", "fast", "--data-dir", str(data_dir), "--runs-dir", str(runs)]) == 2
    assert capsys.readouterr().err.strip() == "error: unknown preset 'fast'; choose one of quick, default, paper, paper-one-seed"
    assert main(["slides", "--preset", "quick", "--out", str(tmp_path), "--data-dir", str(data_dir),
                 "--runs-dir", str(runs)]) == 2
    assert "is a directory" in capsys.readouterr().err
