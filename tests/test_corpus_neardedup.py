"""Near-dedup's stable hashing and bounded memory: shingle hashes and MinHash signatures pinned to known values (XXH64
checked against the `xxhash` package), the spilled pass (sketches on disk in blocks, candidates band by band) equal to
the whole-input computation, no more than two signature blocks in memory, and no cluster joined through a row with no
answer."""
import weakref
import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings, strategies as st, HealthCheck
import importlib
D = importlib.import_module("csqa.corpus.dedup")
from csqa.corpus.dedup import (DedupConfig, answer_codes, band_keys, band_pairs, bucket_pairs, clusters, dedup_text,
                               linked_pairs, minhash_signatures, near_dedup, shingle_texts, similarity,
                               stable_shingle_hashes, survivors, unique_pairs, xxh64)
from csqa.corpus.scale import planted_chains
from csqa.corpus.text import code_normalized

TEXTS = pl.Series(['Which function returns the length of a list? len', '哪个内置函数返回Python列表中元素的个数？len', ''])

def test_shingle_hashes_are_pinned():
    "A change of polars-hash, of the tokens or of the n-gram rule changes these numbers."
    sh = stable_shingle_hashes(TEXTS)
    assert sh.offsets.tolist() == [0, 7, 23, 24]
    assert sh.hashes[:3].tolist() == [16683224118596573650, 11531205870370021349, 698593423167470867]
    assert int(sh.hashes[-1]) == 17241709254077376921   # the empty text: one shingle, '' (XXH64 of no bytes)

def test_signatures_are_pinned():
    "rensa draws its permutations from the seed: a release that draws them otherwise changes these numbers."
    from rensa import RMinHash
    assert RMinHash.ALGORITHM_VERSION == 2
    sigs = minhash_signatures(TEXTS)
    assert sigs.shape == (3, 128)
    assert sigs[:, :6].tolist() == [[3241686015, 3277168203, 3246901877, 823404196, 3225307769, 3652429077],
                                    [1492488004, 2266173241, 1773034038, 1710473969, 3239102579, 3372204056],
                                    [3609220912, 3960030408, 3864539667, 3250164343, 4070920099, 3666646499]]
    assert (minhash_signatures(TEXTS, DedupConfig(seed=2)) != sigs).mean() > 0.9   # the seed picks the permutations
    assert (minhash_signatures(TEXTS, batch_rows=1) == sigs).all()                  # batching changes nothing

@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.text(min_size=0, max_size=30), min_size=1, max_size=8), st.integers(0, 2**64 - 1))
def test_xxh64_is_the_xxhash_reference(texts, seed):
    "The polars-hash plugin computes XXH64 of the UTF-8 bytes, as the xxhash package (the reference C code) does."
    import xxhash
    texts = [t.encode('utf-8', 'replace').decode('utf-8') for t in texts]   # lone surrogates have no UTF-8 form
    assert xxh64(pl.Series(texts, dtype=pl.String), seed).tolist() == [xxhash.xxh64_intdigest(t.encode(), seed) for t in texts]

def test_shingles_are_the_texts_n_grams():
    s, o = shingle_texts(pl.Series(['a b c d', '数据结构', 'x', '']), n_en=3, n_zh=2)
    assert [s[o[i]:o[i + 1]].to_list() for i in range(4)] == [['a b c', 'b c d'], ['数 据', '据 结', '结 构'], ['x'], ['']]
    with pytest.raises(Exception, match='n_en and n_zh'): shingle_texts(pl.Series(['a']), n_en=0)
    assert stable_shingle_hashes(pl.Series([], dtype=pl.String)).offsets.tolist() == [0]

@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(keys=st.lists(st.integers(0, 6), min_size=0, max_size=40), max_bucket=st.integers(2, 8))
def test_band_pairs_are_bucket_pairs_of_the_whole_band(keys, max_bucket):
    "Leaving rows with a key of their own out first changes no pair, small buckets and large ones."
    k = np.array(keys, np.uint64)
    whole = bucket_pairs(pl.DataFrame({'band': np.zeros(len(k), np.int32), 'key': k, 'row': np.arange(len(k), dtype=np.int64)}), max_bucket)
    assert sorted(map(tuple, band_pairs(k, max_bucket).tolist())) == sorted(whole.rows())

@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(st.tuples(st.integers(1, 30), st.integers(0, 29)).filter(lambda p: p[0] > p[1]), max_size=20), max_size=6),
       st.integers(1, 50))
def test_unique_pairs_folds_in_without_losing_any(lists, budget):
    found = [np.array(l, np.int64).reshape(-1, 2) for l in lists]
    got = unique_pairs(found, 31, budget)
    assert list(map(tuple, got.tolist())) == sorted(set(p for l in lists for p in l)) and got.dtype == np.int64

