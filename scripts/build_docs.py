#!/usr/bin/env python
"""Build the documentation site into `_docs/` without Quarto.

Library notebooks (`nbs/*.ipynb`) go through `nbdev_proc_nbs` (API docs, links, hidden cells removed); the originals
are executed and their outputs copied into the processed pages by cell id. Analysis notebooks (`nbs/analyses/`,
docs-only) are executed as they are. Every page is rendered with nbconvert into one static HTML file, plotly charts
included: each page that draws one loads the site's single copy of plotly.js (`plotly.min.js`, written from the
installed plotly), and every page links one copy of nbconvert's styles (`lab-HASH.css`) instead of inlining them, so
the site stays small and works offline, from `file://` too: no page loads anything from another host. A
sidebar lists the analyses and the API pages, with a search box over every page (`search.js`, a plain script).

The build is also the notebook test, so each notebook runs once: as `nbdev_test` does, cells flagged with one of
`settings.ini`'s `tst_flags` (`#| slow`, `#| gpu`) are not run unless `--flags` names the flag, nor are
`#| eval: false` cells; notebooks run on two kernels at a time. A notebook that fails to run is named with its
failing cell and error, the other pages are still built, and the build exits 1. Pages show no stderr (warnings,
progress bars) unless a cell asks for it with `#| stderr: true`. Where Quarto is installed, `nbdev_docs` remains the
other way to build the site.

    python scripts/build_docs.py                       # the whole site
    python scripts/build_docs.py --only benchmark_composition   # one page (and the index)
    python scripts/build_docs.py --flags slow          # run the slow cells too
"""
from __future__ import annotations
import argparse, configparser, hashlib, html, json, os, re, shutil, subprocess, sys, threading, time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DIRECTIVE = re.compile(r'^\s*#\s?\|\s*(.*?)\s*$')
QUARTO_ATTRS = re.compile(r'(\[[^\]]*\]\([^)]*\))\{[^}]*\}')  # `[source](url){target="_blank"}`: Quarto-only syntax
REQUIRE_JS = re.compile(r'<script src="[^"]*require(\.min)?\.js"></script>\s*')
SKIP_TAG = 'skip-execution'  # nbclient leaves cells with this tag unexecuted
PLOTLY_JS = 'plotly.min.js'  # the site's one copy of plotly.js
TEMPLATE_CSS = re.compile(r'<style type="text/css">.*?</style>\s*', re.S)  # nbconvert's lab styles (about 260 kB a page)
PROGRESS_BAR = re.compile(r'\d+%\|[^|]*\|\s*\S+/\S+ \[')  # a tqdm bar's text: `answer:  40%|████      | 4/10 [00:01<…`
# Progress bars are noise on a static page: tqdm's own, and Hugging Face's (which pass `disable` themselves)
QUIET_ENV = {'TQDM_DISABLE': '1', 'HF_HUB_DISABLE_PROGRESS_BARS': '1', 'HF_DATASETS_DISABLE_PROGRESS_BARS': '1'}
# nbconvert's template loads MathJax from a CDN; the pages must not need the network (their maths stays as TeX source)
CDN = re.compile(r'<script[^>]*\ssrc="https?://[^"]*"[^>]*>\s*</script>\s*|<link[^>]*\shref="https?://[^"]*\.css"[^>]*>\s*')
STYLE = """<style>
body { margin: 0; }
nav.site { position: fixed; top: 0; left: 0; bottom: 0; width: 17em; overflow-y: auto; box-sizing: border-box;
  font: 14px/1.5 system-ui, sans-serif; padding: 1em; background: #f4f6f8; border-right: 1px solid #dde; z-index: 10; }
nav.site a { display: block; text-decoration: none; color: #1a5fb4; padding: .1em 0; }
nav.site a.here { font-weight: 600; color: #111; }
nav.site h4 { margin: 1em 0 .3em; font-size: 12px; text-transform: uppercase; letter-spacing: .05em; color: #667; }
nav.site input { width: 100%; box-sizing: border-box; padding: .35em .5em; border: 1px solid #ccd; border-radius: 4px; }
#csqa-search-results { list-style: none; margin: .4em 0 0; padding: 0; font-size: 13px; }
#csqa-search-results li { margin: .3em 0; }
#csqa-search-results small { display: block; color: #556; }
div.page { margin-left: 17em; padding: 0 1.5em; }
main.index { max-width: 60em; margin: 1.5em auto; padding: 0 1.5em; font: 15px/1.6 system-ui, sans-serif; }
</style>"""
SEARCH_JS = """<script src="search.js"></script><script>
(function () {
  const box = document.getElementById('csqa-search'), out = document.getElementById('csqa-search-results');
  function snippet(text, term) {
    const i = text.toLowerCase().indexOf(term);
    return i < 0 ? '' : (i > 40 ? '…' : '') + text.slice(Math.max(0, i - 40), i + 80) + '…';
  }
  box.addEventListener('input', function () {
    const terms = box.value.toLowerCase().split(/\\s+/).filter(Boolean);
    out.innerHTML = '';
    if (!terms.length) return;
    const hits = (window.CSQA_PAGES || []).map(function (p) {
      const title = p.title.toLowerCase(), text = p.text.toLowerCase();
      if (!terms.every(function (t) { return title.includes(t) || text.includes(t); })) return null;
      return {p: p, score: terms.reduce(function (s, t) { return s + (title.includes(t) ? 10 : 0) + text.split(t).length - 1; }, 0)};
    }).filter(Boolean).sort(function (a, b) { return b.score - a.score; }).slice(0, 12);
    if (!hits.length) { out.innerHTML = '<li>no page mentions that</li>'; return; }
    hits.forEach(function (h) {
      const li = document.createElement('li'), a = document.createElement('a'), s = document.createElement('small');
      a.href = h.p.file; a.textContent = h.p.title; s.textContent = snippet(h.p.text, terms[0]);
      li.appendChild(a); li.appendChild(s); out.appendChild(li);
    });
  });
})();
</script>"""


