"""Corpus pipeline speed: MinHash signatures (csqa: vectorised shingles + rensa) against datasketch, and exact dedup +
decontamination of many rows streamed from Parquet, each measured in the same run.

    python bench/corpus.py [--docs 100000] [--rows 10000000] [--keep DIR] [--against BENCHMARK]
    python bench/corpus.py --near 200000 [--datatrove-python /tmp/dt/bin/python]

1. Signatures: `--docs` synthetic English documents of 40–80 words, word 5-grams, 128 permutations. csqa sketches them
   all; datasketch (the baseline: one `MinHash` a document, `update_batch` over its encoded 5-grams) sketches the first
   `--baseline-docs`; both report docs/s and the ratio. Targets: >= 25k docs/s on 2 cores and >= 5x datasketch.
2. Streaming: `--rows` QA rows (about half Chinese, 1% planted exact duplicates, 0.1% planted benchmark copies) written
   as Parquet, then read back in batches of `--batch` rows: exact dedup (code-aware normalised text; the first occurrence
   survives, across batches) and decontamination against the benchmark, in a child process whose peak RSS (VmHWM) is
   reported. Target: peak RSS under 6 GB.
3. `--cluster N`: near-duplicate removal of N rows (chains of near-duplicates, a third Chinese), the local engine
   (`near_dedup`, scipy's components on the driver) against the Ray engine (`near_dedup_on_ray`, Ray local on 2 CPUs:
   every step on the workers), each in its own process: seconds and the driver's peak RSS. Both must give the same
   tables (the bench checks the counts and a digest of the removed rows).
4. `--decontam N`: decontamination of N candidate rows made from the benchmark's own parts (its questions' words
   shuffled with filler, a third Chinese, a third of the answers copied from items, so the inverted lists on names and
   answers are hit hard), the n-gram stage alone (`anchor=False`) against the default (n-gram + answer anchors), in the
   same process on the same index: seconds, rows/s and the ratio.
5. `--near N`: csqa's local near-dedup against datatrove 0.10.1's MinHash pipeline (`bench/datatrove_near.py`, run by
   the Python of its own virtual environment, `--datatrove-python` or $DATATROVE_PYTHON; skipped, with the reason, when
   there is none) on N planted chain rows (a third Chinese), with matched settings: the same tokens, 3-grams, 32 bands
   of 4, seed 1, 2 workers for datatrove (csqa is one process; polars and rensa use both cores). datatrove has no
   threshold: a shared bucket is a duplicate; csqa checks each candidate at Jaccard >= 0.5. Each side reads its input
   and writes the kept rows. Prints seconds, the speed ratio, precision and recall against the planted chains, peak
   RSS, and csqa's peak RSS on 4N rows (each size in its own process) with the growth ratio. Targets: csqa >= 2x
   faster at equal or better precision/recall; peak RSS on 4N under 2x that on N.
"""
from __future__ import annotations
import argparse, json, os, random, resource, subprocess, sys, tempfile, time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
WORDS = ('which what function method returns class module default port value keyword option command flag file the of in '
         'a for used to by is python java list dict set tuple string int float lambda yield async await import from '
         'server client thread process memory cache index query table column row key lock queue stack heap tree graph').split()
ZH = '在数据库中用于提高查询性能的索引结构通常采用哪种函数式编程什么特性确保了返回值仅依赖输入参数的线程进程内存缓存队列'

def peak_rss_mb()->float:
    "This process's peak resident memory (VmHWM)."
    for line in Path('/proc/self/status').read_text().splitlines():
        if line.startswith('VmHWM:'): return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

def documents(n:int, seed:int=0)->list[str]:
    rnd = random.Random(seed)
    return [' '.join(rnd.choices(WORDS, k=rnd.randint(40, 80))) for _ in range(n)]