def _whole_input(df:pl.DataFrame, cfg:DedupConfig)->tuple:
    "Near-dedup the way it ran before the spill: every signature in memory, every band's records in one frame."
    sigs = minhash_signatures(dedup_text(df, cfg), cfg)
    keys = band_keys(sigs, cfg.bands)
    recs = pl.DataFrame({'band': np.tile(np.arange(cfg.bands, dtype=np.int32), len(df)), 'key': keys.ravel(),
                         'row': np.repeat(np.arange(len(df), dtype=np.int64), cfg.bands)})
    p = bucket_pairs(recs, cfg.max_bucket).unique().to_numpy().astype(np.int64).reshape(-1, 2)
    checked = pl.DataFrame({'a': p[:, 0], 'b': p[:, 1], 'similarity': similarity(sigs, p[:, 0], p[:, 1])})
    linked = linked_pairs(checked, cfg.threshold, answer_codes(df, cfg)).select('a', 'b').to_numpy().reshape(-1, 2)
    keep = survivors(df, clusters(len(df), linked))
    return keep, similarity(sigs, np.arange(len(df)), keep)

@pytest.mark.parametrize('block_rows', [97, 1000, 100_000])
def test_the_spilled_pass_equals_the_whole_input_one(block_rows, tmp_path):
    df = planted_chains(400, 12)
    cfg = DedupConfig()
    keep, sim = _whole_input(df, cfg)
    res = near_dedup(df, cfg, block_rows=block_rows, spill=tmp_path)
    gone = keep != np.arange(len(df))
    assert gone.sum() > 1000   # the planted set has many near-duplicates, in blocks far apart
    assert res.removed['id'].to_list() == df['id'].filter(pl.Series(gone)).to_list()
    assert res.removed['match_id'].to_list() == df['id'].gather(keep[gone]).to_list()
    assert np.allclose(res.removed['similarity'].to_numpy(), sim[gone])
    assert list(tmp_path.iterdir()) == []   # the sketch files are removed
    sigs = minhash_signatures(dedup_text(df, cfg), cfg)   # signatures given: the same result
    assert near_dedup(df, cfg, sigs=sigs, block_rows=block_rows).removed.equals(res.removed)

def test_no_more_than_two_signature_blocks_are_held(monkeypatch):
    "The check loads blocks as its sorted pairs need them and lets go of the rest."
    live, most, load = [], [0], D.Sketches.block
    def block(self, i):
        arr = load(self, i)
        live.append(weakref.ref(arr)); most[0] = max(most[0], sum(r() is not None for r in live))
        return arr
    monkeypatch.setattr(D.Sketches, 'block', block)
    res = near_dedup(planted_chains(300, 10), block_rows=150)
    assert len(res.removed) > 500 and len(live) > 20
    assert most[0] <= 2, most

answers = st.sampled_from(['C++', 'Oracle', 'O(1)', 'O(log n)', 'len', '', ' ', None, '。'])

@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, 3), answers), min_size=2, max_size=24), st.randoms(use_true_random=False))
def test_no_cluster_joins_two_answers_through_a_row_without_one(rows, rnd):
    "Rows of one question (a word changed at most), answers drawn with blanks among them: a removed row's answer is its survivor's."
    base = 'which built in function returns the number of items in a python list when called on it'.split()
    qs = []
    for variant, _ in rows:
        w = list(base)
        if variant: w[rnd.randrange(len(w))] = f'word{variant}'
        qs.append(' '.join(w))
    df = pl.DataFrame({'id': [f'r{i}' for i in range(len(rows))], 'question': qs, 'answer': [a for _, a in rows]}, schema_overrides={'answer': pl.String})
    res = near_dedup(df)
    norm = dict(zip(df['id'], code_normalized(df['answer'].fill_null('')).to_list()))
    assert [(r, m) for r, m in zip(res.removed['id'], res.removed['match_id']) if norm[r] != norm[m]] == []
    assert len(res.kept) >= len(set(norm.values()))

def test_a_row_without_an_answer_does_not_chain_two_answers():
    q = 'Which built-in function returns the type of an object in this language?'
    df = pl.DataFrame({'id': ['cpp', 'blank', 'oracle', 'cpp2', 'blank2'], 'question': [q, q + ' Name it.', q, q + ' Name it', q],
                       'answer': ['C++', '', 'Oracle', 'c++', None]})
    res = near_dedup(df)
    assert sorted(res.kept['id']) == ['blank', 'cpp', 'oracle']
    assert sorted(zip(res.removed['id'], res.removed['match_id'])) == [('blank2', 'blank'), ('cpp2', 'cpp')]
