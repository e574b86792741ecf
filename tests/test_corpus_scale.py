"""Near-duplicate removal on Ray gives the local engine's tables exactly, on planted chains of near-duplicates in
English and Chinese whose clusters take several rounds of label propagation; file-to-file dedup and decontamination on
Ray write the local engine's files. The tests join the session's Ray cluster on loopback (`ray_cluster`, 2 CPUs) and
leave it after."""
import numpy as np
import polars as pl
import pytest
from csqa.corpus.dedup import DedupConfig, near_dedup
from csqa.corpus.scale import PolarsFrames, edge_records, label_components, near_dedup_on_ray, planted_chains, signed_rows

def test_the_ray_engine_needs_ray_started():
    import ray
    from csqa.schema import UsageError
    assert not ray.is_initialized()
    with pytest.raises(UsageError, match=r'ray.init\(\) first'): near_dedup_on_ray(planted_chains(3, 2), DedupConfig())

def test_distributed_near_dedup_equals_the_local_one(ray_joined):
    df = planted_chains(240, 20)
    cfg = DedupConfig()
    local = near_dedup(df, cfg)
    # the planted set is what the claim rests on: both languages have clusters, and they take several rounds
    removed = local.removed.group_by('lang').len().sort('lang').rows()
    assert [l for l, k in removed] == ['en', 'zh'] and min(k for _, k in removed) > 300, removed
    from csqa.corpus.dedup import band_keys, candidate_pairs, minhash_signatures, dedup_text, similarity
    sigs = minhash_signatures(dedup_text(df, cfg), cfg)
    pairs = candidate_pairs(band_keys(sigs, cfg.bands))
    linked = pairs[similarity(sigs, pairs[:, 0], pairs[:, 1]) >= cfg.threshold]
    _, rounds = label_components(PolarsFrames(), edge_records(pl.DataFrame({'a': linked[:, 0], 'b': linked[:, 1]})))
    assert rounds >= 3, rounds
    ray_res = near_dedup_on_ray(df, cfg, block_rows=700, parts=3)
    assert ray_res.kept.rows() == local.kept.rows()
    assert ray_res.removed.rows() == local.removed.rows()   # the same survivors, match ids and similarities
    one = near_dedup_on_ray(df, cfg, block_rows=5000, parts=1)   # one block, one partition: a shuffle that moves nothing
    assert one.kept.rows() == local.kept.rows() and one.removed.rows() == local.removed.rows()
    assert near_dedup_on_ray(df.clear(), cfg).kept.is_empty()
    alone = df.unique('chain', keep='first')   # no near-duplicates at all: nothing removed, no shuffle of nothing
    assert near_dedup_on_ray(alone, cfg).removed.is_empty()

def test_file_to_file_dedup_and_decontam_on_ray_write_the_local_files(ray_joined, tmp_path, codesimpleqa_path):
    "Several input files, exact copies whose survivor is itself a near duplicate, two benchmarks in turn: the local files, row for row."
    from csqa.corpus.dedup import dedup, save_split
    from csqa.corpus.decontam import BenchmarkIndex, decontaminate
    from csqa.corpus.scale import dedup_on_ray, decontam_on_ray
    from csqa.data import load_questions
    df = planted_chains(80, 8, seed=1)
    copies = df.sample(60, seed=2).with_columns(pl.format('copy-{}', pl.int_range(pl.len())).alias('id'), pl.col('question').str.to_uppercase())
    df = pl.concat([df, copies]).with_columns(pl.when(pl.int_range(pl.len()) % 9 == 0).then(pl.lit('other')).otherwise('answer').alias('answer'))
    paths = []
    for i, s in enumerate(range(0, len(df), 170)):
        paths.append(tmp_path/f'part-{i}.parquet'); df.slice(s, 170).write_parquet(paths[-1])
    local = dedup(df, DedupConfig())
    assert local.counts()['removed_exact'] > 40 and local.counts()['removed_near'] > 200
    stats = dedup_on_ray(paths, tmp_path/'ray', DedupConfig(), parts=3)
    assert stats == local.counts()
    for name, want in (('kept', local.kept), ('removed', local.removed)):
        assert pl.read_parquet(tmp_path/'ray'/f'{name}.parquet').rows() == want.rows(), name
    # decontamination against two benchmarks in turn, as stage_decontam applies them
    bench = load_questions(codesimpleqa_path, progress=False)
    first, second = bench.slice(0, 700), bench.slice(700)
    rows = pl.concat([bench.sample(40, seed=3).select('id', 'question', 'answer'), df.select('id', 'question', 'answer')]).sample(fraction=1.0, seed=4)
    rows.write_parquet(tmp_path/'rows.parquet')
    ix = [('a', BenchmarkIndex.build(first)), ('b', BenchmarkIndex.build(second))]
    kept, removed = rows, []
    for name, index in ix:
        res = decontaminate(kept, index); kept = res.kept; removed.append(res.removed.with_columns(pl.lit(name).alias('against')))
    removed = pl.concat(removed)
    assert set(removed['against']) == {'a', 'b'}
    counts = decontam_on_ray([tmp_path/'rows.parquet'], tmp_path/'dray', ix)
    assert (counts['kept'], counts['removed']) == (len(kept), len(removed))
    assert pl.read_parquet(tmp_path/'dray'/'kept.parquet').rows() == kept.rows()
    # `score` is a float sum whose order polars does not fix: two local runs can differ in the last bits
    rounded = lambda d: d.with_columns(pl.col(pl.Float64).round(9)).rows()
    assert rounded(pl.read_parquet(tmp_path/'dray'/'removed.parquet')) == rounded(removed)