def bench_signatures(n:int, baseline_n:int)->dict:
    "docs/s of csqa's signatures and of datasketch's, on the same documents."
    import numpy as np, polars as pl
    from csqa.corpus.dedup import DedupConfig, minhash_signatures
    docs = documents(n)
    cfg = DedupConfig(n_en=5, bands=32, rows=4)
    t = time.perf_counter(); sigs = minhash_signatures(pl.Series(docs), cfg); ours = time.perf_counter() - t
    assert sigs.shape == (n, 128)
    from datasketch import MinHash
    t = time.perf_counter()
    for d in docs[:baseline_n]:
        w = d.split()
        m = MinHash(num_perm=128, seed=1)
        m.update_batch([' '.join(w[i:i + 5]).encode() for i in range(len(w) - 4)])
        m.digest()
    base = time.perf_counter() - t
    return {'csqa_docs_per_s': n / ours, 'datasketch_docs_per_s': baseline_n / base, 'docs': n, 'baseline_docs': baseline_n}

def make_rows(path:Path, rows:int, bench_path:str|None, seed:int=0):
    "Write `rows` synthetic QA rows as Parquet (row groups of 1M), with planted duplicates and benchmark copies."
    import numpy as np, polars as pl
    rnd = random.Random(seed)
    base_n = min(rows, 1_000_000)
    qs, ans, langs = [], [], []
    for i in range(base_n):
        if rnd.random() < 0.48:
            qs.append(''.join(rnd.choices(ZH, k=rnd.randint(15, 40))) + '？'); ans.append(''.join(rnd.choices(ZH, k=rnd.randint(2, 6)))); langs.append('zh')
        else:
            qs.append(' '.join(rnd.choices(WORDS, k=rnd.randint(10, 25))).capitalize() + '?'); ans.append(' '.join(rnd.choices(WORDS, k=rnd.randint(1, 3)))); langs.append('en')
    base = pl.DataFrame({'question': qs, 'answer': ans, 'lang': langs})
    bench = pl.read_ndjson(bench_path).select('question', 'answer') if bench_path else None
    rng = np.random.default_rng(seed)
    import pyarrow.parquet as pq
    writer = None
    for copy, start in enumerate(range(0, rows, base_n)):
        n = min(base_n, rows - start)
        part = base.head(n).with_columns(pl.format('{} v{}', pl.col('question'), pl.lit(copy)).alias('question'))
        dup = np.flatnonzero(rng.random(n) < 0.01)[1:]   # exact duplicates of the previous row, in upper case
        q, a = part['question'].to_list(), part['answer'].to_list()
        for i in dup: q[i], a[i] = q[i - 1].upper(), a[i - 1]
        part = part.with_columns(pl.Series('question', q, pl.String), pl.Series('answer', a, pl.String))
        if bench is not None:
            plant = np.flatnonzero(rng.random(n) < 0.001)
            pick = rng.integers(0, len(bench), len(plant))
            q = part['question'].to_list(); a = part['answer'].to_list()
            for i, j in zip(plant, pick): q[i], a[i] = bench['question'][int(j)], bench['answer'][int(j)]
            part = part.with_columns(pl.Series('question', q), pl.Series('answer', a))
        part = part.with_columns(pl.format('r{}', pl.int_range(start, start + n)).alias('id'))
        t = part.to_arrow()
        writer = writer or pq.ParquetWriter(path, t.schema)
        writer.write_table(t, row_group_size=1_000_000)
    writer.close()

