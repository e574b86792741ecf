"""Bench: the Explorer on a 100k-row run — time from a filter change to updated figure data, and from a drill-down
(a click on a heatmap cell) to the updated item table (median of 20 each).

What each side does, measured in the same run:
- Explorer filter change: `set_filters(...)` until every widget holds its new data — the rate bars and the F heatmap
  (scores with Wilson and 200-replicate bootstrap intervals, from the `ScoreCube` built with the Explorer), the
  bilingual matrix and discordant pairs, the selection's text, code and count, and the first page of the item table.
- naive pandas re-aggregation: mask the full frame, then per group count the verdicts, compute the rates with Wilson
  intervals, and bootstrap F and CGA with a loop over replicates that resamples the group with `Series.sample` (the
  straightforward per-group loop of bench/score.py), for the same two breakdowns the Explorer draws (the bar slice,
  and domain × programming language); timed on a few of the changes (it is slow). It draws no figure and no table.
- vectorised pandas: the same, but each group's replicates drawn at once with numpy (a strong hand-tuned baseline).
- Explorer drill-down: with a search word already typed (untimed), a click on a heatmap cell (plotly's click
  dispatch) until the table widget holds the new page: the cell's items that contain the word, in table order
  (run, id, sample, grader), page 1 rendered as escaped HTML, the page label with the count, the drill-down text.
- pandas drill-down: from the same frame, mask by the same run, grader, domain and programming language, search the
  word (lower case) in question, gold, response and grader output, sort, take the page and render it with
  `DataFrame.to_html` (the same page, checked against the Explorer's); also reported without the rendering, and an
  indexed variant that looks the cell up in `groupby(...).indices` computed once beforehand (untimed).
Target: filter change under 200 ms median and at least 10× the naive baseline; the drill-down at least 10× its
pandas baseline.
Run: python bench/widgets.py [--rows 100000] [--repeats 20]
"""
import argparse, statistics, time
import numpy as np, pandas as pd, polars as pl
from csqa.data import load_questions
from csqa.metrics import rates_from_counts, wilson_interval
from csqa.schema import VERDICTS
from csqa.widgets import Explorer
from csqa.widgets.views import simulate_run
from plotly.callbacks import Points, InputDeviceState

