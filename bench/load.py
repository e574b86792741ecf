"""Loading speed: csqa's vectorised check vs a plain per-line `json.loads` + dict-check loop, on 1,000,000 rows.

    python bench/load.py [--rows 1000000] [--keep DIR]

Writes CodeSimpleQA-style rows as JSONL and as Parquet into a temporary folder, then runs each measurement in its own
subprocess (so one's memory does not count against another; best time of --repeat runs) and reports seconds, rows/s,
peak RSS (VmHWM) and the ratio to the baseline measured in the same run. `validate` checks every row (what
`csqa data validate` does); `load` also builds the canonical table (label normalisation and hashed ids). Targets: validate
≥10× the baseline; load ≥5× (issue 12: the corpus reads tens of millions of rows) with peak < 1 GB.
A last, informational line validates (leniently) a copy of the JSONL file in which every 100th row is broken, so the
cost of the careful path for bad rows shows too.
"""
from __future__ import annotations
import argparse, json, os, random, resource, subprocess, sys, tempfile, time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
EN_WORDS = 'which what function method returns class module default port value keyword option command flag file the of in a for used to by is'.split()
ZH_CHARS = '在数据库中用于提高查询性能的索引结构通常采用哪种函数式编程什么特性确保了返回值仅依赖输入参数'
DOMAINS = [('Databases', 'Query Processing'), ('Web Technologies', 'Frontend Technologies'),
           ('Programming Languages', 'Type Systems'), ('Operating Systems', 'System Calls')]
PROG_LANGS = ['others', 'python', 'java', 'c-sharp', 'sql', 'cpp', 'javascript']

def generate(path_jsonl:Path, path_parquet:Path, rows:int, seed:int=0):
    "Write `rows` CodeSimpleQA-style records (about half Chinese) as JSONL and as Parquet."
    rnd = random.Random(seed)
    with path_jsonl.open('w', encoding='utf-8') as f:
        for i in range(rows):
            zh = rnd.random() < 0.48
            if zh: q = ''.join(rnd.choices(ZH_CHARS, k=rnd.randint(20, 60))) + f'（{i}）？'
            else: q = ' '.join(rnd.choices(EN_WORDS, k=rnd.randint(10, 30))).capitalize() + f' #{i}?'
            a = ''.join(rnd.choices(ZH_CHARS, k=rnd.randint(2, 8))) if zh else ' '.join(rnd.choices(EN_WORDS, k=rnd.randint(1, 4)))
            f.write(json.dumps({'question': q, 'answer': a, 'domain': list(rnd.choice(DOMAINS)),
                                'programming_language': rnd.choice(PROG_LANGS),
                                'human_language': 'chinese' if zh else 'english'}, ensure_ascii=False) + '\n')
    import polars as pl
    pl.read_ndjson(path_jsonl).write_parquet(path_parquet)

BREAKS = [lambda r: {k: v for k, v in r.items() if k != 'answer'}, lambda r: {**r, 'question': 42},
          lambda r: {**r, 'human_language': 'klingon'}, lambda r: {**r, 'domain': r['domain'][0]}]