def bench_stream(path:str, bench_path:str|None, batch:int)->dict:
    "Exact dedup (first occurrence survives, across batches) + decontamination, streamed in batches."
    import numpy as np, polars as pl, pyarrow.parquet as pq
    from csqa.corpus.text import code_normalized
    from csqa.corpus.decontam import BenchmarkIndex, decontaminate
    from csqa.data import load_questions
    index = BenchmarkIndex.build(load_questions(bench_path, progress=False)) if bench_path else None
    seen = np.zeros(0, np.uint64)
    rows = dups = contaminated = 0
    t = time.perf_counter()
    for rb in pq.ParquetFile(path).iter_batches(batch_size=batch):
        df = pl.from_arrow(rb)
        rows += len(df)
        key = code_normalized(df['question'] + ' ' + df['answer']).hash(seed=0).to_numpy()
        first = pl.Series(key).is_first_distinct().to_numpy() & ~np.isin(key, seen)
        seen = np.union1d(seen, key[first])
        dups += int((~first).sum())
        df = df.filter(pl.Series(first))
        if index is not None: contaminated += len(decontaminate(df, index).removed)
    seconds = time.perf_counter() - t
    return {'rows': rows, 'seconds': seconds, 'rows_per_s': rows / seconds, 'exact_duplicates': dups,
            'contaminated': contaminated, 'peak_rss_mb': peak_rss_mb()}