def settings()->configparser.SectionProxy:
    "The project's nbdev settings."
    cfg = configparser.ConfigParser()
    cfg.read(ROOT/'settings.ini')
    return cfg['DEFAULT']


def directives(cell:dict)->dict:
    "The cell's `#| name` / `#| key: value` directives, as {key: value} (bare names map to '')."
    found = {}
    for line in cell['source'].splitlines():
        m = DIRECTIVE.match(line)
        if not m: break
        key, _, value = m.group(1).partition(':')
        found[key.strip()] = value.strip()
    return found


def apply_directives(nb):
    "Drop hidden cells and inputs or outputs that the nbdev/Quarto directives hide; strip the directive lines."
    kept = []
    for cell in nb.cells:
        if cell.cell_type == 'raw': continue
        if cell.cell_type != 'code': kept.append(cell); continue
        d = directives(cell)
        if {'hide', 'export', 'exporti'} & set(d) or d.get('include') == 'false': continue
        cell.source = '\n'.join(l for l in cell.source.splitlines() if not DIRECTIVE.match(l)).strip()
        if d.get('output') == 'false': cell.outputs = []
        if d.get('stderr') != 'true':  # warnings and progress bars are noise on a page, unless the page is about them
            cell.outputs = [o for o in cell.outputs if not (o.get('output_type') == 'stream' and o.get('name') == 'stderr')]
        if d.get('echo') == 'false': cell.metadata['transient'] = {'remove_source': True}
        for out in cell.outputs:
            if 'text/markdown' in out.get('data', {}): out.data['text/markdown'] = QUARTO_ATTRS.sub(r'\1', out.data['text/markdown'])
        kept.append(cell)
    nb.cells = kept
    return nb


class NotebookFailed(Exception):
    "A notebook's cell raised while the site was built; `nb` holds the outputs so far (the error among them)."
    def __init__(self, nb, err:Exception): super().__init__(str(err)); self.nb, self.err = nb, err


