"The Quarto-free docs build (scripts/build_docs.py): the home page and every analysis page build, carry their charts and counts, draw in Chromium from the site's one copy of plotly.js with no console error and no request off the machine, show no stderr, and the sidebar and search work; the build skips the cells nbdev_test skips."
import base64, importlib.util, json, os, re, subprocess, sys
from pathlib import Path
import numpy as np
import pytest

ROOT = Path(__file__).parents[1]
CHROMIUM = Path('/usr/bin/chromium')
_sites = {}
INLINE_PLOTLY = re.compile(r'plotly\.js v\d')  # the banner at the top of plotly.js
STDERR_BLOCK = 'data-mime-type="application/vnd.jupyter.stderr"'

def load_build_docs():
    "scripts/build_docs.py as a module."
    spec = importlib.util.spec_from_file_location('build_docs', ROOT/'scripts'/'build_docs.py')
    module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)
    return module


ANALYSES = sorted(p.stem for p in (ROOT/'nbs'/'analyses').glob('*.ipynb') if not p.name.startswith(('_', '.')))


def wait_for_build(status:Path, seconds:float=3600):
    "`make test` builds the site beside pytest and writes the build's exit status to `status`: wait for it, fail on non-zero."
    import time
    deadline = time.time() + seconds
    while not status.exists():
        if time.time() > deadline: pytest.fail(f'the docs build wrote no {status} in {seconds:.0f} s')
        time.sleep(1)
    code = status.read_text().strip()
    if code != '0': pytest.fail(f'the docs build failed (exit {code}): its log says why (make test prints its end)')

