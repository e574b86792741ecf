"Multiple-testing adjustment within each slice family; every bootstrap p-value adjusted; one kind of McNemar statistic."
import numpy as np, polars as pl
from csqa.compare import compare, holm, benjamini_hochberg
from test_compare_report import synthetic_runs

def test_adjusted_within_each_slice_and_overall_unadjusted():
    a, b, _ = synthetic_runs()
    s = compare(a, b, by=[['domain'], ['domain', 'lang']], n_boot=200, seed=1).slices
    assert set(s['slice']) == {'overall', 'lang', 'domain', 'domain×lang'}
    for raw in ('mcnemar_p', 'p_boot_correct', 'p_boot_f'):
        overall = s.filter(pl.col('slice') == 'overall').row(0, named=True)
        assert overall[f'{raw}_holm'] == overall[raw] and overall[f'{raw}_bh'] == overall[raw]
        for fam in s['slice'].unique():
            rows = s.filter(pl.col('slice') == fam)
            np.testing.assert_allclose(rows[f'{raw}_holm'].to_numpy(), holm(rows[raw].to_numpy()))
            np.testing.assert_allclose(rows[f'{raw}_bh'].to_numpy(), benjamini_hochberg(rows[raw].to_numpy()))

def test_mcnemar_statistic_is_always_the_corrected_chi2():
    a, b, _ = synthetic_runs()
    s = compare(a, b, by=['domain'], n_boot=0).slices
    assert 'mcnemar_stat' not in s.columns
    bc, cc = s['right_a_only'].to_numpy(), s['right_b_only'].to_numpy()
    want = np.where(bc + cc > 0, np.clip(np.abs(bc - cc) - 1, 0, None) ** 2 / np.maximum(bc + cc, 1), 0.0)
    np.testing.assert_allclose(s['mcnemar_chi2'].to_numpy(), want)