def make_dirty(clean:Path, dirty:Path, every:int=100)->int:
    "Copy `clean` with every `every`-th row broken (missing field, wrong type, unknown language, bad domain, invalid JSON)."
    bad = 0
    with clean.open(encoding='utf-8') as src, dirty.open('w', encoding='utf-8') as out:
        for i, line in enumerate(src, 1):
            if i % every == 0:
                k = (i // every) % (len(BREAKS) + 1)
                line = line[:-2] + '\n' if k == len(BREAKS) else json.dumps(BREAKS[k](json.loads(line)), ensure_ascii=False) + '\n'
                bad += 1
            out.write(line)
    return bad

KNOWN_LANGS = {'english', 'chinese', 'en', 'zh'}
def baseline(path:Path)->int:
    "The plain way: json.loads each line and check the dict by hand."
    n = 0
    with open(path, encoding='utf-8') as f:
        for line in f:
            if not line.strip(): continue
            rec = json.loads(line)
            assert isinstance(rec, dict)
            for k in ('question', 'answer', 'programming_language', 'human_language'):
                v = rec.get(k)
                assert isinstance(v, str) and v.strip(), k
            d = rec.get('domain')
            assert isinstance(d, list) and len(d) == 2 and all(isinstance(x, str) and x.strip() for x in d)
            assert rec['human_language'].strip().lower() in KNOWN_LANGS
            n += 1
    return n

def peak_rss_mb()->float:
    "This process's peak resident memory. VmHWM restarts at exec; ru_maxrss may carry the forking parent's peak."
    try:
        for line in Path('/proc/self/status').read_text().splitlines():
            if line.startswith('VmHWM:'): return int(line.split()[1]) / 1024
    except OSError: pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

def measure(kind:str, path:str)->dict:
    "Run one measurement in this process; report seconds, rows and peak RSS."
    import polars as pl
    from csqa.data import read_questions, load_questions
    t = time.perf_counter()
    if kind == 'baseline': rows = baseline(Path(path))
    elif kind == 'validate': rows = read_questions(path, table=False, progress=False).rows_loaded
    elif kind == 'load': rows = len(load_questions(path, progress=False))
    elif kind == 'validate-lenient': rows = read_questions(path, table=False, lenient=True, progress=False).rows_loaded
    else: raise ValueError(kind)
    seconds = time.perf_counter() - t
    return {'kind': kind, 'path': path, 'rows': rows, 'seconds': seconds,
            'peak_rss_mb': peak_rss_mb()}

def run_child(kind:str, path:Path, repeat:int)->dict:
    "The best time of `repeat` fresh processes (timings on a shared machine are noisy), and the highest peak memory."
    env = {**os.environ, 'PYTHONPATH': str(REPO)}
    runs = []
    for _ in range(repeat):
        r = subprocess.run([sys.executable, __file__, '--measure', kind, str(path)], env=env, capture_output=True, text=True)
        if r.returncode: raise SystemExit(f'{kind} {path} failed:\n{r.stderr}')
        runs.append(json.loads(r.stdout))
    return {**min(runs, key=lambda r: r['seconds']), 'peak_rss_mb': max(r['peak_rss_mb'] for r in runs)}

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--rows', type=int, default=1_000_000)
    ap.add_argument('--keep', help='generate into (or reuse) this folder instead of a temporary one')
    ap.add_argument('--repeat', type=int, default=2, help='runs per measurement; the best time is reported')
    ap.add_argument('--measure', nargs=2, metavar=('KIND', 'PATH'), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.measure: print(json.dumps(measure(*args.measure))); return
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.keep or tmp); folder.mkdir(parents=True, exist_ok=True)
        jsonl, parquet = folder/f'bench_{args.rows}.jsonl', folder/f'bench_{args.rows}.parquet'
        if not (jsonl.exists() and parquet.exists()):
            t = time.perf_counter(); generate(jsonl, parquet, args.rows)
            print(f'generated {args.rows:,} rows in {time.perf_counter() - t:.1f}s: '
                  f'JSONL {jsonl.stat().st_size / 1e6:.0f} MB, Parquet {parquet.stat().st_size / 1e6:.0f} MB')
        base = run_child('baseline', jsonl, args.repeat)
        results = [base] + [run_child(k, p, args.repeat) for p in (jsonl, parquet) for k in ('validate', 'load')]
        print(f'{"measurement":<32}{"rows":>10}{"seconds":>9}{"rows/s":>12}{"peak RSS":>11}{"vs baseline":>13}')
        for r in results:
            name = 'baseline json.loads+dict (JSONL)' if r['kind'] == 'baseline' else f"csqa {r['kind']} ({Path(r['path']).suffix[1:]})"
            print(f"{name:<32}{r['rows']:>10,}{r['seconds']:>9.2f}{r['rows'] / r['seconds']:>12,.0f}"
                  f"{r['peak_rss_mb']:>8,.0f} MB{base['seconds'] / r['seconds']:>12.1f}×")
        assert all(r['rows'] == args.rows for r in results), 'a measurement lost rows'
        dirty = folder/f'bench_{args.rows}_dirty.jsonl'
        bad = make_dirty(jsonl, dirty)
        d = run_child('validate-lenient', dirty, args.repeat)
        print(f"{'csqa validate --lenient (1% bad)':<32}{d['rows']:>10,}{d['seconds']:>9.2f}{d['rows'] / d['seconds']:>12,.0f}"
              f"{d['peak_rss_mb']:>8,.0f} MB{base['seconds'] / d['seconds']:>12.1f}×   ({bad:,} rows quarantined)")
        assert d['rows'] == args.rows - bad, 'the dirty file lost or kept rows it should not have'

if __name__ == '__main__': main()