def skipped(cell, skip_flags:set[str])->bool:
    "Whether `nbdev_test` would leave this cell unexecuted: a skip flag among its directives, `eval: false`, or an export call."
    d = directives(cell)
    return bool(skip_flags & set(d)) or d.get('eval', '').lower() == 'false' or 'nbdev_export' + '(' in cell.source


def execute(nb, folder:Path, timeout:int, skip_flags:set[str]=frozenset()):
    "Run the cells of `nb` that `nbdev_test` runs (see `skipped`) in a fresh kernel whose working directory is `folder`."
    from nbclient import NotebookClient
    marked = [c for c in nb.cells if c.cell_type == 'code' and skipped(c, skip_flags)]
    for cell in marked: cell.metadata.setdefault('tags', []).append(SKIP_TAG)
    try: NotebookClient(nb, timeout=timeout, kernel_name='python3', skip_cells_with_tag=SKIP_TAG,
                        resources={'metadata': {'path': str(folder)}}).execute()
    except Exception as e: raise NotebookFailed(nb, e) from e
    finally:
        for cell in marked:
            cell.metadata['tags'].remove(SKIP_TAG)
            if not cell.metadata['tags']: del cell.metadata['tags']
    return nb


def page_info(nb, fallback:str)->tuple[str, str]:
    "Title and one-line description: from Quarto front matter, else the `# Title` / `> summary` cell."
    for cell in nb.cells:
        if cell.cell_type == 'raw' and cell.source.lstrip().startswith('---'):
            import yaml
            meta = yaml.safe_load(cell.source.strip().strip('-')) or {}
            return str(meta.get('title', fallback)), str(meta.get('description', ''))
        if cell.cell_type == 'markdown':
            title = re.search(r'^#\s+(.+)$', cell.source, re.M)
            desc = re.search(r'^>\s*(.+)$', cell.source, re.M)
            return (title.group(1).strip() if title else fallback), (desc.group(1).strip() if desc else '')
    return fallback, ''


def nav_bar(pages:list[dict], here:str)->str:
    "The sidebar: a search box, the home page, then the analyses and the API pages."
    link = lambda p: f'<a href="{p["file"]}"{" class=here" if p["file"] == here else ""}>{html.escape(p["title"])}</a>'
    section = lambda kind, name: f'<h4>{name}</h4>' + ''.join(link(p) for p in pages if p['kind'] == kind and p['file'] != 'index.html')
    home = link({'file': 'index.html', 'title': 'Home'})
    return (f'<nav class="site"><input id="csqa-search" type="search" placeholder="Search the docs" aria-label="search">'
            f'<ul id="csqa-search-results"></ul>{home}{section("analysis", "Analyses")}{section("module", "API")}</nav>')


_exporters = threading.local()

def html_exporter():
    "This thread's nbconvert exporter: made once, as loading and compiling its templates costs ~0.2 CPU-s a page."
    if not hasattr(_exporters, 'html'):
        from nbconvert import HTMLExporter
        _exporters.html = HTMLExporter(template_name='lab', exclude_input_prompt=True, exclude_output_prompt=True)
    return _exporters.html


def to_html(nb, title:str)->str:
    "A standalone HTML page of `nb` (prompts and hidden inputs left out)."
    # Widgets (progress bars, the Explorer) cannot run without a kernel, and their renderer would be fetched from a CDN:
    # keep each widget output's text form only, and none of a progress bar (the text of a bar stopped at 0%).
    nb.metadata.pop('widgets', None)
    for cell in nb.cells:
        if cell.cell_type != 'code': continue
        kept = []
        for out in cell.outputs:
            if 'application/vnd.jupyter.widget-view+json' in out.get('data', {}):
                del out.data['application/vnd.jupyter.widget-view+json']
                if PROGRESS_BAR.search(str(out.data.get('text/plain', ''))): continue
            kept.append(out)
        cell.outputs = kept
    body, _ = html_exporter().from_notebook_node(nb, resources={'metadata': {'name': title}})
    # require.js (from a CDN) would capture plotly.js as an AMD module and leave the charts blank.
    return REQUIRE_JS.sub('', body)


