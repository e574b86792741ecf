#!/usr/bin/env python
"""Build the documentation site into `_docs/` without Quarto.

Library notebooks (`nbs/*.ipynb`) go through `nbdev_proc_nbs` (API docs, links, hidden cells removed); the originals
are executed and their outputs copied into the processed pages by cell id. Analysis notebooks (`nbs/analyses/`,
docs-only) are executed as they are. Every page is rendered with nbconvert into one static HTML file, plotly charts
included (plotly.js inline, so the site works offline: no page loads anything from another host), with a sidebar
listing the analyses and the API pages and a search box over every page (`search.js`, a plain script, so search works
from `file://` too). A notebook that fails to run is named with its failing cell and error, the other pages are
still built, and the build exits 1. Where Quarto is installed, `nbdev_docs` remains the other way to build the site.

    python scripts/build_docs.py                       # the whole site
    python scripts/build_docs.py --only benchmark_composition   # one page (and the index)
"""
from __future__ import annotations
import argparse, configparser, html, json, os, re, shutil, subprocess, sys, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DIRECTIVE = re.compile(r'^\s*#\s?\|\s*(.*?)\s*$')
QUARTO_ATTRS = re.compile(r'(\[[^\]]*\]\([^)]*\))\{[^}]*\}')  # `[source](url){target="_blank"}`: Quarto-only syntax
REQUIRE_JS = re.compile(r'<script src="[^"]*require(\.min)?\.js"></script>\s*')
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
        if d.get('echo') == 'false': cell.metadata['transient'] = {'remove_source': True}
        for out in cell.outputs:
            if 'text/markdown' in out.get('data', {}): out.data['text/markdown'] = QUARTO_ATTRS.sub(r'\1', out.data['text/markdown'])
        kept.append(cell)
    nb.cells = kept
    return nb


class NotebookFailed(Exception):
    "A notebook's cell raised while the site was built; `nb` holds the outputs so far (the error among them)."
    def __init__(self, nb, err:Exception): super().__init__(str(err)); self.nb, self.err = nb, err


def execute(nb, folder:Path, timeout:int):
    "Run every cell of `nb` in a fresh kernel whose working directory is `folder`."
    from nbclient import NotebookClient
    try: NotebookClient(nb, timeout=timeout, kernel_name='python3', resources={'metadata': {'path': str(folder)}}).execute()
    except Exception as e: raise NotebookFailed(nb, e) from e
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


