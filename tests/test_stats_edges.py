"""Edges of the statistics, cross-checked against independent computations: calibration bins decided exactly (a
confidence on a bin edge belongs to the bin below, whatever float rounding says), Wilson intervals against scipy (and
statsmodels where installed), and clear refusals for impossible counts and empty tables."""
import math
from fractions import Fraction
import numpy as np
import polars as pl
import pytest
from scipy import stats
from csqa.metrics import calibration, confidence_bins, penalized_scores, score, wilson_interval
from csqa.schema import UsageError
from conftest import run_csqa

def reference_bin(confidence:float, n_bins:int)->int:
    "The bin of a confidence written as a decimal, by rational arithmetic only: (100·b/n, 100·(b+1)/n], 0 in bin 0."
    c = min(max(Fraction(repr(confidence)), Fraction(0)), Fraction(100))
    return min(max(math.ceil(c * n_bins / 100) - 1, 0), n_bins - 1)

def test_the_reported_case():
    "Issue 9: 20 and 18 at n_bins=35 share a bin; float edges put 20 one bin higher and gave ECE 0.49."
    bins, ece = calibration(pl.DataFrame({'verdict': ['CORRECT', 'INCORRECT'], 'confidence': [20.0, 18.0]}), n_bins=35)
    assert ece == pytest.approx(0.31, abs=1e-12)
    assert bins['n'].to_list() == [2]
    assert confidence_bins(np.array([20.0, 40.0, 80.0]), 35).tolist() == [6, 13, 27]

def test_bins_match_exact_arithmetic_on_edges_and_off():
    rng = np.random.default_rng(0)
    for n_bins in [1, 2, 3, 7, 10, 12, 15, 20, 35, 49, 50, 97, 100, 1000]:
        edges = [float(Fraction(100 * k, n_bins).limit_denominator(10**6)) for k in range(n_bins + 1)]
        decimals = [round(float(x), d) for d in (0, 1, 2, 3) for x in rng.uniform(0, 100, 300)]
        values = np.array([*edges, *decimals, *(np.nextafter(e, 200) for e in edges), *(np.nextafter(e, -1) for e in edges),
                           -5.0, 0.0, 100.0, 130.0])
        got = confidence_bins(values, n_bins)
        want = [reference_bin(float(v), n_bins) for v in values]
        assert got.tolist() == want, n_bins

def test_ece_matches_a_rational_reference():
    "ECE = Σ_b |Σ_{i∈b} (correct_i − confidence_i)| / N, computed in exact fractions from exactly binned rows."
    rng = np.random.default_rng(1)
    for trial in range(40):
        n_bins = int(rng.choice([5, 10, 15, 35, 40]))
        conf = rng.choice([0, 12.5, 20, 25, 40, 50, 60, 62.5, 75, 80, 90, 95, 100], 60).astype(float)
        free = rng.random(60) < 0.3
        conf[free] = np.round(rng.uniform(0, 100, free.sum()), 1)
        hit = rng.random(60) < 0.6
        graded = pl.DataFrame({'verdict': np.where(hit, 'CORRECT', 'INCORRECT'), 'confidence': conf})
        gap = {}
        for c, h in zip(conf, hit):
            b = reference_bin(float(c), n_bins)
            gap[b] = gap.get(b, Fraction(0)) + int(h) - Fraction(repr(float(c))) / 100
        want = float(sum(abs(g) for g in gap.values()) / len(conf))
        assert calibration(graded, n_bins=n_bins)[1] == pytest.approx(want, abs=1e-12), trial

def test_wilson_agrees_with_scipy_for_every_k():
    for n in range(1, 61):
        k = np.arange(n + 1)
        lo, hi = wilson_interval(k, np.full(n + 1, n), 0.95)
        for kk in k:
            ref = stats.binomtest(int(kk), n).proportion_ci(confidence_level=0.95, method='wilson')
            assert (lo[kk], hi[kk]) == pytest.approx((ref.low, ref.high), abs=1e-12), (kk, n)

def test_wilson_agrees_with_statsmodels():
    import statsmodels.stats.proportion as sm  # a dev requirement: the cross-check runs in CI
    k, n = np.array([0, 1, 7, 30, 99]), np.array([5, 9, 10, 45, 99])
    lo, hi = wilson_interval(k, n, 0.9)
    ref_lo, ref_hi = sm.proportion_confint(k, n, alpha=0.1, method='wilson')
    np.testing.assert_allclose(lo, ref_lo, atol=1e-12); np.testing.assert_allclose(hi, ref_hi, atol=1e-12)

@pytest.mark.parametrize('k,n,says', [(5, 3, 'got k=5'), ([1, 9], [4, 6], 'got k=9'), (-1, 3, 'got k=-1'),
                                      (1, float('nan'), 'finite'), (float('inf'), 3, 'finite')])
def test_wilson_refuses_impossible_counts(k, n, says):
    with pytest.raises(UsageError, match='wilson_interval: k') as e: wilson_interval(k, n)
    assert says in str(e.value)

def test_wilson_of_no_trials_is_uninformative():
    assert wilson_interval(0, 0) == (0.0, 1.0)

EMPTY = pl.DataFrame(schema={'id': pl.String, 'verdict': pl.String})

@pytest.mark.parametrize('scorer', [score, penalized_scores])
def test_empty_tables_are_refused_clearly(scorer):
    with pytest.raises(UsageError, match='^nothing to score: the grades table has no rows$'): scorer(EMPTY, n_boot=0)
    failed = pl.DataFrame({'id': ['a', 'b'], 'verdict': ['PARSE_ERROR'] * 2, 'parse_status': ['answer_error', 'judge_error']})
    with pytest.raises(UsageError, match=r'all 2 rows are failed requests \(parse_status answer_error: 1, judge_error: 1\)'):
        scorer(failed, n_boot=0)

def test_cli_scoring_an_empty_table_says_so(tmp_path):
    EMPTY.write_csv(tmp_path/'graded.csv')
    r = run_csqa('score', tmp_path/'graded.csv')
    assert r.returncode == 2 and r.stderr.strip() == 'csqa: nothing to score: the grades table has no rows', r.stderr
