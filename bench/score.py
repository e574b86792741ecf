"""Bench: scoring 1M graded rows by language × domain × programming language with 1,000 bootstrap replicates.

csqa.metrics.score (vectorised multinomial bootstrap over questions) against a straightforward per-group pandas loop
with the same resampling (each replicate resamples the group's questions with replacement; same 1,000 replicates;
Wilson for the simple rates, percentile intervals for CGA and F), both measured in this run. The baseline is too slow
to run in full: it is timed on a random subset of the language × domain × PL cells and on a few replicates of the
overall and per-language groups, and extrapolated linearly (per cell; per replicate). Run: python bench/score.py
"""
import argparse, time
import numpy as np, pandas as pd, polars as pl
from csqa.schema import DOMAINS, PROG_LANGS, VERDICTS
from csqa.metrics import score, rates_from_counts, wilson_interval

def graded_rows(n:int, seed:int=0)->pl.DataFrame:
    "n graded rows over 2 langs × 21 domains × 18 programming languages, uneven cell sizes and accuracies."
    rng = np.random.default_rng(seed)
    langs, domains, progs = ['en', 'zh'], list(DOMAINS), list(PROG_LANGS[:18])
    cells = [(l, d, p) for l in langs for d in domains for p in progs]
    weight = rng.dirichlet(np.full(len(cells), 2.0))  # some cells large, some tiny
    cell = rng.choice(len(cells), n, p=weight)
    acc = rng.beta(5, 4, len(cells))
    probs = np.stack([acc, (1 - acc) * 0.7, (1 - acc) * 0.28, (1 - acc) * 0.02], 1)  # C, I, NA, PE
    u = rng.random(n)
    verdict = (u[:, None] > np.cumsum(probs[cell], 1)).sum(1)
    l, d, p = (np.array([c[i] for c in cells]) for i in range(3))
    return pl.DataFrame({'id': [f'q{i}' for i in range(n)], 'sample_idx': 0, 'grader': 'judge:m',
                         'verdict': np.array(VERDICTS)[np.minimum(verdict, 3)], 'lang': l[cell], 'domain': d[cell],
                         'prog_lang': p[cell]})

def baseline_group(verdicts:pd.Series, n_boot:int, rng, ci=0.95)->dict:
    "One group, the straightforward way: a Python loop over replicates, pandas resampling and value_counts."
    counts = verdicts.value_counts()
    a, b, c, p = (counts.get(v, 0) for v in VERDICTS)
    point = {k: float(v) for k, v in rates_from_counts(a, b, c, p).items()}
    boot = {'cga': [], 'f': []}
    for _ in range(n_boot):
        s = verdicts.sample(n=len(verdicts), replace=True, random_state=rng).value_counts()
        r = rates_from_counts(*(s.get(v, 0) for v in VERDICTS))
        boot['cga'].append(float(r['cga'])); boot['f'].append(float(r['f']))
    out = dict(point, n=len(verdicts))
    for m in ('cga', 'f'): out[f'{m}_lo'], out[f'{m}_hi'] = np.quantile(boot[m], [0.5 - ci / 2, 0.5 + ci / 2])
    for m, k in zip(('correct', 'incorrect', 'not_attempted', 'parse_error'), (a, b, c, p)):
        out[f'{m}_lo'], out[f'{m}_hi'] = (float(x) for x in wilson_interval(k, len(verdicts), ci))
    return out

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--rows', type=int, default=1_000_000)
    ap.add_argument('--n-boot', type=int, default=1000)
    ap.add_argument('--sample-cells', type=int, default=30, help='cells timed for the baseline')
    ap.add_argument('--big-reps', type=int, default=5, help='replicates timed for the overall/language groups')
    args = ap.parse_args()
    df = graded_rows(args.rows)
    keys = ['lang', 'domain', 'prog_lang']
    n_cells = df.select(keys).n_unique()
    print(f'{len(df):,} graded rows, {n_cells} non-empty lang × domain × prog_lang cells, {args.n_boot} replicates')

    t0 = time.perf_counter()
    s = score(df, by=keys, n_boot=args.n_boot, seed=0)
    t_csqa = time.perf_counter() - t0
    print(f'csqa.metrics.score: {t_csqa:.2f} s for {len(s)} groups (overall, 2 languages, {n_cells} cells)')

    pdf = df.to_pandas()
    rng = np.random.default_rng(0)
    groups = list(pdf.groupby(keys)['verdict'])
    picked = rng.choice(len(groups), min(args.sample_cells, len(groups)), replace=False)
    t0 = time.perf_counter()
    for i in picked: baseline_group(groups[i][1], args.n_boot, rng)
    t_cells = (time.perf_counter() - t0) / len(picked) * len(groups)
    t0 = time.perf_counter()
    baseline_group(pdf['verdict'], args.big_reps, rng)
    for _, g in pdf.groupby('lang')['verdict']: baseline_group(g, args.big_reps, rng)
    t_big = (time.perf_counter() - t0) / args.big_reps * args.n_boot
    t_base = t_cells + t_big
    print(f'pandas loop baseline: {t_base:.1f} s (extrapolated: {len(picked)} of {len(groups)} cells timed with all '
          f'{args.n_boot} replicates, ×{len(groups) / len(picked):.1f}; overall + 2 languages timed with '
          f'{args.big_reps} replicates, ×{args.n_boot / args.big_reps:.0f}) = cells {t_cells:.1f} s + big groups {t_big:.1f} s')
    print(f'speed-up: {t_base / t_csqa:.0f}× (target ≥ 50×; csqa target < 10 s)')

if __name__ == '__main__': main()
