"The Explorer in a real JupyterLab driven by Chromium: a notebook builds it over a demo run, a filter is changed through the page, and the plot's data must change (a screenshot is kept)."
import json, os, subprocess, sys
from pathlib import Path
import pytest
from conftest import free_port, run_csqa, stop_process, wait_until_up

ROOT = Path(__file__).parents[1]
CHROMIUM = Path('/usr/bin/chromium')
# the rate bars are the first plotly graph on the page; their first trace is `correct`, its customdata[i][0] is n
BARS = "(() => { const gd = document.querySelector('.js-plotly-plot'); const t = gd && gd.data && gd.data[0]; return t && t.x && t.customdata ? {x: [...t.x], n: t.customdata.map(c => c[0])} : null; })()"

KERNEL_IDLE = "(() => { const w = window.jupyterapp.shell.currentWidget; const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel; return !!k && k.status === 'idle'; })()"


def notebook(run_dir:Path)->dict:
    cells = [f"from csqa.widgets import Explorer\nex = Explorer({str(run_dir)!r}, slice_='lang', n_boot=50)\nex"]
    return {'nbformat': 4, 'nbformat_minor': 5, 'metadata': {'kernelspec': {'name': 'python3', 'display_name': 'Python 3', 'language': 'python'}},
            'cells': [{'cell_type': 'code', 'id': f'c{i}', 'metadata': {}, 'execution_count': None, 'outputs': [], 'source': s} for i, s in enumerate(cells)]}


@pytest.fixture
def lab(tmp_path):
    "JupyterLab on 127.0.0.1 with a token, its config and runtime folders inside the test's folder; stopped by its PID."
    port, token = free_port(), 'csqa-test-token'
    env = {**os.environ, 'PYTHONPATH': str(ROOT), 'HF_HUB_OFFLINE': '1', 'JUPYTER_CONFIG_DIR': str(tmp_path/'cfg'),
           'JUPYTER_RUNTIME_DIR': str(tmp_path/'rt'), 'IPYTHONDIR': str(tmp_path/'ipy')}
    log = open(tmp_path/'lab.log', 'w')
    proc = subprocess.Popen([str(Path(sys.executable).parent/'jupyter-lab'), '--ip=127.0.0.1', f'--port={port}', '--no-browser',
                             f'--IdentityProvider.token={token}', '--allow-root', '--LabApp.news_url=None',
                             '--LabApp.expose_app_in_browser=True', f'--LabApp.workspaces_dir={tmp_path/"ws"}',
                             f'--ServerApp.root_dir={tmp_path}'], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_until_up(f'http://127.0.0.1:{port}/api/status?token={token}', proc, tmp_path/'lab.log', 60, 'JupyterLab')
        yield f'http://127.0.0.1:{port}', token, tmp_path
    finally:
        stop_process(proc, 20)
        log.close()


def test_filter_change_in_jupyterlab_redraws_the_bars(tiny_model_dir, tmp_path_factory, request):
    if not CHROMIUM.exists(): pytest.skip(f'no Chromium at {CHROMIUM} (apt-get install chromium)')
    sync_api = pytest.importorskip('playwright.sync_api', reason='playwright is not installed')
    demo = tmp_path_factory.mktemp('demo')/'demo'
    r = run_csqa('demo', '--out', demo, '--model-dir', tiny_model_dir, '--limit', '24', '--no-cache', '--no-train', env={'HF_HUB_OFFLINE': '1'})
    assert r.returncode == 0, r.stderr[-2000:]
    run_dir = demo/'before'  # the demo's run folder
    url, token, folder = request.getfixturevalue('lab')
    (folder/'explorer.ipynb').write_text(json.dumps(notebook(run_dir)))
    artifacts = Path(os.environ.get('CSQA_TEST_ARTIFACTS', folder))
    artifacts.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=['--no-sandbox'])
        try:
            tab = browser.new_page(viewport={'width': 1400, 'height': 1000})
            tab.route('**/*', lambda route: route.continue_() if route.request.url.startswith(url) else route.abort())
            tab.goto(f'{url}/lab/tree/explorer.ipynb?token={token}')
            tab.wait_for_function("window.jupyterapp && document.querySelector('.jp-Notebook .jp-Cell')", timeout=60_000)
            try: tab.locator('.jp-Dialog .jp-mod-accept').click(timeout=10_000)  # JupyterLab may ask which kernel to start
            except sync_api.TimeoutError: pass
            tab.wait_for_function(KERNEL_IDLE, timeout=90_000)
            tab.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")  # not awaited: the wait below has a timeout
            try: tab.wait_for_function(f'{BARS} !== null && {BARS}.x.length > 0', timeout=90_000)
            except sync_api.TimeoutError:
                tab.screenshot(path=str(artifacts/'explorer-jupyterlab-timeout.png'), full_page=True)
                raise AssertionError(f'no rate bars after 90 s; see {artifacts/"explorer-jupyterlab-timeout.png"} and {folder/"lab.log"}')
            before = tab.evaluate(BARS)
            assert sorted(before['x']) == ['en', 'zh'] and sum(before['n']) == 24, before
            tab.select_option('.csqa-filter-lang select', 'zh')  # the language filter, through the page
            tab.wait_for_function(f'JSON.stringify({BARS}.x) !== {json.dumps(json.dumps(before["x"], separators=(",", ":")))}', timeout=30_000)
            after = tab.evaluate(BARS)
            tab.wait_for_function("document.querySelector('.csqa-filter-code textarea').value.includes('is_in')", timeout=10_000)
            code = tab.eval_on_selector('.csqa-filter-code textarea', 'e => e.value')
            tab.screenshot(path=str(artifacts/'explorer-jupyterlab.png'), full_page=True)
        finally: browser.close()
    assert after['x'] == ['zh'] and after['n'] == [before['n'][before['x'].index('zh')]], (before, after)
    assert code == "items.filter(pl.col('lang').is_in(['zh']))"
    assert (artifacts/'explorer-jupyterlab.png').stat().st_size > 20_000
    print(f'screenshot: {artifacts/"explorer-jupyterlab.png"}')
