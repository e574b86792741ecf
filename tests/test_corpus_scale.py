"""Near-duplicate removal on Ray Data (Ray local, 2 CPUs) gives the local engine's tables exactly, on planted chains of
near-duplicates in English and Chinese whose clusters take several rounds of label propagation; Ray is shut down."""
import numpy as np
import polars as pl
import pytest
from csqa.corpus.dedup import DedupConfig, near_dedup
from csqa.corpus.scale import PolarsFrames, edge_records, label_components, near_dedup_on_ray, planted_chains, signed_rows

@pytest.fixture
def ray_local(tmp_path_factory):
    import ray
    ray.init(num_cpus=2, _temp_dir=str(tmp_path_factory.mktemp('r')), include_dashboard=False, log_to_driver=False, configure_logging=False,
             _node_ip_address='127.0.0.1')
    ray.data.DataContext.get_current().enable_progress_bars = False
    yield ray
    ray.shutdown()

def test_distributed_near_dedup_equals_the_local_one(ray_local):
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
    assert near_dedup_on_ray(df.clear(), cfg).kept.is_empty()
    alone = df.unique('chain', keep='first')   # no near-duplicates at all: nothing removed, no shuffle of nothing
    assert near_dedup_on_ray(alone, cfg).removed.is_empty()

def test_the_ray_engine_needs_ray_started():
    import ray
    from csqa.schema import UsageError
    assert not ray.is_initialized()
    with pytest.raises(UsageError, match=r'ray.init\(\) first'): near_dedup_on_ray(planted_chains(3, 2), DedupConfig())
