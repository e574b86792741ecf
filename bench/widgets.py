"""Bench: the Explorer on a 100k-row run — time from a filter change to updated figure data, and from a drill-down
to the updated item table (median of 20 each).

Baselines, measured in the same run, for the same two breakdowns the Explorer draws (the bar slice, and domain ×
programming language) with the same number of bootstrap replicates:
- naive pandas re-aggregation: mask the full frame, then per group count the verdicts, compute the rates with Wilson
  intervals, and bootstrap F and CGA with a loop over replicates that resamples the group with `Series.sample` (the
  straightforward per-group loop of bench/score.py); timed on a few of the changes (it is slow);
- vectorised pandas: the same, but each group's replicates drawn at once with numpy (a strong hand-tuned baseline).
A drill-down baseline is a pandas mask, a text search with `str.contains`, a sort and a page.
Target: filter change under 200 ms median and at least 10× the naive baseline.
Run: python bench/widgets.py [--rows 100000] [--repeats 20]
"""
import argparse, statistics, time
import numpy as np, pandas as pd, polars as pl
from csqa.data import load_questions
from csqa.metrics import rates_from_counts, wilson_interval
from csqa.schema import VERDICTS
from csqa.widgets import Explorer
from csqa.widgets.views import simulate_run

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

def naive_drill(df:pd.DataFrame, keys:dict, text:str, size:int=20)->pd.DataFrame:
    mask = np.ones(len(df), bool)
    for c, v in keys.items(): mask &= (df[c] == v).to_numpy()
    rows = df[mask]
    hit = np.zeros(len(rows), bool)
    for c in ('question', 'answer', 'response', 'raw'): hit |= rows[c].fillna('').str.lower().str.contains(text, regex=False).to_numpy()
    return rows[hit].sort_values(['run', 'id', 'sample_idx', 'grader']).head(size)

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
    def drill(i, d, pl_):
        ex.search.value = words[i % len(words)]
        ex.drill(run='big', grader='rules', domain=d, prog_lang=pl_)
    drills = [timed(lambda i=i, d=d, q=q: drill(i, d, q)) for i, (d, q, _) in enumerate(cells)]
    pdf = ex.items.to_pandas()
    naive = [timed(lambda s=s: pandas_filter_change(pdf, s, 'domain', a.n_boot, np.random.RandomState(0))) for s in changes[:3]]
    vectorised = [timed(lambda s=s: pandas_filter_change(pdf, s, 'domain', a.n_boot, rng, vectorised_group)) for s in changes]
    base_drill = [timed(lambda i=i, d=d, q=q: naive_drill(pdf, {'domain': d, 'prog_lang': q}, words[i % len(words)])) for i, (d, q, _) in enumerate(cells)]
    med = lambda xs: statistics.median(xs) * 1000
    print(f'filter change → figure data: median {med(filt):.0f} ms (max {max(filt) * 1000:.0f}) over {len(filt)} changes')
    print(f'naive pandas re-aggregation: median {med(naive):.0f} ms over {len(naive)} of the same changes (Explorer on those: {med(filt[:3]):.0f} ms) → {med(naive) / med(filt[:3]):.1f}×')
    print(f'vectorised pandas re-aggregation: median {med(vectorised):.0f} ms over the same changes → {med(vectorised) / med(filt):.1f}×')
    print(f'drill-down → item table: median {med(drills):.0f} ms (max {max(drills) * 1000:.0f}) over {len(drills)} drill-downs')
    print(f'naive pandas drill-down: median {med(base_drill):.0f} ms → {med(base_drill) / med(drills):.1f}×')
    print(f'bench rows={len(ex.items)} n_boot={a.n_boot}: filter {med(filt):.0f} ms, drill {med(drills):.0f} ms')

if __name__ == '__main__': main()
