#!/usr/bin/env python
"""Build the documentation site into `_docs/` without Quarto.

Library notebooks (`nbs/*.ipynb`) go through `nbdev_proc_nbs` (API docs, links, hidden cells removed); the originals
are executed and their outputs copied into the processed pages by cell id. Analysis notebooks (`nbs/analyses/`,
docs-only) are executed as they are. Every page is rendered with nbconvert into one static HTML file, plotly charts
included (plotly.js inline, so the site works offline), and `index.html` links them all.
Where Quarto is installed, `nbdev_docs` remains the other way to build the site.

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
STYLE = """<style>
nav.site { font: 14px/1.6 system-ui, sans-serif; padding: .6em 1.2em; background: #f4f6f8; border-bottom: 1px solid #dde; }
nav.site a { margin-right: 1.1em; text-decoration: none; color: #1a5fb4; }
nav.site a.here { font-weight: 600; color: #111; }
main.index { max-width: 60em; margin: 1.5em auto; font: 15px/1.6 system-ui, sans-serif; }
</style>"""


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


def execute(nb, folder:Path, timeout:int):
    "Run every cell of `nb` in a fresh kernel whose working directory is `folder`."
    from nbclient import NotebookClient
    NotebookClient(nb, timeout=timeout, kernel_name='python3', resources={'metadata': {'path': str(folder)}}).execute()
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
    "Links to every page of the site."
    links = [f'<a href="index.html"{" class=here" if here == "index.html" else ""}>Home</a>']
    links += [f'<a href="{p["file"]}"{" class=here" if p["file"] == here else ""}>{html.escape(p["title"])}</a>'
              for p in pages if p['file'] != 'index.html']
    return f'<nav class="site">{"".join(links)}</nav>'


def to_html(nb, title:str)->str:
    "A standalone HTML page of `nb` (prompts and hidden inputs left out)."
    from nbconvert import HTMLExporter
    exporter = HTMLExporter(template_name='lab', exclude_input_prompt=True, exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(nb, resources={'metadata': {'name': title}})
    # require.js (from a CDN) would capture plotly.js as an AMD module and leave the charts blank.
    return REQUIRE_JS.sub('', body)


def with_nav(page:str, nav:str)->str:
    "`page` with the site's style and navigation bar at the top of its body."
    page = page.replace('</head>', STYLE + '</head>', 1)
    return re.sub(r'(<body[^>]*>)', lambda m: m.group(1) + nav, page, count=1)


def proc_nbs()->Path:
    "Run `nbdev_proc_nbs` and return its `_proc` folder."
    exe = shutil.which('nbdev_proc_nbs', path=f'{Path(sys.executable).parent}{os.pathsep}{os.environ.get("PATH", "")}')
    if not exe: raise SystemExit('nbdev_proc_nbs not found: install the dev requirements (nbdev==2.4.14)')
    r = subprocess.run([exe], cwd=ROOT, capture_output=True, text=True)
    if r.returncode: raise SystemExit(f'nbdev_proc_nbs failed:\n{r.stdout}\n{r.stderr}')
    return ROOT/'_proc'


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
            failed.append(str(src.relative_to(ROOT)))
            print(f'FAILED {src.relative_to(ROOT)}: {type(e).__name__}: {str(e)[-2000:]}', file=sys.stderr)
    pages = sorted(known.values(), key=lambda p: (p['file'] != 'index.html', p['kind'] != 'module', p['source']))
    for file, nb, title in built: (out/file).write_text(with_nav(to_html(nb, title), nav_bar(pages, file)))
    manifest.write_text(json.dumps(pages, indent=1, ensure_ascii=False))
    write_index(out, pages)
    return failed


def write_index(out:Path, pages:list[dict]):
    "The home page: the rendered `index` notebook when built, followed by a list of every page."
    def items(kind):
        return ''.join(f'<li><a href="{p["file"]}">{html.escape(p["title"])}</a> — {html.escape(p["description"])}</li>'
                       for p in pages if p['kind'] == kind and p['file'] != 'index.html')
    listing = (f'<main class="index"><h2>Modules</h2><ul>{items("module")}</ul>'
               f'<h2>Analyses</h2><ul>{items("analysis")}</ul></main>')
    index = out/'index.html'
    home = index.read_text() if index.exists() and any(p['file'] == 'index.html' for p in pages) else None
    if home and '<!-- pages -->' in home: home = home.split('<!-- pages -->')[0] + '</body></html>'
    if not home:
        home = with_nav(f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>csqa</title></head><body></body></html>',
                        nav_bar(pages, 'index.html'))
    index.write_text(home.replace('</body>', f'<!-- pages -->{listing}</body>', 1))


def main(argv=None)->int:
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--out', type=Path, default=None, help='output folder (default: doc_path in settings.ini, _docs)')
    p.add_argument('--only', nargs='+', help='build only these notebooks (stems, e.g. benchmark_composition 03_audit)')
    p.add_argument('--timeout', type=int, default=600, help='seconds allowed per cell')
    a = p.parse_args(argv)
    out = a.out or ROOT/settings().get('doc_path', '_docs')
    failed = build(out.resolve(), set(a.only) if a.only else None, a.timeout)
    if failed: print(f'{len(failed)} page(s) failed: {", ".join(failed)}', file=sys.stderr)
    print(f'site: {out/"index.html"}')
    return 1 if failed else 0


if __name__ == '__main__': sys.exit(main())