def share_plotlyjs(page:str, plotlyjs:str)->str:
    "`page` without its inline copies of plotly.js, loading the site's one copy in its head where it draws a chart."
    while (at := page.find(plotlyjs)) >= 0:  # plotly's notebook renderer inlines it as `<script>…</script>`
        start, end = page.rfind('<script', 0, at), page.find('</script>', at + len(plotlyjs))
        if start < 0 or end < 0: raise ValueError('plotly.js found outside a <script> element')
        page = page[:start] + page[end + len('</script>'):]
    if 'Plotly.newPlot' in page: page = page.replace('</head>', f'<script src="{PLOTLY_JS}"></script></head>', 1)
    return page


def share_css(page:str)->tuple[str, str, str]: # (the page, the file name of its style sheet, the sheet)
    "`page` linking to one style sheet, named by its content, instead of nbconvert's inline template styles."
    head, rest = page.split('</head>', 1)
    first = TEMPLATE_CSS.search(head)
    if not first: return page, '', ''
    sheet = '\n'.join(re.sub(r'^<style[^>]*>|</style>\s*$', '', b) for b in TEMPLATE_CSS.findall(head))
    name = f'lab-{hashlib.sha1(sheet.encode()).hexdigest()[:10]}.css'  # one file for every page of one nbconvert
    head = head[:first.start()] + f'<link rel="stylesheet" href="{name}">\n' + TEMPLATE_CSS.sub('', head[first.start():])
    return f'{head}</head>{rest}', name, sheet


def with_nav(page:str, nav:str)->str:
    "`page` with the site's style, its sidebar and search, and its body moved right of the sidebar."
    page = CDN.sub('', page.replace('</head>', STYLE + '</head>', 1))
    page = re.sub(r'(<body[^>]*>)', lambda m: m.group(1) + nav + '<div class="page">', page, count=1)
    return page.replace('</body>', '<!-- end of page --></div>' + SEARCH_JS + '</body>', 1)


def proc_nbs(notebooks:list[Path])->tuple[Path, dict[Path, str]]: # (the `_proc` folder, resolved notebook path → failure line)
    "nbdev's processing of the notebooks into `_proc/` (API docs, links), each notebook on its own; and the failures by path."
    # `nbdev_proc_nbs` first makes sure Quarto is there; where it is not, it runs `pip install -e .[dev]` with whatever
    # pip is on PATH, which installs this checkout into the system Python. And it stops at the first notebook that
    # fails. So its steps are run here, each notebook on its own, and a failing one is named with its cell and error.
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    import nbdev.doclinks, nbdev.serve_drv
    from nbdev.config import get_config
    from nbdev.quarto import refresh_quarto_yml
    from nbdev.serve import _proc_file, nbglob
    cwd = Path.cwd()
    os.chdir(ROOT)  # nbdev finds settings.ini from the working directory
    try:
        refresh_quarto_yml()
        nbdev.doclinks._build_modidx()
        cfg = get_config()
        cache, path = cfg.config_path/'_proc', cfg.nbs_path
        wanted = {p.resolve() for p in notebooks}  # the other notebooks keep their processed copies (a partial build)
        files = [f for f in nbglob(path, func=Path, file_glob='', file_re='') + [path/'_quarto.yml']
                 if f.suffix != '.ipynb' or f.resolve() in wanted]
        if cache.exists() and cache.stat().st_mtime < cfg.config_file.stat().st_mtime: shutil.rmtree(cache)
        cache.mkdir(parents=True, exist_ok=True)
        # each processed copy against its own notebook's time (not the folder's: a partial build must not make others look fresh)
        jobs = [j for j in (_proc_file(f, cache, path) for f in files if f.exists()) if j]
        failed = {}
        with ProcessPoolExecutor(min(2, os.cpu_count() or 1), mp_context=multiprocessing.get_context('spawn')) as pool:
            for job, future in [(j, pool.submit(nbdev.serve_drv.main, j)) for j in jobs]:
                try: future.result()
                except Exception as e:
                    failed[job[0].resolve()] = proc_failure(job[0], e)
                    job[1].unlink(missing_ok=True)  # never render a stale copy of a notebook that no longer processes
        cache.touch()
        return cache, failed
    finally: os.chdir(cwd)


