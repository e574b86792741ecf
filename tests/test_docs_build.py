"The Quarto-free docs build (scripts/build_docs.py): the benchmark-composition page builds, carries its charts and counts, and draws."
import base64, json, os, re, subprocess, sys
from pathlib import Path
import numpy as np
import pytest

ROOT = Path(__file__).parents[1]
CHROMIUM = Path('/usr/bin/chromium')
_sites = {}


@pytest.fixture
def site(codesimpleqa_path, tmp_path_factory)->Path:
    "The docs folder with the benchmark-composition page built from the real file (built once per session)."
    if 'out' not in _sites:
        out = tmp_path_factory.mktemp('docs')
        env = {**os.environ, 'CSQA_CODESIMPLEQA': str(codesimpleqa_path)}
        r = subprocess.run([sys.executable, str(ROOT/'scripts'/'build_docs.py'), '--only', 'benchmark_composition',
                            '--out', str(out)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stdout + r.stderr
        _sites['out'] = out
    return _sites['out']


def plotly_figures(page:str)->list[dict]:
    "The `data` and `layout` of every `Plotly.newPlot(id, data, layout, …)` call in an HTML page."
    decoder, figs = json.JSONDecoder(), []
    for m in re.finditer(r'Plotly\.newPlot\(\s*"[^"]+",\s*', page):
        data, end = decoder.raw_decode(page, m.end())
        layout, _ = decoder.raw_decode(page, re.compile(r',\s*').match(page, end).end())
        figs.append({'data': data, 'layout': layout})
    return figs


def array(v)->list:
    "A figure array as a list: plotly writes numeric arrays as base64 typed arrays (`{dtype, bdata}`)."
    if isinstance(v, dict) and 'bdata' in v: return np.frombuffer(base64.b64decode(v['bdata']), dtype=v['dtype']).tolist()
    return list(v)


def test_composition_page(site):
    page = (site/'benchmark_composition.html').read_text()
    assert 'Traceback' not in page
    assert re.search(r'plotly\.js v\d', page), 'plotly.js should be inlined (the page must draw offline)'
    assert 'require.min.js' not in page
    assert '(1498, 10)' in page and '782' in page and '716' in page
    figs = plotly_figures(page)
    kinds = [[t['type'] for t in f['data']] for f in figs]
    assert kinds == [['sunburst'], ['bar', 'bar'], ['histogram'] * 4, ['bar', 'bar']]
    sunburst = figs[0]['data'][0]
    assert sum(v for v, p in zip(array(sunburst['values']), sunburst['parents']) if p == '') == 1498
    assert sorted(l for l, p in zip(sunburst['labels'], sunburst['parents']) if p == '') == ['en', 'zh']
    prog = {t['name']: dict(zip(array(t['x']), array(t['y']))) for t in figs[1]['data']}
    assert prog['en']['others'] + prog['zh']['others'] == 911
    assert sum(sum(d.values()) for d in prog.values()) == 1498
    domains = {t['name']: dict(zip(array(t['x']), array(t['y']))) for t in figs[3]['data']}
    assert domains['en']['Web Technologies'] + domains['zh']['Web Technologies'] == 277
    assert domains['en']['Theory of Computation'] == 2 and domains['zh']['Theory of Computation'] == 9


def test_index_links_the_page(site):
    index = (site/'index.html').read_text()
    assert 'href="benchmark_composition.html"' in index and 'Benchmark composition' in index


def test_charts_draw_in_chromium(site, tmp_path):
    "The charts draw in a real browser (skipped where Chromium or Playwright is absent)."
    if not CHROMIUM.exists(): pytest.skip(f'no Chromium at {CHROMIUM}')
    sync_api = pytest.importorskip('playwright.sync_api')
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=['--no-sandbox'])
        try:
            tab = browser.new_page(viewport={'width': 1280, 'height': 900})
            tab.goto((site/'benchmark_composition.html').as_uri())
            tab.wait_for_function("document.querySelectorAll('.plotly-graph-div .main-svg').length >= 4", timeout=30_000)
            drawn = tab.evaluate("[...document.querySelectorAll('.plotly-graph-div')].map(d => d.querySelectorAll('path').length)")
            tab.screenshot(path=str(tmp_path/'benchmark_composition.png'), full_page=True)
        finally: browser.close()
    assert len(drawn) == 4 and min(drawn) > 10, drawn
    assert (tmp_path/'benchmark_composition.png').stat().st_size > 100_000