def big_questions(rows:int)->pl.DataFrame:
    "The bundled sample repeated under fresh ids (and pair ids) up to `rows` questions."
    sample = load_questions('sample')
    copies = -(-rows // len(sample))
    return pl.concat([sample.with_columns(pl.col('id') + f'-{k}', pl.col('pair_id') + f'-{k}') for k in range(copies)]).head(rows)

def naive_group(g:pd.DataFrame, n_boot:int, rng)->pd.Series:
    "One group the straightforward way: rates and Wilson intervals, then a loop of `n_boot` pandas resamples."
    counts = g['verdict'].value_counts()
    out = {k: float(v) for k, v in rates_from_counts(*(counts.get(v, 0) for v in VERDICTS)).items()}
    for k, v in (('correct', 'CORRECT'), ('incorrect', 'INCORRECT'), ('not_attempted', 'NOT_ATTEMPTED')):
        out[f'{k}_lo'], out[f'{k}_hi'] = (float(x) for x in wilson_interval(counts.get(v, 0), len(g)))
    boot = {'cga': [], 'f': []}
    for _ in range(n_boot):
        s = g['verdict'].sample(n=len(g), replace=True, random_state=rng).value_counts()
        r = rates_from_counts(*(s.get(v, 0) for v in VERDICTS))
        boot['cga'].append(float(r['cga'])); boot['f'].append(float(r['f']))
    for m in ('cga', 'f'): out[f'{m}_lo'], out[f'{m}_hi'] = np.quantile(boot[m], [0.025, 0.975])
    out['n'] = len(g)
    return pd.Series(out)

def vectorised_group(g:pd.DataFrame, n_boot:int, rng)->pd.Series:
    "One group's rates, Wilson intervals and bootstrap F/CGA intervals, computed from its rows."
    codes = g['verdict'].map({v: i for i, v in enumerate(VERDICTS)}).to_numpy()
    counts = np.bincount(codes, minlength=4)
    r = rates_from_counts(*counts)
    out = {k: float(v) for k, v in r.items()}
    for k, i in (('correct', 0), ('incorrect', 1), ('not_attempted', 2)):
        out[f'{k}_lo'], out[f'{k}_hi'] = (float(x) for x in wilson_interval(counts[i], len(g)))
    draws = codes[rng.integers(0, len(g), (n_boot, len(g)))]
    bc = np.stack([(draws == i).sum(1) for i in range(4)])
    rb = rates_from_counts(*bc)
    for m in ('cga', 'f'): out[f'{m}_lo'], out[f'{m}_hi'] = np.quantile(rb[m], [0.025, 0.975])
    out['n'] = len(g)
    return pd.Series(out)

def pandas_filter_change(df:pd.DataFrame, sel:dict, slice_:str, n_boot:int, rng, group=naive_group):
    "Mask the full frame and re-aggregate both breakdowns group by group."
    mask = np.ones(len(df), bool)
    for c, v in sel.items():
        if v: mask &= df[c].isin(v).to_numpy()
    rows = df[mask]
    bars = rows.groupby(['run', 'grader', slice_]).apply(group, n_boot, rng, include_groups=False)
    cells = rows.groupby(['domain', 'prog_lang']).apply(group, n_boot, rng, include_groups=False)
    return bars, cells

PAGE_COLUMNS = ['run', 'id', 'lang', 'domain', 'prog_lang', 'question', 'answer', 'response', 'verdict', 'raw', 'confidence', 'latency_s']

def pandas_drill(df:pd.DataFrame, keys:dict, text:str, size:int=20, render:bool=True, rows:pd.DataFrame|None=None):
    "One page of the cell's items that contain `text`, sorted as the Explorer's table, rendered to HTML (or the page itself)."
    if rows is None:
        mask = np.ones(len(df), bool)
        for c, v in keys.items(): mask &= (df[c] == v).to_numpy()
        rows = df[mask]
    hit = np.zeros(len(rows), bool)
    for c in ('question', 'answer', 'response', 'raw'): hit |= rows[c].fillna('').str.lower().str.contains(text, regex=False).to_numpy()
    page = rows[hit].sort_values(['run', 'id', 'sample_idx', 'grader']).head(size)
    return page[PAGE_COLUMNS].to_html(na_rep='', float_format='{:.2f}'.format) if render else page

def timed(f)->float:
    start = time.perf_counter(); f(); return time.perf_counter() - start

def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--rows', type=int, default=100_000)
    p.add_argument('--repeats', type=int, default=20)
    p.add_argument('--n-boot', type=int, default=200)
    a = p.parse_args()
    start = time.perf_counter()
    run = simulate_run(big_questions(a.rows), 'big', seed=0)
    ex = Explorer(run, n_boot=a.n_boot)
    print(f'{len(ex.items):,} rows; Explorer built in {time.perf_counter() - start:.2f} s')
    rng = np.random.default_rng(0)
    opts = {c: ex.filters[c].options for c in ('lang', 'domain', 'prog_lang', 'verdict')}
    def pick(c, k): return [str(x) for x in rng.choice(opts[c], size=min(k, len(opts[c])), replace=False)]
    changes = [{'lang': pick('lang', 1) if i % 3 else [], 'domain': pick('domain', 1 + i % 6),
                'prog_lang': pick('prog_lang', 3 + i % 5) if i % 2 else []} for i in range(a.repeats)]
    filt = [timed(lambda s=s: ex.set_filters(**s)) for s in changes]
    check = ex.items.filter(ex.selection().expr())
    assert sum(row[0] for row in ex.bars.data[0].customdata) == len(check), 'bars must count the selected rows'
    ex.set_filters(lang=[], domain=[], prog_lang=[])
    cells = ex.items.group_by('domain', 'prog_lang').len().filter(pl.col('len') > 50).sample(a.repeats, seed=1).rows()
    words = ['python', 'sql', 'the', 'function', 'http']
    hm, click = ex.heatmap.data[0], InputDeviceState(ctrl=False, alt=False, shift=False, meta=False, button=0, buttons=1)
    def drill(d, q):
        hm._dispatch_on_click(Points(point_inds=[[list(hm.y).index(d), list(hm.x).index(q)]], xs=[q], ys=[d], trace_name='F', trace_index=0), click)
    drills, pages = [], []
    for i, (d, q, _) in enumerate(cells):
        ex.search.value = words[i % len(words)]  # typed before the click
        drills.append(timed(lambda d=d, q=q: drill(d, q)))
        pages.append(ex.rows['id'].to_list())
    pdf = ex.items.to_pandas()
    naive = [timed(lambda s=s: pandas_filter_change(pdf, s, 'domain', a.n_boot, np.random.RandomState(0))) for s in changes[:3]]
    vectorised = [timed(lambda s=s: pandas_filter_change(pdf, s, 'domain', a.n_boot, rng, vectorised_group)) for s in changes]
    keys = lambda d, q: {'run': 'big', 'grader': 'rules', 'domain': d, 'prog_lang': q}
    base_drill = [timed(lambda i=i, d=d, q=q: pandas_drill(pdf, keys(d, q), words[i % len(words)])) for i, (d, q, _) in enumerate(cells)]
    bare_drill = [timed(lambda i=i, d=d, q=q: pandas_drill(pdf, keys(d, q), words[i % len(words)], render=False)) for i, (d, q, _) in enumerate(cells)]
    groups = pdf.groupby(['run', 'grader', 'domain', 'prog_lang']).indices  # computed once, untimed
    indexed_drill = [timed(lambda i=i, d=d, q=q: pandas_drill(pdf, {}, words[i % len(words)], rows=pdf.iloc[groups[tuple(keys(d, q).values())]]))
                     for i, (d, q, _) in enumerate(cells)]
    for i, (d, q, _) in enumerate(cells):
        assert pandas_drill(pdf, keys(d, q), words[i % len(words)], render=False)['id'].tolist() == pages[i], 'both sides must show the same page'
    med = lambda xs: statistics.median(xs) * 1000
    print(f'filter change → figure data: median {med(filt):.1f} ms (max {max(filt) * 1000:.1f}) over {len(filt)} changes')
    print(f'naive pandas re-aggregation: median {med(naive):.0f} ms over {len(naive)} of the same changes (Explorer on those: {med(filt[:3]):.0f} ms) → {med(naive) / med(filt[:3]):.1f}×')
    print(f'vectorised pandas re-aggregation: median {med(vectorised):.0f} ms over the same changes → {med(vectorised) / med(filt):.1f}×')
    print(f'drill-down (heatmap click) → item table page: median {med(drills):.2f} ms (max {max(drills) * 1000:.1f}) over {len(drills)} drill-downs')
    print(f'pandas drill-down (mask, search, sort, page, to_html): median {med(base_drill):.2f} ms → {med(base_drill) / med(drills):.1f}×')
    print(f'pandas drill-down without rendering: median {med(bare_drill):.2f} ms → {med(bare_drill) / med(drills):.1f}×')
    print(f'indexed pandas drill-down (groupby indices once, then search, sort, page, to_html): median {med(indexed_drill):.2f} ms → {med(indexed_drill) / med(drills):.1f}×')
    print(f'bench rows={len(ex.items)} n_boot={a.n_boot}: filter {med(filt):.1f} ms ({med(naive) / med(filt[:3]):.1f}× naive, {med(vectorised) / med(filt):.1f}× vectorised), '
          f'drill {med(drills):.2f} ms ({med(base_drill) / med(drills):.1f}× pandas, {med(indexed_drill) / med(drills):.1f}× indexed pandas)')

if __name__ == '__main__': main()