def proc_failure(src:Path, err:Exception)->str:
    "The notebook nbdev's processing failed on, the cell and the error (nbdev runs its import cells and show_doc calls)."
    m = re.match(r'Error in notebook: .*? in cell (\d+) :\n(.*)', str(err), re.S)
    worker = str(err.__cause__ or '')  # the worker's traceback, as concurrent.futures hands it back
    error = next((l.strip() for l in worker.splitlines() if re.match(r'^[A-Za-z_.]*(Error|Exception)\b.*?: ', l)
                  and not l.startswith('Exception: Error in notebook')), f'{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ""}')
    where = f' cell {m.group(1)} (`{m.group(2).strip().splitlines()[0][:80]}`)' if m else ''
    return f'FAILED {src.relative_to(ROOT) if src.is_relative_to(ROOT) else src} (nbdev processing){where}: {error}'


def failure(src:Path, nb, err:Exception)->str:
    "One paragraph saying which notebook failed, in which cell, and with what error."
    from nbclient.exceptions import CellExecutionError, CellTimeoutError
    where = ''
    if isinstance(err, (CellExecutionError, CellTimeoutError)) and nb is not None:
        for i, cell in enumerate(nb.cells):
            if cell.cell_type == 'code' and any(o.get('output_type') == 'error' for o in cell.get('outputs', [])):
                first = next((l for l in cell.source.splitlines() if l.strip() and not DIRECTIVE.match(l)), '')
                where = f' cell {i} (`{first.strip()[:80]}`)'
                break
    what = f'{err.ename}: {err.evalue}' if getattr(err, 'ename', None) else f'{type(err).__name__}: {str(err).strip().splitlines()[-1] if str(err).strip() else ""}'
    return f'FAILED {src.relative_to(ROOT) if src.is_relative_to(ROOT) else src}{where}: {what}'


def library_page(proc_nb:Path, nbs:Path, timeout:int, skip_flags:set[str]=frozenset()):
    "The processed notebook with the outputs of its executed original, matched by cell id."
    import nbformat
    page = nbformat.read(proc_nb, as_version=4)
    original = nbs/proc_nb.name
    if original.exists():
        ran = execute(nbformat.read(original, as_version=4), nbs, timeout, skip_flags)
        outputs = {c.get('id'): c.outputs for c in ran.cells if c.cell_type == 'code'}
        for cell in page.cells:
            if cell.cell_type == 'code' and not cell.outputs and cell.get('id') in outputs: cell.outputs = outputs[cell.id]
    return page


def render_page(src:Path, kind:str, proc:Path|None, nbs:Path, timeout:int, skip_flags:set[str], plotlyjs:str)->dict:
    "Execute one notebook and render its page (without the sidebar): its file name, title, description, HTML and text."
    import nbformat
    start = time.time()
    if kind == 'module':
        nb = library_page(proc/src.name, nbs, timeout, skip_flags)
        front = next((c for c in nb.cells if c.cell_type == 'raw' and 'output-file:' in c.source), None)
        file = re.search(r'output-file:\s*(\S+)', front.source).group(1) if front else f'{src.stem}.html'
    else:
        nb = execute(nbformat.read(src, as_version=4), src.parent, timeout, skip_flags)
        file = f'{src.stem}.html'
    title, desc = page_info(nb, src.stem)
    if kind == 'module':  # nbdev moved the title cell into front matter, which nbconvert does not show
        nb.cells.insert(0, nbformat.v4.new_markdown_cell(f'# {title}\n\n> {desc}' if desc else f'# {title}'))
    nb = apply_directives(nb)
    page, css_file, css = share_css(share_plotlyjs(to_html(nb, title), plotlyjs))
    return {'file': file, 'title': title, 'description': desc, 'kind': kind, 'source': str(src.relative_to(ROOT)),
            'html': page, 'css_file': css_file, 'css': css, 'text': page_text(nb), 'seconds': round(time.time() - start, 1)}