@pytest.fixture
def site(codesimpleqa_path, tmp_path_factory)->Path:
    "The docs folder with the home page and every analysis page built from the real file (built once per session)."
    prebuilt = Path(os.environ.get('CSQA_DOCS_SITE') or '/nonexistent')
    if 'out' not in _sites and os.environ.get('CSQA_DOCS_WAIT'): wait_for_build(Path(os.environ['CSQA_DOCS_WAIT']))
    if 'out' not in _sites and (prebuilt/'index.html').exists():
        _sites['out'] = prebuilt  # `make test` has just built the whole site (`make docs`): test that one
    if 'out' not in _sites:
        out = tmp_path_factory.mktemp('docs')
        env = {**os.environ, 'CSQA_CODESIMPLEQA': str(codesimpleqa_path)}
        r = subprocess.run([sys.executable, str(ROOT/'scripts'/'build_docs.py'), '--only', 'index', *ANALYSES,
                            '--out', str(out)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
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
    assert not INLINE_PLOTLY.search(page), 'plotly.js should not be inlined: the site has one copy'
    assert '<script src="plotly.min.js"></script>' in page.split('</head>')[0]
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


def test_sidebar_and_search_index(site):
    pages = json.loads((site/'pages.json').read_text())
    analyses = [p for p in pages if p['kind'] == 'analysis']
    assert sorted(p['file'] for p in analyses) == sorted(f'{a}.html' for a in ANALYSES)
    for page in ['index.html', *(p['file'] for p in analyses)]:
        text = (site/page).read_text()
        nav = re.search(r'<nav class="site">(.*?)</nav>', text, re.S).group(1)
        assert 'id="csqa-search"' in nav and all(f'href="{p["file"]}"' in nav for p in analyses), page
        assert not re.search(r'<(script|link)[^>]*(src|href)="https?://', text), f'{page} loads something from the network'
    search = (site/'search.js').read_text()
    assert search.startswith('window.CSQA_PAGES = ') and 'McNemar' in search


def test_power_page_numbers(site):
    page = (site/'statistical_power.html').read_text()
    assert 'Traceback' not in page and 'minimum detectable difference' in page.lower()
    figs = plotly_figures(page)
    assert [[t['type'] for t in f['data']][0] for f in figs] == ['scatter', 'heatmap']
    assert len(array(figs[0]['data'][0]['x'])) + len(array(figs[0]['data'][1]['x'])) == 42  # 21 domains × 2 languages
    assert sum(array(figs[0]['data'][0]['x'])) + sum(array(figs[0]['data'][1]['x'])) == 1498


def test_error_analysis_page(site):
    page = (site/'error_analysis.html').read_text()
    assert 'Traceback' not in page and 'answers improved and' in page
    kinds = [[t['type'] for t in f['data']] for f in plotly_figures(page)]
    assert ['bar'] * 5 in kinds and ['heatmap', 'scatter'] in kinds and ['heatmap'] in kinds and ['scatter'] in kinds


def test_every_page_draws_in_chromium(site, tmp_path):
    "Home, analysis and charted pages in headless Chromium, from file://: every plotly chart drew an SVG from the site's plotly.min.js, no console error, nothing fetched off the machine."
    if not CHROMIUM.exists(): pytest.skip(f'no Chromium at {CHROMIUM}')
    sync_api = pytest.importorskip('playwright.sync_api')
    artifacts = Path(os.environ.get('CSQA_TEST_ARTIFACTS', tmp_path))
    artifacts.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=['--no-sandbox'])
        try:
            charted = [f.stem for f in site_pages(site) if 'Plotly.newPlot' in f.read_text()]
            for name in dict.fromkeys(['index', *ANALYSES, *charted]):
                tab, errors, remote, loaded = browser.new_page(viewport={'width': 1280, 'height': 900}), [], [], []
                tab.on('console', lambda m: errors.append(m.text) if m.type == 'error' else None)
                tab.on('pageerror', lambda e: errors.append(str(e)))
                tab.on('requestfinished', lambda r: loaded.append(r.url))
                tab.route('**/*', lambda route: route.continue_() if route.request.url.startswith('file:')
                          else (remote.append(route.request.url), route.abort()))
                tab.goto((site/f'{name}.html').as_uri())
                charts = tab.evaluate("document.querySelectorAll('.plotly-graph-div').length")
                if name != 'index': assert charts >= 1, name
                tab.wait_for_function(f"document.querySelectorAll('.plotly-graph-div .main-svg').length >= {charts}", timeout=30_000)
                drawn = tab.evaluate("""[...document.querySelectorAll('.plotly-graph-div')].map(d =>
                    [...d.querySelectorAll('svg.main-svg')].reduce((n, s) => n + s.querySelectorAll('path, rect, text').length, 0))""")
                tab.screenshot(path=str(artifacts/f'docs-{name}.png'))
                assert len(drawn) == charts and all(n > 0 for n in drawn), (name, drawn)
                assert not errors, (name, errors)
                assert not remote, (name, remote)
                if charts: assert (site/'plotly.min.js').as_uri() in loaded, (name, loaded)
                tab.fill('#csqa-search', 'mcnemar power')
                hits = tab.eval_on_selector_all('#csqa-search-results a', 'as => as.map(a => a.getAttribute("href"))')
                assert 'statistical_power.html' in hits, (name, hits)
                tab.close()
        finally: browser.close()


def test_a_failing_notebook_is_named_with_its_cell_and_error(tmp_path):
    "What `make docs` prints for a notebook that fails in a real kernel (here the classic: asyncio.run under a running loop)."
    import nbformat
    build_docs = load_build_docs()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell('# Probe'), nbformat.v4.new_code_cell('import asyncio'),
                                         nbformat.v4.new_code_cell('#| hide\nasyncio.run(asyncio.sleep(0))')])
    src = tmp_path/'probe.ipynb'
    nbformat.write(nb, src)
    with pytest.raises(build_docs.NotebookFailed) as e: build_docs.execute(nbformat.read(src, as_version=4), tmp_path, 60)
    message = build_docs.failure(src, e.value.nb, e.value.err)
    assert message.startswith(f'FAILED {src} cell 2 (`asyncio.run(asyncio.sleep(0))`): RuntimeError: ') and 'running event loop' in message


