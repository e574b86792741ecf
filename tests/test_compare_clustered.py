"McNemar's test with several samples per question: under the null, the clustered test keeps its size, the plain one does not."
import numpy as np, polars as pl
from csqa.compare import compare

def null_runs(rng, questions=60, samples=4):
    "Two equally good runs whose samples of one question agree with each other: when A alone is right, on all samples."
    a, b = [], []
    for q in range(questions):
        kind = rng.choice(['both', 'neither', 'a_only', 'b_only'], p=[0.3, 0.3, 0.2, 0.2])  # symmetric: the null holds
        va, vb = {'both': ('CORRECT', 'CORRECT'), 'neither': ('INCORRECT', 'INCORRECT'),
                  'a_only': ('CORRECT', 'INCORRECT'), 'b_only': ('INCORRECT', 'CORRECT')}[kind]
        for s in range(samples):
            a.append({'id': f'q{q}', 'sample_idx': s, 'verdict': va}); b.append({'id': f'q{q}', 'sample_idx': s, 'verdict': vb})
    return pl.DataFrame(a), pl.DataFrame(b)

def test_clustered_mcnemar_keeps_its_size():
    rng = np.random.default_rng(0)
    rows = [compare(*null_runs(rng), n_boot=0).slices.row(0, named=True) for _ in range(300)]
    assert {r['mcnemar_method'] for r in rows} == {'clustered chi-square (Durkalski)'}
    clustered = np.mean([r['mcnemar_p'] < 0.05 for r in rows])
    # the same discordant totals treated as independent pairs (what a per-row McNemar would say)
    from csqa.compare import mcnemar
    plain = np.mean([mcnemar(r['right_a_only'], r['right_b_only'])[1] < 0.05 for r in rows])
    assert 0.01 <= clustered <= 0.10, clustered   # nominal 5%
    assert plain >= 0.25, plain                   # four perfectly correlated samples look like four times the evidence

def test_one_sample_per_question_keeps_the_plain_test():
    a, b = null_runs(np.random.default_rng(1), samples=1)
    assert compare(a, b, n_boot=0).slices['mcnemar_method'][0] in ('exact binomial', 'chi-square (corrected)')
