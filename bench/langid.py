"""Language identification speed and accuracy on the CodeSimpleQA benchmark: `csqa.corpus.text.languages` (code
stripped, script rules, py3langid's model walked over a whole batch) against py3langid's own `classify`, one text at a
time, in the same run.

    python bench/langid.py [--benchmark FILE] [--copies 20] [--doc-chars 5000]

1. Accuracy: the share of the benchmark's English questions that come out `en`, and of its Chinese ones `zh`.
2. Speed on questions: the questions repeated `--copies` times, texts/s for `languages` and for py3langid's `classify`
   on the same English texts (the Chinese ones `languages` decides by script: reported separately).
3. Speed on documents: English pages of `--doc-chars` characters (questions run together), where the model reads the
   first 2,000 characters of prose.
"""
from __future__ import annotations
import argparse, sys, time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

def rate(fn, n:int)->float:
    "Texts per second of one call of `fn` over `n` texts (best of two)."
    best = float('inf')
    for _ in range(2):
        t = time.perf_counter(); fn(); best = min(best, time.perf_counter() - t)
    return n / best

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--benchmark', default=str(REPO.parent/'shared'/'data'/'codesimpleqa'/'code_simpleqa_eval_2k.jsonl'))
    p.add_argument('--copies', type=int, default=20)
    p.add_argument('--doc-chars', type=int, default=5000)
    a = p.parse_args(argv)
    import polars as pl
    from csqa.data import load_questions
    from csqa.corpus.text import languages, langid_model
    from py3langid.langid import LanguageIdentifier, MODEL_FILE
    q = load_questions(a.benchmark, progress=False)
    t = time.perf_counter(); langid_model(); print(f'model read in {time.perf_counter() - t:.2f} s')
    q = q.with_columns(languages(q['question']).alias('got'))
    for lang in ('en', 'zh'):
        mine = q.filter(pl.col('lang') == lang)
        print(f'{lang}: {int((mine["got"] == lang).sum())}/{len(mine)} identified as {lang}; others: '
              f'{dict(mine.filter(pl.col("got") != lang)["got"].value_counts().iter_rows())}')
    ref = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    for lang in ('en', 'zh'):
        texts = q.filter(pl.col('lang') == lang)['question'].to_list() * a.copies
        s = pl.Series(texts)
        ours = rate(lambda: languages(s), len(texts))
        theirs = rate(lambda: [ref.classify(x) for x in texts[:5000]], min(len(texts), 5000))
        print(f'{lang} questions ({len(texts)}): languages {ours:,.0f} texts/s; py3langid classify {theirs:,.0f} texts/s; x{ours / theirs:.1f}')
    en = q.filter(pl.col('lang') == 'en')['question'].to_list()
    docs, words = [], ' '.join(en * 10)
    for i in range(0, len(words) - a.doc_chars, a.doc_chars // 3)[:2000]: docs.append(words[i:i + a.doc_chars])
    s = pl.Series(docs)
    ours = rate(lambda: languages(s), len(docs))
    theirs = rate(lambda: [ref.classify(x[:2000]) for x in docs[:500]], min(len(docs), 500))
    print(f'{a.doc_chars}-character pages ({len(docs)}): languages {ours:,.0f} docs/s; py3langid classify (first 2,000 characters) '
          f'{theirs:,.0f} docs/s; x{ours / theirs:.1f}')

if __name__ == '__main__': main()