def build(out:Path, only:set[str]|None=None, timeout:int=600,
          flags:set[str]=frozenset(), # `tst_flags` whose cells run too (e.g. {'slow'})
          workers:int=2,              # notebooks executed at a time, each in its own kernel
         )->list[str]:                # the failures, one line each
    "Build the site (or the pages named in `only`, by notebook stem) into `out`; return the pages that failed."
    from plotly.offline import get_plotlyjs
    start, cfg = time.time(), settings()
    nbs = ROOT/cfg.get('nbs_path', 'nbs')
    skip_flags = set(cfg.get('tst_flags', '').split()) - set(flags)
    os.environ['PYTHONPATH'] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get('PYTHONPATH')]))
    os.environ['PLOTLY_RENDERER'] = 'notebook'  # library notebooks' charts as static HTML too
    os.environ.update(QUIET_ENV)
    # csqa's own folder for the pages that train the demo: the first trains it, the others wait and reuse it (train_demo
    # reuses a finished training of the same model and questions), once a build; the build's, not the user's ~/.cache/csqa
    os.environ.setdefault('CSQA_HOME', str(ROOT/'build'/'docs-home'))
    # the kernels are the build's own, each gone after its notebook: csqa's heavy imports may end with gc.freeze() there
    # (see csqa.extras; a training page 13.8 → 12.4 CPU-s)
    os.environ.setdefault('CSQA_FREEZE_IMPORTS', '1')
    # one OpenMP thread a kernel when several kernels share the cores: torch's OpenMP threads spin while they wait, on the
    # cores the other kernel needs (measured, two training pages side by side: 85 s and 136 CPU-s; with one thread 56 s, 81 CPU-s)
    # and one polars thread, for the same reason: its idle threads spin too (measured, a corpus and data slice of the tests run
    # alone: 293 CPU-s with two polars threads, 257 with one, in the same time)
    if workers > 1:
        os.environ.setdefault('OMP_NUM_THREADS', '1'); os.environ.setdefault('POLARS_MAX_THREADS', '1')
    wanted = lambda p: only is None or p.stem in only
    library = [p for p in sorted(nbs.glob('*.ipynb')) if not p.name.startswith(('_', '.')) and wanted(p)]
    analyses = [p for p in sorted((nbs/'analyses').glob('*.ipynb')) if not p.name.startswith(('_', '.')) and wanted(p)]
    if only is not None and not (library or analyses): raise SystemExit(f'no notebook named {sorted(only)}')
    manifest = out/'pages.json'
    known = {p['file']: p for p in json.loads(manifest.read_text())} if manifest.exists() else {}
    # the slowest notebooks of the last build first, so that no worker is left with a long one at the end
    last = {p['source']: p.get('seconds', 0) for p in known.values()}
    if only is None:  # the whole site: nothing of the last build stays
        known = {}
        if out.exists(): shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    built, failed = [], []
    proc, proc_failed = proc_nbs(library) if library else (None, {})
    failed += [proc_failed[p.resolve()] for p in library if p.resolve() in proc_failed]
    for failure_line in failed: print(failure_line, file=sys.stderr)
    library = [p for p in library if p.resolve() not in proc_failed]
    jobs = sorted([*((p, 'module') for p in library), *((p, 'analysis') for p in analyses)],
                  key=lambda j: -last.get(str(j[0].relative_to(ROOT)), 60 if j[1] == 'analysis' else 0))
    plotlyjs = get_plotlyjs()
    with ThreadPoolExecutor(max(1, workers)) as pool:
        futures = {pool.submit(render_page, src, kind, proc, nbs, timeout, skip_flags, plotlyjs): src for src, kind in jobs}
        for future in as_completed(futures):
            src = futures[future]
            try:
                page = future.result()
                built.append(page)
                known[page['file']] = {k: page[k] for k in ('file', 'title', 'description', 'kind', 'source', 'seconds')}
                print(f'{page["source"]} → {out.name}/{page["file"]} ({page["seconds"]:.1f} s)', flush=True)
            except Exception as e:
                nb, err = (e.nb, e.err) if isinstance(e, NotebookFailed) else (None, e)
                failed.append(failure(src, nb, err))
                print(failed[-1], file=sys.stderr, flush=True)
    pages = sorted(known.values(), key=lambda p: (p['file'] != 'index.html', p['kind'] != 'module', p['source']))
    for page in built:
        (out/page['file']).write_text(with_nav(page['html'], nav_bar(pages, page['file'])))
        (out/f'{Path(page["file"]).stem}.txt').write_text(page['text'])
        if page['css_file']: (out/page['css_file']).write_text(page['css'])
    (out/PLOTLY_JS).write_text(plotlyjs)
    manifest.write_text(json.dumps(pages, indent=1, ensure_ascii=False))
    write_index(out, pages)
    write_search(out, pages)
    print(f'{len(built)} page(s) built, {len(failed)} failed, in {time.time() - start:.0f} s ({workers} notebooks at a time)')
    return failed


