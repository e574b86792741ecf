"""Decontamination's n-gram hashes are a fixed function: pinned values for English and Chinese text, and, on generated
token lists, equal to a plain-Python reference built from the `xxhash` package (XXH64 seed 0 of each token, combined
by `h * 0x9E3779B97F4A7C15 + token` mod 2**64 and the splitmix64 finaliser). A change of polars, polars-hash, the
tokens or the combination fails here."""
import numpy as np
import polars as pl
from hypothesis import HealthCheck, given, settings, strategies as st
from csqa.corpus.text import ngram_hashes, shingle_hashes, tokens

TEXTS = pl.Series(['Which function returns the length of a list? len', '哪个内置函数返回Python列表中元素的个数？len', ''])
M = 2**64

def mix(h:int)->int:
    "splitmix64's finaliser, in Python integers."
    h = ((h ^ (h >> 30)) * 0xBF58476D1CE4E5B9) % M
    h = ((h ^ (h >> 27)) * 0x94D049BB133111EB) % M
    return h ^ (h >> 31)

def reference(toks:list[str], n:int)->list[int]:
    "The n-gram hashes of one token list, from the specification: one shingle of all tokens when fewer than n, 0 when none."
    import xxhash
    if not toks: return [0]
    n = min(n, len(toks))
    out = []
    for i in range(len(toks) - n + 1):
        h = 0
        for t in toks[i:i + n]: h = (h * 0x9E3779B97F4A7C15 + xxhash.xxh64_intdigest(t.encode())) % M
        out.append(mix(h))
    return out

def test_shingle_hashes_are_pinned():
    "English word 3-grams, Chinese character 3-grams and the empty text, as numbers."
    sh = shingle_hashes(TEXTS, n_en=3, n_zh=3)
    assert sh.offsets.tolist() == [0, 7, 23, 24]
    assert sh.hashes[:3].tolist() == [10599522583594805738, 10432553777367619257, 11906940088415211767]   # which function returns, ...
    assert sh.hashes[7:10].tolist() == [6366448873896788811, 16495497971904429683, 3264449122330686056]  # 哪 个 内, 个 内 置, 内 置 函
    assert int(sh.hashes[-1]) == 0   # the empty text: one shingle of hash 0

def test_ngram_hashes_are_pinned():
    "Unigrams (decontamination's `key` table): each token's XXH64, mixed."
    g = ngram_hashes(tokens(TEXTS), np.array([False, True, False]), 1, 1)
    assert g.offsets.tolist() == [0, 9, 27, 28]
    assert g.hashes[:3].tolist() == [14453347492244694478, 15891923862607883896, 15342803391981464897]  # which, function, returns
    assert g.hashes[10:12].tolist() == [18069345141500490215, 17190070110273596040]                    # 个, 内
    assert g.hashes[10] == g.hashes[24]   # 个 twice in one text: one hash

token = st.one_of(st.text(min_size=1, max_size=8), st.sampled_from(['len', '数', 'python', '个', 'c++', 'ß', '']))

@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.tuples(st.lists(token, max_size=12), st.booleans()), min_size=1, max_size=6),
       n_en=st.integers(1, 6), n_zh=st.integers(1, 4))
def test_ngram_hashes_follow_the_specification(rows, n_en, n_zh):
    "Any token lists (empty ones, one-token ones, repeats, any Unicode): the vectorised hashes equal the reference's."
    rows = [([t.encode('utf-8', 'replace').decode('utf-8') for t in toks], zh) for toks, zh in rows]   # lone surrogates have no UTF-8 form
    toks = pl.Series([t for t, _ in rows], dtype=pl.List(pl.String))
    g = ngram_hashes(toks, np.array([zh for _, zh in rows]), n_en, n_zh)
    want = [reference(t, n_zh if zh else n_en) for t, zh in rows]
    assert [g.hashes[g.offsets[i]:g.offsets[i + 1]].tolist() for i in range(len(rows))] == want