def site_pages(site:Path)->list[Path]:
    "Every HTML page of the built site."
    return sorted(site.glob('*.html'))


def test_site_is_lean_with_one_copy_of_plotly(site):
    "Under 20 MB; no page inlines plotly.js; every page with a chart loads the site's copy, written from the installed plotly."
    from plotly.offline import get_plotlyjs
    total = sum(f.stat().st_size for f in site.rglob('*') if f.is_file())
    assert total < 20_000_000, f'the site is {total/1e6:.1f} MB'
    assert (site/'plotly.min.js').read_text() == get_plotlyjs()
    charted = []
    for f in site_pages(site):
        page = f.read_text()
        assert not INLINE_PLOTLY.search(page), f'{f.name} inlines plotly.js'
        loads = page.count('<script src="plotly.min.js"></script>')
        if 'Plotly.newPlot' in page:
            assert loads == 1 and page.index('plotly.min.js') < page.index('</head>'), f.name
            charted.append(f.name)
        else: assert loads == 0, f.name
    assert {'benchmark_composition.html', 'statistical_power.html', 'error_analysis.html'} <= set(charted), charted
    # nbconvert's styles: one sheet that every rendered page links to, none inlined
    sheets = {m for f in site_pages(site) for m in re.findall(r'<link rel="stylesheet" href="(lab-\w+\.css)">', f.read_text())}
    assert len(sheets) == 1 and (site/sheets.pop()).stat().st_size > 100_000
    assert all(len(m) < 20_000 for f in site_pages(site) for m in re.findall(r'<style.*?</style>', f.read_text(), re.S))


def test_no_page_shows_stderr_warnings_or_progress_bars(site):
    "Warnings and progress bars stay off the pages; a stderr block appears only where a cell asks for it (`#| stderr: true`)."
    pages = {p['file']: p for p in json.loads((site/'pages.json').read_text())}
    for f in site_pages(site):
        page = f.read_text()
        assert not re.search(r'\b\w*Warning: ', page), (f.name, re.search(r'.{80}\w*Warning: .{80}', page))
        assert not re.search(r'\d+%\|[^|<]*\|\s*\S+/\S+ \[', page), f'{f.name} shows a progress bar'
        source = pages.get(f.name, {}).get('source')
        if not (source and '#| stderr: true' in (ROOT/source).read_text()): assert STDERR_BLOCK not in page, f'{f.name} shows stderr'


def test_stderr_outputs_leave_the_page_unless_asked_for():
    "`apply_directives` drops stderr streams, keeps stdout, and keeps stderr where a cell says `#| stderr: true`."
    import nbformat
    build_docs = load_build_docs()
    v4 = nbformat.v4
    err = lambda text: v4.new_output('stream', name='stderr', text=text)
    out = lambda text: v4.new_output('stream', name='stdout', text=text)
    nb = v4.new_notebook(cells=[v4.new_code_cell('x', outputs=[err('FutureWarning: old'), out('1')]),
                                v4.new_code_cell('#| stderr: true\nmain([])', outputs=[err('csqa: usage')])])
    cells = build_docs.apply_directives(nb).cells
    assert [[o.text for o in c.outputs] for c in cells] == [['1'], ['csqa: usage']]
    assert cells[1].source == 'main([])'


def test_progress_bar_widgets_leave_the_page():
    "A tqdm widget's text form is dropped from the page; other widgets keep theirs."
    import nbformat
    build_docs = load_build_docs()
    v4 = nbformat.v4
    widget = lambda text: v4.new_output('display_data', data={'application/vnd.jupyter.widget-view+json': {'model_id': 'x'},
                                                               'text/plain': text})
    bar = 'answer before:  40%|████      | 4/10 [00:01<00:02,  3.1item/s, hits=0]'
    nb = v4.new_notebook(cells=[v4.new_code_cell('run()', outputs=[widget(bar), widget('Explorer(386 rows)')])])
    html = build_docs.to_html(nb, 'probe')
    assert 'Explorer(386 rows)' in html and '4/10' not in html