def page_text(nb)->str:
    "The words of a page that search looks through: its markdown and its code, without outputs."
    return '\n'.join(c.source for c in nb.cells if c.cell_type in ('markdown', 'code'))


def write_search(out:Path, pages:list[dict]):
    "`search.js`: every page's title and text as a script the sidebar's search box reads (works from file:// too)."
    entries = []
    for p in pages:
        text = out/f'{Path(p["file"]).stem}.txt'
        entries.append({'file': p['file'], 'title': p['title'], 'kind': p['kind'],
                        'text': ' '.join(f'{p["description"]} {text.read_text() if text.exists() else ""}'.split())[:60_000]})
    (out/'search.js').write_text('window.CSQA_PAGES = ' + json.dumps(entries, ensure_ascii=False).replace('</', '<\\/') + ';\n')


def write_index(out:Path, pages:list[dict]):
    "The home page: the rendered `index` notebook when built, followed by a list of every page."
    def items(kind):
        return ''.join(f'<li><a href="{p["file"]}">{html.escape(p["title"])}</a> — {html.escape(p["description"])}</li>'
                       for p in pages if p['kind'] == kind and p['file'] != 'index.html')
    listing = (f'<main class="index"><h2>Modules</h2><ul>{items("module")}</ul>'
               f'<h2>Analyses</h2><ul>{items("analysis")}</ul></main>')
    index = out/'index.html'
    home = index.read_text() if index.exists() and any(p['file'] == 'index.html' for p in pages) else None
    if home: home = re.sub(r'<!-- pages -->.*?<!-- /pages -->', '', home, flags=re.S)
    if not home:
        home = with_nav(f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>csqa</title></head><body></body></html>',
                        nav_bar(pages, 'index.html'))
    index.write_text(home.replace('<!-- end of page -->', f'<!-- pages -->{listing}<!-- /pages --><!-- end of page -->', 1))


def main(argv=None)->int:
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--out', type=Path, default=None, help='output folder (default: doc_path in settings.ini, _docs)')
    p.add_argument('--only', nargs='+', help='build only these notebooks (stems, e.g. benchmark_composition 03_audit)')
    p.add_argument('--timeout', type=int, default=600, help='seconds allowed per cell')
    p.add_argument('--flags', nargs='*', default=[], help="run the cells flagged with these tst_flags too (e.g. slow)")
    p.add_argument('--workers', type=int, default=2, help='notebooks executed at a time (default 2)')
    a = p.parse_args(argv)
    out = a.out or ROOT/settings().get('doc_path', '_docs')
    failed = build(out.resolve(), set(a.only) if a.only else None, a.timeout, set(' '.join(a.flags).split()), a.workers)
    if failed: print(f'\n{len(failed)} notebook(s) failed to run; their pages were not built:\n' + '\n'.join(failed), file=sys.stderr)
    print(f'site: {out/"index.html"}')
    return 1 if failed else 0


if __name__ == '__main__': sys.exit(main())
