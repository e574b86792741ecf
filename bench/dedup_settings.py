"""Near-dedup settings measured: shingle size, bands × rows and threshold, with and without the pairwise check and the
answer agreement, on the real CodeSimpleQA file (exact + near dedup; the truth: rows with the same `code_normalized`
question and answer), on planted chains of near-duplicates (`csqa.corpus.scale.planted_chains`) and on planted light
paraphrases of the benchmark items (`tests/test_corpus_quality.py`). Prints the markdown table notebook 41 shows.

    PYTHONPATH=. python bench/dedup_settings.py [--benchmark PATH] [--chains 1500]
"""
import argparse, sys
from pathlib import Path
import polars as pl
sys.path.insert(0, str(Path(__file__).parents[1]/'tests'))
from csqa.data import load_questions
from csqa.corpus.dedup import DedupConfig, dedup
from csqa.corpus.text import code_normalized
from csqa.corpus.scale import planted_chains
from test_corpus_quality import _planted_duplicates

SETTINGS = {
  'before: 3/3-grams 32×4 0.5, first row only, no answer check': dict(n_en=3, n_zh=3, bands=32, rows=4, threshold=0.5, answer=None, max_bucket=2),
  '**3/3-grams 32×4 0.5 + pairs + answers (default)**': dict(n_en=3, n_zh=3, bands=32, rows=4, threshold=0.5),
  '3/3-grams 32×4 0.6 + pairs + answers': dict(n_en=3, n_zh=3, bands=32, rows=4, threshold=0.6),
  '3/4-grams 32×4 0.6 + pairs + answers': dict(n_en=3, n_zh=4, bands=32, rows=4, threshold=0.6),
  '3/3-grams 32×4 0.7 + pairs + answers': dict(n_en=3, n_zh=3, bands=32, rows=4, threshold=0.7),
  '3/5-grams 20×5 0.7 + pairs + answers': dict(n_en=3, n_zh=5, bands=20, rows=5, threshold=0.7),
  'datatrove-like 5/5-grams 14×8 0.72, no answer check': dict(n_en=5, n_zh=5, bands=14, rows=8, threshold=0.72, answer=None, max_bucket=2),
  'datatrove-like 5/5-grams 14×8 0.72 + pairs + answers': dict(n_en=5, n_zh=5, bands=14, rows=8, threshold=0.72),
}

def precision_recall(res, df, label):
    lab = dict(zip(df['id'], df[label]))
    right = sum(lab[r] == lab[m] for r, m in zip(res.removed['id'], res.removed['match_id']))
    return right / max(len(res.removed), 1), right / (len(df) - df[label].n_unique())

def main(benchmark, chains):
    b = load_questions(benchmark, progress=False)
    key = dict(zip(b['id'], zip(code_normalized(b['question']), code_normalized(b['answer']))))
    truth = len(b) - len(set(key.values()))
    pc, pp = planted_chains(chains, 20), _planted_duplicates(b)
    print('| setting | benchmark: removed | different answers merged | P | R | chains P | chains R | paraphrases P | paraphrases R |')
    print('|---|---|---|---|---|---|---|---|---|')
    for name, kw in SETTINGS.items():
        cfg = DedupConfig(**kw)
        res = dedup(b, cfg)
        pairs = list(zip(res.removed['id'], res.removed['match_id']))
        right, wrong = sum(key[r] == key[m] for r, m in pairs), sum(key[r][1] != key[m][1] for r, m in pairs)
        cp, cr = precision_recall(dedup(pc, cfg), pc, 'chain')
        qp, qr = precision_recall(dedup(pp.sample(fraction=1.0, shuffle=True, seed=2), cfg), pp, 'cluster')
        print(f'| {name} | {len(pairs)} | {wrong} | {right / max(len(pairs), 1):.3f} | {right / truth:.3f} | {cp:.4f} | {cr:.4f} | {qp:.3f} | {qr:.3f} |', flush=True)
    print(f'\nbenchmark rows {len(b)}, true repeats {truth}; chain rows {len(pc)}; paraphrase rows {len(pp)}')

if __name__ == '__main__':
    ap = argparse.ArgumentParser()
    ap.add_argument('--benchmark', default='/work/shared/data/codesimpleqa/code_simpleqa_eval_2k.jsonl')
    ap.add_argument('--chains', type=int, default=1500)
    a = ap.parse_args(); main(a.benchmark, a.chains)