def bench_cluster(n:int, engine:str)->dict:
    "Seconds and driver peak RSS of near-duplicate removal of n chained rows on one engine."
    from csqa.corpus.dedup import DedupConfig, near_dedup
    from csqa.corpus.scale import planted_chains
    df, cfg = planted_chains(-(-n * 2 // 9), 8).head(n), DedupConfig()  # chains of 1-8 rows, 4.5 on average
    if engine == 'local':
        t = time.perf_counter(); res = near_dedup(df, cfg); seconds = time.perf_counter() - t
    else:
        import ray
        from csqa.corpus.scale import near_dedup_on_ray
        with tempfile.TemporaryDirectory(prefix='csqa-ray-') as tmp:
            ray.init(num_cpus=2, _temp_dir=tmp, include_dashboard=False, log_to_driver=False, configure_logging=False,
             _node_ip_address='127.0.0.1')
            ray.data.DataContext.get_current().enable_progress_bars = False
            try: t = time.perf_counter(); res = near_dedup_on_ray(df, cfg); seconds = time.perf_counter() - t
            finally: ray.shutdown()
    import hashlib
    digest = hashlib.sha256(json.dumps(res.removed.select('id', 'match_id', 'similarity').rows()).encode()).hexdigest()
    return {'rows': n, 'seconds': seconds, 'removed': len(res.removed), 'digest': digest}

def decontam_rows(bench, n:int, seed:int=0):
    "n candidate rows built from the benchmark's parts: shuffled question words with filler, a third Chinese, a third of the answers copied."
    import numpy as np, polars as pl
    rnd = random.Random(seed)
    qs, ans = bench['question'].to_list(), bench['answer'].to_list()
    rows_q, rows_a = [], []
    for _ in range(n):
        words = rnd.choice(qs).split()
        words = [w if rnd.random() < 0.5 else rnd.choice(WORDS) for w in words]
        rnd.shuffle(words)
        if rnd.random() < 0.33: q = ''.join(rnd.choices(ZH, k=rnd.randint(10, 25))) + ''.join(w for w in words[:3] if w.isascii()) + '？'
        else: q = ' '.join(words) + '?'
        rows_q.append(q)
        rows_a.append(rnd.choice(ans) if rnd.random() < 0.33 else ' '.join(rnd.choices(WORDS, k=rnd.randint(1, 3))))
    return pl.DataFrame({'id': [f'r{i}' for i in range(n)], 'question': rows_q, 'answer': rows_a})

def bench_decontam(n:int, bench_path:str)->dict:
    "Seconds of the n-gram stage alone and of n-gram + answer anchors on the same candidates and index."
    from csqa.data import load_questions
    from csqa.corpus.decontam import BenchmarkIndex, DecontamConfig, answer_pairs, decontaminate
    bench = load_questions(bench_path, progress=False)
    df = decontam_rows(bench, n)
    BenchmarkIndex.build(bench)   # warm up
    t = time.perf_counter(); ngram_index = BenchmarkIndex.build(bench, DecontamConfig(anchor=False)); build_ngram = time.perf_counter() - t
    t = time.perf_counter(); full_index = BenchmarkIndex.build(bench); build_full = time.perf_counter() - t
    decontaminate(df.head(1000), full_index)   # warm up
    t = time.perf_counter(); a = decontaminate(df, ngram_index); ngram = time.perf_counter() - t
    t = time.perf_counter(); b = decontaminate(df, full_index); full = time.perf_counter() - t
    pairs = len(answer_pairs(df.head(20_000), full_index))
    return {'rows': n, 'ngram_s': ngram, 'full_s': full, 'build_ngram_s': build_ngram, 'build_full_s': build_full,
            'removed_ngram': len(a.removed), 'removed_full': len(b.removed), 'answer_pairs_per_20k': pairs}
def write_chains(folder:Path, n:int, shards:int=2)->Path:
    "N planted chain rows as Parquet (for csqa) and as `shards` JSONL files of id and text (for datatrove)."
    import polars as pl
    from csqa.corpus.dedup import DedupConfig, dedup_text
    from csqa.corpus.scale import planted_chains
    df = planted_chains(-(-n * 2 // 9), 8).head(n)   # chains of 1-8 rows, 4.5 on average
    df.write_parquet(folder/f'chains-{n}.parquet')
    (folder/f'chains-{n}').mkdir(exist_ok=True)
    docs = df.select('id', text=dedup_text(df, DedupConfig()))
    for i in range(shards): docs.gather_every(shards, i).write_ndjson(folder/f'chains-{n}'/f'part-{i}.jsonl')
    return folder/f'chains-{n}.parquet'

def bench_near(path:str)->dict:
    "csqa's local near-dedup of a Parquet file: read, dedup, write the kept rows."
    import polars as pl
    from csqa.corpus.dedup import DedupConfig, near_dedup
    t = time.perf_counter()
    df = pl.read_parquet(path, columns=['id', 'tier', 'question', 'answer'])   # what the near pass reads
    res = near_dedup(df, DedupConfig())
    res.kept.write_parquet(Path(path).with_suffix('.kept.parquet'))
    seconds = time.perf_counter() - t
    res.removed.select('id', 'match_id').write_parquet(Path(path).with_suffix('.removed.parquet'))  # not as Python objects: they would count
    return {'seconds': seconds}

def precision_recall(pairs:list, path:Path)->tuple:
    "Removals whose survivor is in their chain, over all removals (precision) and over the chains' extra rows (recall)."
    import polars as pl
    df = pl.read_parquet(path, columns=['id', 'chain'])
    chain = dict(zip(df['id'], df['chain']))
    right = sum(m is not None and chain[r] == chain[m] for r, m in pairs)
    return right / max(len(pairs), 1), right / (len(df) - df['chain'].n_unique())

def datatrove_side(python:str|None, folder:Path, n:int)->dict|str:
    "datatrove's run as a dict, or why it was skipped."
    if not python: return 'no --datatrove-python or $DATATROVE_PYTHON (python3 -m venv DIR && DIR/bin/pip install datatrove==0.10.1 regex "xxhash<4" tokenizers orjson)'
    if not Path(python).exists(): return f'{python} does not exist'
    ok = subprocess.run([python, '-c', 'import datatrove, regex, xxhash, orjson, tokenizers; print(datatrove.__version__ if hasattr(datatrove, "__version__") else "")'], capture_output=True, text=True)
    if ok.returncode: return f'datatrove does not import in {python}: {ok.stderr.strip().splitlines()[-1]}'
    r = subprocess.run([python, str(REPO/'bench'/'datatrove_near.py'), str(folder/f'chains-{n}'), str(folder/f'dt-{n}'),
                        '--n-grams', '3', '--bands', '32', '--rows', '4', '--workers', '2'], capture_output=True, text=True)
    if r.returncode: return f'datatrove failed: {r.stderr.strip()[-2000:]}'
    return json.loads(r.stdout.strip().splitlines()[-1])

def compare_near(n:int, python:str|None):
    "csqa's near-dedup on N and 4N rows, and datatrove's on N, each in its own process."
    import polars as pl
    with tempfile.TemporaryDirectory(prefix='csqa-near-bench-') as tmp:
        folder = Path(tmp)
        small, big = write_chains(folder, n), write_chains(folder, 4 * n)
        ours, ours4 = child('near', small), child('near', big)
        p, r = precision_recall(pl.read_parquet(small.with_suffix('.removed.parquet')).rows(), small)
        print(f"near-dedup of {n:,} planted chain rows (a third Chinese), 3-grams, 32×4 bands, seed 1:\n"
              f"  csqa (local, threshold 0.5)   {ours['seconds']:>7.1f}s  P {p:.4f}  R {r:.4f}  peak RSS {ours['peak_rss_mb']:>6,.0f} MB", flush=True)
        dt = datatrove_side(python, folder, n)
        if isinstance(dt, str): print(f'  datatrove: skipped: {dt}')
        else:
            dp, dr = precision_recall(dt['removed'], small)
            print(f"  datatrove 0.10.1, 2 workers  {dt['seconds']:>7.1f}s  P {dp:.4f}  R {dr:.4f}  peak RSS {dt['peak_rss_mb']:>6,.0f} MB driver, {dt['worker_peak_rss_mb']:,.0f} MB largest worker\n"
                  f"  speed ratio (datatrove / csqa) {dt['seconds'] / ours['seconds']:>6.1f}×")
        print(f"  csqa on {4 * n:,} rows           {ours4['seconds']:>7.1f}s  peak RSS {ours4['peak_rss_mb']:>6,.0f} MB: "
              f"{ours4['peak_rss_mb'] / ours['peak_rss_mb']:.2f}× the peak on {n:,} rows (target < 2×)")

def child(*args)->dict:
    r = subprocess.run([sys.executable, __file__, '--measure', *map(str, args)], capture_output=True, text=True,
                       env={**os.environ, 'PYTHONPATH': str(REPO)})
    if r.returncode: raise SystemExit(f'{args[0]} failed:\n{r.stderr[-3000:]}')
    return json.loads(r.stdout.strip().splitlines()[-1])

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--docs', type=int, default=100_000)
    ap.add_argument('--baseline-docs', type=int, default=5_000)
    ap.add_argument('--rows', type=int, default=10_000_000)
    ap.add_argument('--batch', type=int, default=500_000)
    ap.add_argument('--against', default=str(REPO.parent/'shared'/'data'/'codesimpleqa'/'code_simpleqa_eval_2k.jsonl'))
    ap.add_argument('--keep', help='generate the Parquet file into (or reuse it from) this folder')
    ap.add_argument('--skip-stream', action='store_true')
    ap.add_argument('--cluster', type=int, help='instead: near-duplicate removal of this many rows, local engine against the Ray engine')
    ap.add_argument('--decontam', type=int, help='instead: decontamination of this many candidate rows, n-gram stage alone against n-gram + answer anchors')
    ap.add_argument('--near', type=int, help="instead: csqa's near-dedup of this many planted chain rows (and 4x as many) against datatrove's")
    ap.add_argument('--datatrove-python', default=os.environ.get('DATATROVE_PYTHON'), help='the Python of a virtual environment with datatrove')
    ap.add_argument('--measure', nargs='+', help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.measure:
        kind, *rest = a.measure
        if kind == 'signatures': out = bench_signatures(int(rest[0]), int(rest[1]))
        elif kind == 'cluster': out = bench_cluster(int(rest[0]), rest[1])
        elif kind == 'near': out = bench_near(rest[0])
        elif kind == 'decontam': out = bench_decontam(int(rest[0]), rest[1])
        else: out = bench_stream(rest[0], rest[1] if rest[1] != '-' else None, int(rest[2]))
        print(json.dumps({**out, 'peak_rss_mb': peak_rss_mb()})); return
    if a.decontam:
        if not Path(a.against).exists(): raise SystemExit(f'--decontam needs the benchmark: {a.against} is not there')
        r = child('decontam', a.decontam, a.against)
        print(f"decontamination of {r['rows']:,} candidate rows against {Path(a.against).name} (index built in "
              f"{r['build_ngram_s']:.1f}s n-gram only, {r['build_full_s']:.1f}s with the answer anchors):\n"
              f"  n-gram stage alone             {r['ngram_s']:>7.1f}s  {r['rows'] / r['ngram_s']:>9,.0f} rows/s  {r['removed_ngram']:>6,} removed\n"
              f"  n-gram + answer anchors        {r['full_s']:>7.1f}s  {r['rows'] / r['full_s']:>9,.0f} rows/s  {r['removed_full']:>6,} removed\n"
              f"  ratio (with anchors / n-gram)  {r['full_s'] / r['ngram_s']:>7.2f}×   ({r['answer_pairs_per_20k']:,} answer-agreeing pairs per 20k rows; "
              f"peak RSS {r['peak_rss_mb']:,.0f} MB)")
        return
    if a.near: return compare_near(a.near, a.datatrove_python)
    if a.cluster:
        local, on_ray = child('cluster', a.cluster, 'local'), child('cluster', a.cluster, 'ray')
        assert (local['removed'], local['digest']) == (on_ray['removed'], on_ray['digest']), (local, on_ray)
        print(f"near-duplicate removal of {a.cluster:,} chained rows ({local['removed']:,} removed, the same on both):\n"
              f"  local (scipy components on the driver)  {local['seconds']:>7.1f}s  driver peak RSS {local['peak_rss_mb']:>6,.0f} MB\n"
              f"  Ray tasks, local cluster of 2 CPUs       {on_ray['seconds']:>7.1f}s  driver peak RSS {on_ray['peak_rss_mb']:>6,.0f} MB\n"
              f"  ratio (ray / local)                      {on_ray['seconds'] / local['seconds']:>7.1f}×")
        return
    against = a.against if Path(a.against).exists() else None
    s = child('signatures', a.docs, a.baseline_docs)
    print(f"MinHash signatures, 128 permutations, word 5-grams, {os.cpu_count()} cores:\n"
          f"  csqa (vectorised shingles + rensa)   {s['csqa_docs_per_s']:>10,.0f} docs/s  ({s['docs']:,} docs)\n"
          f"  datasketch (baseline)                {s['datasketch_docs_per_s']:>10,.0f} docs/s  ({s['baseline_docs']:,} docs)\n"
          f"  ratio                                {s['csqa_docs_per_s'] / s['datasketch_docs_per_s']:>10.1f}×", flush=True)
    if a.skip_stream: return
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(a.keep or tmp); folder.mkdir(parents=True, exist_ok=True)
        path = folder/f'corpus_{a.rows}.parquet'
        if not path.exists():
            t = time.perf_counter(); make_rows(path, a.rows, against)
            print(f'generated {a.rows:,} rows in {time.perf_counter() - t:.0f}s: {path.stat().st_size / 1e6:.0f} MB Parquet', flush=True)
        r = child('stream', path, against or '-', a.batch)
        print(f"exact dedup + decontamination ({'against ' + Path(against).name if against else 'no benchmark'}), "
              f"streamed in batches of {a.batch:,}:\n  {r['rows']:,} rows in {r['seconds']:.0f}s = {r['rows_per_s']:,.0f} rows/s, "
              f"peak RSS {r['peak_rss_mb']:,.0f} MB; {r['exact_duplicates']:,} exact duplicates, {r['contaminated']:,} contaminated rows removed")

if __name__ == '__main__': main()
