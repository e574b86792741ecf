"Properties of csqa.metrics that must hold for any grades table."
import numpy as np, polars as pl, pytest
from hypothesis import given, settings, strategies as st, HealthCheck
from csqa.grades import validate_grades, read_grades
from csqa.metrics import rates_from_counts, score, RATES, METRICS
from csqa.schema import VERDICTS, InvalidInput

CHINESE_SIMPLEQA = {  # percent: CO, NA, IN, CGA, F (Chinese SimpleQA paper, REFERENCE.md §2)
    'o1-preview': (63.8, 12.2, 24.0, 72.7, 67.9), 'Doubao-pro-32k': (61.9, 10.3, 27.8, 69.1, 65.3),
    'GLM-4-Plus': (58.7, 7.4, 33.9, 63.4, 60.9), 'GPT-4o': (59.3, 1.4, 39.3, 60.1, 59.7),
    'Claude-3.5-Sonnet': (46.2, 27.4, 26.4, 63.6, 53.5)}

@pytest.mark.parametrize('model', CHINESE_SIMPLEQA)
def test_chinese_simpleqa_vectors(model):
    co, na, in_, cga, f = CHINESE_SIMPLEQA[model]
    a, b, c = round(co * 10), round(in_ * 10), round(na * 10)  # counts out of 1,000 items
    r = rates_from_counts(a, b, c)
    assert abs(float(r['cga']) * 100 - cga) <= 0.1
    assert abs(float(r['f']) * 100 - f) <= 0.1
    # the same figures come out of score() on a table built from those counts
    verdicts = ['CORRECT'] * a + ['INCORRECT'] * b + ['NOT_ATTEMPTED'] * c
    s = score(pl.DataFrame({'id': [str(i) for i in range(len(verdicts))], 'verdict': verdicts}), n_boot=0).row(0, named=True)
    assert abs(s['cga'] * 100 - cga) <= 0.1 and abs(s['f'] * 100 - f) <= 0.1
    assert abs(s['correct'] * 100 - co) < 1e-9 and abs(s['not_attempted'] * 100 - na) < 1e-9

verdict_lists = st.lists(st.sampled_from(VERDICTS), min_size=1, max_size=60)

def table(verdicts, langs=None):
    df = pl.DataFrame({'id': [f'q{i}' for i in range(len(verdicts))], 'verdict': verdicts})
    return df if langs is None else df.with_columns(pl.Series('lang', langs))

@given(st.tuples(*[st.integers(0, 10_000)] * 4))
def test_rates_sum_to_one_and_f_between(counts):
    r = rates_from_counts(*counts)
    total = sum(counts)
    assert abs(sum(float(r[k]) for k in RATES) - (1.0 if total else 0.0)) < 1e-12
    lo, hi = min(r['correct'], r['cga']), max(r['correct'], r['cga'])
    assert lo - 1e-12 <= r['f'] <= hi + 1e-12

@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(verdict_lists, st.randoms(use_true_random=False))
def test_row_order_does_not_matter(verdicts, random):
    langs = [random.choice(['en', 'zh']) for _ in verdicts]
    df = table(verdicts, langs)
    shuffled = df.sample(fraction=1.0, shuffle=True, seed=random.randint(0, 10**6))
    assert score(df, n_boot=200).equals(score(shuffled, n_boot=200))

@settings(max_examples=40, deadline=None)
@given(verdict_lists, st.sampled_from([None, 'pair_id']))
def test_bootstrap_interval_contains_estimate_and_is_seeded(verdicts, cluster):
    df = table(verdicts).with_columns((pl.int_range(pl.len()) // 2).cast(pl.String).alias('pair_id'))
    s = score(df, n_boot=300, seed=7, cluster=cluster)
    for m in METRICS:
        assert (s[f'{m}_lo'] <= s[m] + 1e-12).all() and (s[m] <= s[f'{m}_hi'] + 1e-12).all(), m
    assert s.equals(score(df, n_boot=300, seed=7, cluster=cluster))

def test_samples_resample_questions_not_rows():
    # 2 questions × 50 samples each: one always right, one always wrong. Resampling rows would give a narrow
    # interval around 0.5; resampling questions gives resamples with 0, 1 or 2 right questions.
    df = pl.DataFrame({'id': ['a'] * 50 + ['b'] * 50, 'sample_idx': list(range(50)) * 2,
                       'verdict': ['CORRECT'] * 50 + ['INCORRECT'] * 50})
    s = score(df, n_boot=500).row(0, named=True)
    assert s['n'] == 100 and s['n_units'] == 2
    assert s['correct_lo'] == 0.0 and s['correct_hi'] == 1.0

def test_unknown_verdict_lines(tmp_path):
    path = tmp_path / 'graded.jsonl'
    path.write_text('\n'.join(['{"id": "a", "verdict": "CORRECT"}', '{"id": "b", "verdict": "MAYBE"}',
                               '{"id": "c", "verdict": "INCORRECT"}', '{"id": "d", "verdict": "X"}']) + '\n')
    with pytest.raises(InvalidInput) as e: read_grades(path)
    assert [(p.line, p.field, p.reason) for p in e.value.problems] == [
        (2, 'verdict', "unknown verdict 'MAYBE'"), (4, 'verdict', "unknown verdict 'X'")]
    assert all(p.path == str(path) for p in e.value.problems)
    csv = tmp_path / 'graded.csv'
    csv.write_text('id,verdict\na,CORRECT\nb,WRONG\n')
    with pytest.raises(InvalidInput) as e: read_grades(csv)
    assert [(p.line, p.reason) for p in e.value.problems] == [(3, "unknown verdict 'WRONG'")]
