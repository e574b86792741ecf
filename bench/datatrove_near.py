"""datatrove's MinHash near-dedup pipeline (signatures, buckets, clusters, filter) on JSONL shards, for `bench/corpus.py
--near`. Runs in its own virtual environment, never csqa's:

    python3 -m venv /tmp/dt && /tmp/dt/bin/pip install datatrove==0.10.1 regex "xxhash<4" tokenizers orjson
    /tmp/dt/bin/python bench/datatrove_near.py SHARDS_DIR WORK_DIR --n-grams 3 --bands 32 --rows 4 --workers 2

Every shard is one task of the signature and filter stages. Tokens are csqa's (`csqa.corpus.text.TOKEN_PATTERN`: Han
characters one by one, other words whole) after datatrove's own text simplification, so that both sides shingle the
same tokens; datatrove's English tokenizer needs NLTK data that is not installed here, and it keeps a Chinese sentence
as one token. Prints one JSON line: seconds, the peak RSS of this process and of its largest worker, and each removed
document's id with the id its cluster keeps.
"""
import argparse, json, resource, struct, sys, time
from pathlib import Path
import regex
from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.dedup.minhash import (MinhashConfig, MinhashDedupBuckets, MinhashDedupCluster, MinhashDedupFilter,
                                              MinhashDedupSignature)
from datatrove.pipeline.readers import JsonlReader
from datatrove.pipeline.writers import JsonlWriter
from datatrove.utils.hashing import HashConfig
from datatrove.utils.word_tokenizers import WordTokenizer

TOKEN_PATTERN = r'\p{Han}|[^\s\p{Han}\p{P}\p{S}]+'   # csqa.corpus.text.TOKEN_PATTERN

class CsqaTokens(WordTokenizer):
    "csqa's tokens: Han characters one by one, other words whole."
    def word_tokenize(self, text): return regex.findall(TOKEN_PATTERN, text)
    def sent_tokenize(self, text): return [text]
    def span_tokenize(self, text): return [(0, len(text))]

def run(shards:Path, work:Path, n_grams:int, bands:int, rows:int, workers:int)->dict:
    files = sorted(p.name for p in shards.glob('*.jsonl'))
    cfg = MinhashConfig(n_grams=n_grams, num_buckets=bands, hashes_per_bucket=rows, seed=1, hash_config=HashConfig(precision=64))
    read = lambda: JsonlReader(str(shards), text_key='text', id_key='id')
    stages = [
        ([read(), MinhashDedupSignature(output_folder=str(work/'sigs'), config=cfg, language=CsqaTokens())], len(files)),
        ([MinhashDedupBuckets(input_folder=str(work/'sigs'), output_folder=str(work/'buckets'), config=cfg)], bands),
        ([MinhashDedupCluster(input_folder=str(work/'buckets'), output_folder=str(work/'remove'), config=cfg, save_cluster_id=True)], 1),
        ([read(), MinhashDedupFilter(input_folder=str(work/'remove')), JsonlWriter(str(work/'kept'))], len(files)),
    ]
    t = time.perf_counter()
    for i, (pipeline, tasks) in enumerate(stages):
        LocalPipelineExecutor(pipeline=pipeline, tasks=tasks, workers=min(workers, tasks), logging_dir=str(work/f'logs{i}'),
                              skip_completed=False).run()
    seconds = time.perf_counter() - t
    peaks = {'peak_rss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,   # before reading the results back
             'worker_peak_rss_mb': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}
    return {'seconds': seconds, 'removed': removed_pairs(shards, files, work/'remove'), **peaks}

def removed_pairs(shards:Path, files:list, out:Path)->list:
    "(removed id, the id its cluster keeps) for every removed document."
    ids = [[json.loads(line)['id'] for line in open(shards/f, encoding='utf-8')] for f in files]
    u32 = lambda p: struct.unpack(f'<{p.stat().st_size // 4}I', p.read_bytes()) if p.exists() else ()
    gone = {(r, d) for r in range(len(files)) for d in u32(out/f'{r:06d}.remove')}
    members = {}
    for r in range(len(files)):
        c = u32(out/f'{r:06d}.clusters')
        for d, cid in zip(c[::2], c[1::2]): members.setdefault(cid, []).append((r, d))
    pairs = []
    for docs in members.values():
        kept = [m for m in docs if m not in gone]
        pairs += [(ids[r][d], ids[kept[0][0]][kept[0][1]] if kept else None) for r, d in docs if (r, d) in gone]
    return pairs

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('shards', type=Path); ap.add_argument('work', type=Path)
    ap.add_argument('--n-grams', type=int, default=3); ap.add_argument('--bands', type=int, default=32)
    ap.add_argument('--rows', type=int, default=4); ap.add_argument('--workers', type=int, default=2)
    a = ap.parse_args()
    print(json.dumps(run(a.shards, a.work, a.n_grams, a.bands, a.rows, a.workers)))
