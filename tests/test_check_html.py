"""The page checks of tools/check_html.py, on small pages written for the test (headless Chromium)."""
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import check_html  # noqa: E402

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")
CHROMIUM = check_html.find_chromium()
pytestmark = pytest.mark.skipif(CHROMIUM is None,
                                reason="no Chromium (apt-get install -y chromium)")

PAGE = "<!doctype html><html><head><meta charset='utf-8'></head><body>{}</body></html>"
# what MathJax leaves in the page once it has typeset a formula
RENDERED_MATH = ('<p>The loss <span class="math"><mjx-container class="MathJax" jax="CHTML">'
                 '<mjx-math><mjx-mi>x</mjx-mi></mjx-math></mjx-container></span> falls.</p>')
SVG = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 50" width="200" height="50">'
       '<g><text x="5" y="30" style="font-size:16px">a to b</text></g></svg>')


@pytest.fixture(scope="module")
def context(tmp_path_factory):
    with sync_api.sync_playwright() as p:
        ctx = check_html.launch(p, CHROMIUM, tmp_path_factory.mktemp("profile"))
        yield ctx
        ctx.close()


def check(context, tmp_path, body, name="page.html"):
    page = tmp_path / name
    page.write_text(PAGE.format(body), encoding="utf-8")
    result = check_html.check_page(context, page, tmp_path)
    return result, check_html.failures(result)


def test_raw_tex_is_detected(context, tmp_path):
    result, fails = check(context, tmp_path,
                          r"<p>Inline \(x^2\) and display</p><div class='math'>\[ y = x \]</div>"
                          "<p>and $$z$$.</p>")
    assert result["raw_tex"] == 3
    assert fails == ["raw_tex"]


def test_rendered_math_and_code_pass(context, tmp_path):
    # delimiters inside code listings are code, not unrendered maths
    result, fails = check(context, tmp_path, RENDERED_MATH + r"<pre>print('\\(not maths\\)')</pre>")
    assert result["raw_tex"] == 0
    assert fails == []


def test_mermaid_source_is_detected(context, tmp_path):
    result, fails = check(context, tmp_path,
                          '<pre class="mermaid">flowchart LR\n  A --> B</pre>')
    assert result["raw_mermaid"] == 1
    assert "raw_mermaid" in fails


def test_drawn_diagram_passes_and_its_text_size_is_measured(context, tmp_path):
    (tmp_path / "d.svg").write_text(SVG, encoding="utf-8")
    result, fails = check(context, tmp_path,
                          '<object data="d.svg" type="image/svg+xml"><p>flowchart LR</p></object>')
    assert fails == []
    (diagram,) = result["diagrams"]
    assert diagram["ok"] and (diagram["width"], diagram["height"]) == (200, 50)
    assert diagram["font_px"] == pytest.approx(16, abs=0.5)


def test_diagram_that_does_not_load_is_detected(context, tmp_path):
    (tmp_path / "bad.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'><g><br></g></svg>")
    result, fails = check(context, tmp_path,
                          '<object data="bad.svg" type="image/svg+xml">flowchart LR</object>')
    assert result["raw_mermaid"] == 1 and "raw_mermaid" in fails


def test_shrunken_diagram_text_is_detected(context, tmp_path):
    (tmp_path / "d.svg").write_text(SVG.replace('width="200" height="50"', 'width="100" height="25"'))
    result, fails = check(context, tmp_path, '<object data="d.svg" type="image/svg+xml"></object>')
    assert result["diagrams"][0]["font_px"] == pytest.approx(8, abs=0.5)
    assert fails == ["small_diagram_text"]


def test_broken_link_image_and_anchor_are_detected(context, tmp_path):
    (tmp_path / "other.html").write_text(PAGE.format('<h1 id="top">Other</h1>'))
    result, fails = check(context, tmp_path,
                          '<a href="other.html#top">fine</a> <a href="missing.html">gone</a> '
                          '<a href="other.html#nowhere">no anchor</a> <a href="#here" id="here">self</a> '
                          '<a href="https://example.org/">external, not followed</a> '
                          '<img src="nothing.png" alt="broken">')
    assert result["broken_links"] == ["missing.html", "other.html#nowhere"]
    assert len(result["broken_images"]) >= 1
    assert set(fails) == {"broken_links", "broken_images"}


def test_network_requests_are_blocked_and_counted(context, tmp_path):
    result, fails = check(context, tmp_path,
                          '<script src="https://cdn.example.org/mathjax.js"></script><p>text</p>')
    assert result["blocked_requests"] == 1
    assert fails == ["blocked_requests"]


def test_javascript_errors_are_detected(context, tmp_path):
    result, fails = check(context, tmp_path,
                          "<script>const a = 1;</script><script>const a = 2;</script>"
                          "<script>console.error('boom')</script>")
    assert len(result["js_errors"]) == 2
    assert fails == ["js_errors"]


def test_redirect_page_checks_its_target(tmp_path):
    (tmp_path / "index.html").write_text(
        '<meta http-equiv="Refresh" content="0; url=chapters/preface.html" />')
    result = check_html.check_page(None, tmp_path / "index.html", tmp_path)
    assert result["broken_links"] == ["chapters/preface.html"]


def test_dtype_footer_and_tensorflow_warning_are_detected(context, tmp_path):
    result, fails = check(context, tmp_path,
                          '<div class="cell_output"><pre>a    1\nb    2\nName: n, dtype: int64</pre>'
                          '<pre>WARNING:tensorflow:5 out of the last 9 calls triggered tf.function '
                          'retracing.</pre></div>')
    assert result["dtype_footers"] == ["Name: n, dtype: int64"] and len(result["tf_warnings"]) == 1
    assert set(fails) == {"dtype_footers", "tf_warnings"}


def test_dtype_in_code_listing_passes(context, tmp_path):
    result, fails = check(context, tmp_path,
                          '<div class="highlight"><pre>s.astype(float)  # dtype: float64\n'
                          'WARNING:tensorflow</pre></div>')
    assert fails == []


def test_output_wider_than_the_text_column_is_listed(context, tmp_path):
    cells = "".join(f"<td>column {k} of a table too wide to read</td>" for k in range(12))
    result, fails = check(context, tmp_path,
                          '<main style="width:600px">'
                          f'<div class="cell_output"><table><tr>{cells}</tr></table></div>'
                          '<div class="cell_output"><pre style="overflow:auto">'
                          + "x" * 400 + '</pre></div>'
                          '<div class="cell_output"><table><tr><td>narrow</td></tr></table>'
                          '<pre>short line</pre></div></main>')
    assert [w["tag"] for w in result["wide_outputs"]] == ["table", "pre"]
    assert all(w["width"] > w["limit"] == 600 for w in result["wide_outputs"])
    assert fails == []  # listed, not failed


def test_the_books_stylesheet_wraps_printed_text_at_the_column(context, tmp_path):
    css = (ROOT / "_static" / "wrap_output.css").resolve().as_uri()
    printed = ('<div class="cell_output"><div class="output stream"><div class="highlight"><pre>'
               + "a printed line far longer than the column " * 12 + '</pre></div></div></div>')
    result, _ = check(context, tmp_path, f'<link rel="stylesheet" href="{css}">'
                      f'<main style="width:600px">{printed}</main>')
    assert result["wide_outputs"] == [] and result["broken_images"] == []
    bare, _ = check(context, tmp_path, f'<main style="width:600px">{printed}</main>', "bare.html")
    assert [w["tag"] for w in bare["wide_outputs"]] == ["pre"]  # without it, the line runs past