def to_html(nb, title:str)->str:
    "A standalone HTML page of `nb` (prompts and hidden inputs left out)."
    from nbconvert import HTMLExporter
    # Widgets (progress bars, the Explorer) cannot run without a kernel, and their renderer would be fetched from a CDN:
    # keep each widget output's text form only.
    nb.metadata.pop('widgets', None)
    for cell in nb.cells:
        for out in cell.get('outputs', []):
            if 'application/vnd.jupyter.widget-view+json' in out.get('data', {}): del out.data['application/vnd.jupyter.widget-view+json']
    exporter = HTMLExporter(template_name='lab', exclude_input_prompt=True, exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(nb, resources={'metadata': {'name': title}})
    # require.js (from a CDN) would capture plotly.js as an AMD module and leave the charts blank.
    return REQUIRE_JS.sub('', body)


def with_nav(page:str, nav:str)->str:
    "`page` with the site's style, its sidebar and search, and its body moved right of the sidebar."
    page = CDN.sub('', page.replace('</head>', STYLE + '</head>', 1))
    page = re.sub(r'(<body[^>]*>)', lambda m: m.group(1) + nav + '<div class="page">', page, count=1)
    return page.replace('</body>', '<!-- end of page --></div>' + SEARCH_JS + '</body>', 1)


def proc_nbs()->Path:
    "nbdev's processing of the notebooks into `_proc/` (API docs, links), run here rather than as `nbdev_proc_nbs`."
    # `nbdev_proc_nbs` first makes sure Quarto is there; where it is not, it runs `pip install -e .[dev]` with whatever
    # pip is on PATH, which installs this checkout into the system Python. The steps after that check are these.
    import nbdev.doclinks
    from nbdev.quarto import refresh_quarto_yml
    from nbdev.serve import proc_nbs as nbdev_proc_nbs
    cwd = Path.cwd()
    os.chdir(ROOT)  # nbdev finds settings.ini from the working directory
    try:
        refresh_quarto_yml()
        nbdev.doclinks._build_modidx()
        return Path(nbdev_proc_nbs(n_workers=min(2, os.cpu_count() or 1)))
    finally: os.chdir(cwd)


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
    return f'FAILED {src.relative_to(ROOT)}{where}: {what}'


def library_page(proc_nb:Path, nbs:Path, timeout:int):
    "The processed notebook with the outputs of its executed original, matched by cell id."
    import nbformat
    page = nbformat.read(proc_nb, as_version=4)
    original = nbs/proc_nb.name
    if original.exists():
        ran = execute(nbformat.read(original, as_version=4), nbs, timeout)
        outputs = {c.get('id'): c.outputs for c in ran.cells if c.cell_type == 'code'}
        for cell in page.cells:
            if cell.cell_type == 'code' and not cell.outputs and cell.get('id') in outputs: cell.outputs = outputs[cell.id]
    return page


def build(out:Path, only:set[str]|None=None, timeout:int=600)->list[str]:
    "Build the site (or the pages named in `only`, by notebook stem) into `out`; return the pages that failed."
    import nbformat
    cfg = settings()
    nbs = ROOT/cfg.get('nbs_path', 'nbs')
    os.environ['PYTHONPATH'] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get('PYTHONPATH')]))
    os.environ['PLOTLY_RENDERER'] = 'notebook'  # library notebooks' charts as static HTML too
    wanted = lambda p: only is None or p.stem in only
    library = [p for p in sorted(nbs.glob('*.ipynb')) if not p.name.startswith(('_', '.')) and wanted(p)]
    analyses = [p for p in sorted((nbs/'analyses').glob('*.ipynb')) if not p.name.startswith(('_', '.')) and wanted(p)]
    if only is not None and not (library or analyses): raise SystemExit(f'no notebook named {sorted(only)}')
    if only is None and out.exists(): shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    manifest = out/'pages.json'
    known = {p['file']: p for p in json.loads(manifest.read_text())} if manifest.exists() else {}
    built, failed = [], []
    proc = proc_nbs() if library else None
    for src, kind in [*((p, 'module') for p in library), *((p, 'analysis') for p in analyses)]:
        start = time.time()
        try:
            if kind == 'module':
                nb = library_page(proc/src.name, nbs, timeout)
                front = next((c for c in nb.cells if c.cell_type == 'raw' and 'output-file:' in c.source), None)
                file = re.search(r'output-file:\s*(\S+)', front.source).group(1) if front else f'{src.stem}.html'
            else:
                nb = execute(nbformat.read(src, as_version=4), src.parent, timeout)
                file = f'{src.stem}.html'
            title, desc = page_info(nb, src.stem)
            if kind == 'module':  # nbdev moved the title cell into front matter, which nbconvert does not show
                nb.cells.insert(0, nbformat.v4.new_markdown_cell(f'# {title}\n\n> {desc}' if desc else f'# {title}'))
            built.append((file, apply_directives(nb), title))
            known[file] = {'file': file, 'title': title, 'description': desc, 'kind': kind, 'source': str(src.relative_to(ROOT))}
            print(f'{src.relative_to(ROOT)} → {out.name}/{file} ({time.time()-start:.1f} s)')
        except Exception as e:
            nb, err = (e.nb, e.err) if isinstance(e, NotebookFailed) else (None, e)
            failed.append(failure(src, nb, err))
            print(failed[-1], file=sys.stderr)
    pages = sorted(known.values(), key=lambda p: (p['file'] != 'index.html', p['kind'] != 'module', p['source']))
    for file, nb, title in built:
        (out/file).write_text(with_nav(to_html(nb, title), nav_bar(pages, file)))
        (out/f'{Path(file).stem}.txt').write_text(page_text(nb))
    manifest.write_text(json.dumps(pages, indent=1, ensure_ascii=False))
    write_index(out, pages)
    write_search(out, pages)
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
    a = p.parse_args(argv)
    out = a.out or ROOT/settings().get('doc_path', '_docs')
    failed = build(out.resolve(), set(a.only) if a.only else None, a.timeout)
    if failed: print(f'\n{len(failed)} notebook(s) failed to run; their pages were not built:\n' + '\n'.join(failed), file=sys.stderr)
    print(f'site: {out/"index.html"}')
    return 1 if failed else 0


if __name__ == '__main__': sys.exit(main())