def test_plotly_js_is_loaded_once_from_the_site():
    "`share_plotlyjs` cuts every inline copy and loads the site's one in the head of a page that draws."
    build_docs = load_build_docs()
    js = '/** plotly.js v9.9.9 */ window.Plotly = {};'
    page = (f'<html><head><title>t</title></head><body><script>window.PlotlyConfig = {{}};</script><script>{js}</script>'
            f'<div id="a"></div><script>Plotly.newPlot("a", [], {{}})</script><script type="text/javascript">{js}</script></body></html>')
    shared = build_docs.share_plotlyjs(page, js)
    assert js not in shared and 'Plotly.newPlot("a"' in shared and 'window.PlotlyConfig' in shared
    assert shared.count('<script src="plotly.min.js"></script></head>') == 1
    assert build_docs.share_plotlyjs('<html><head></head><body>no chart</body></html>', js).count('plotly.min.js') == 0


def test_template_styles_are_linked_not_inlined():
    "`share_css` moves nbconvert's `text/css` blocks into one sheet, in their place in the head, and keeps the page's own styles."
    build_docs = load_build_docs()
    page = ('<html><head><title>t</title><style type="text/css">a { color: red; }</style>\n<style type="text/css">b { x: 1; }</style>'
            '<style>.mine { y: 2; }</style></head><body><style type="text/css">.in-body {}</style></body></html>')
    shared, name, sheet = build_docs.share_css(page)
    assert re.fullmatch(r'lab-[0-9a-f]{10}\.css', name) and 'a { color: red; }' in sheet and 'b { x: 1; }' in sheet
    assert shared == (f'<html><head><title>t</title><link rel="stylesheet" href="{name}">\n<style>.mine {{ y: 2; }}</style></head>'
                      '<body><style type="text/css">.in-body {}</style></body></html>')
    assert build_docs.share_css(page.replace('red', 'blue'))[1] != name  # named by content
    assert build_docs.share_css('<html><head></head><body></body></html>')[1] == ''


@pytest.mark.parametrize('flags, runs', [((), ['plain']), (('slow',), ['plain', 'slow'])])
def test_cells_nbdev_test_skips_are_not_run(tmp_path, flags, runs):
    "As `nbdev_test`: cells flagged with a `tst_flags` flag (unless asked for) and `#| eval: false` cells are not executed."
    import nbformat
    build_docs = load_build_docs()
    skip_flags = set(build_docs.settings()['tst_flags'].split()) - set(flags)
    assert {'slow', 'gpu'} <= set(build_docs.settings()['tst_flags'].split())
    v4 = nbformat.v4
    cell = lambda head, name: v4.new_code_cell(f'{head}print("{name}")')
    nb = v4.new_notebook(cells=[cell('', 'plain'), cell('#| slow\n', 'slow'), cell('#| gpu\n', 'gpu'),
                                cell('#| eval: false\n', 'eval-false'), cell('#|eval:false\n', 'eval-false-tight'),
                                v4.new_code_cell('#| hide\nimport sys; sys.stdout.write("hidden")')])
    ran = build_docs.execute(nb, tmp_path, 60, skip_flags)
    printed = [o.text.strip() for c in ran.cells for o in c.get('outputs', []) if o.get('name') == 'stdout']
    assert printed == [*runs, 'hidden']
    assert all('tags' not in c.metadata for c in ran.cells)  # the skip mark does not reach the page
    if 'slow' not in flags:  # a flagged cell that would fail does not fail the build either
        nb = v4.new_notebook(cells=[v4.new_code_cell('#| slow\nraise RuntimeError("slow cell ran")')])
        build_docs.execute(nb, tmp_path, 60, skip_flags)
