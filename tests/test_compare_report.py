"Paired comparison on synthetic runs with a known difference, and the self-contained HTML report."
import json, re, shutil
import numpy as np, polars as pl, pytest
from scipy import stats
from csqa.compare import compare, holm, benjamini_hochberg, mcnemar
from csqa.report import html_report, leaderboard, to_markdown, to_latex
from csqa.evaluation import Run
from csqa.metrics import score

def synthetic_runs(n=600, seed=0):
    "Run B fixes 60 of A's wrong answers in domain D1 only; D2 is identical. A has 3 questions B lacks."
    rng = np.random.default_rng(seed)
    ids = [f'q{i}' for i in range(n)]
    domain = np.where(np.arange(n) < n // 2, 'D1', 'D2')
    va = rng.choice(['CORRECT', 'INCORRECT', 'NOT_ATTEMPTED'], n, p=[0.5, 0.4, 0.1])
    vb = va.copy()
    fix = np.flatnonzero((domain == 'D1') & (va == 'INCORRECT'))[:60]
    vb[fix] = 'CORRECT'
    a = pl.DataFrame({'id': ids, 'sample_idx': 0, 'grader': 'rules', 'verdict': va, 'domain': domain,
                      'lang': np.where(np.arange(n) % 2, 'en', 'zh'), 'pair_id': [f'p{i // 2}' for i in range(n)]})
    return a, a.with_columns(pl.Series('verdict', vb))[3:], fix

def test_compare_finds_the_known_difference():
    a, b, fix = synthetic_runs()
    cmp = compare(a, b, by=['domain'], n_boot=1000, seed=1)
    rows = {(r['slice'], r['domain']): r for r in cmp.slices.iter_rows(named=True)}
    d1, d2 = rows[('domain', 'D1')], rows[('domain', 'D2')]
    assert d1['right_b_only'] == len(fix) - np.sum(fix < 3) and d1['right_a_only'] == 0
    assert d1['d_correct'] == pytest.approx(d1['right_b_only'] / d1['n'])
    assert d1['mcnemar_method'] == 'chi-square (corrected)' and d1['mcnemar_p_holm'] < 1e-6 and d1['d_f_lo'] > 0
    assert d2['d_correct'] == 0 and d2['d_f'] == 0 and d2['mcnemar_p'] == 1.0 and d2['p_boot_f'] == 1.0
    assert d1['d_correct_lo'] <= d1['d_correct'] <= d1['d_correct_hi']
    assert cmp.summary()['only_a'] == 3 and cmp.only_a['id'].to_list() == ['q0', 'q1', 'q2'] and len(cmp.only_b) == 0
    assert cmp.summary()['paired'] == len(a) - 3
    # same seed, same intervals; clustering by pair_id widens (or keeps) the interval of the pooled slice
    assert cmp.slices.equals(compare(a, b, by=['domain'], n_boot=1000, seed=1).slices)
    clustered = compare(a, b, n_boot=1000, seed=1, cluster='pair_id').slices.row(0, named=True)
    assert clustered['n_units'] < clustered['n']

def test_compare_needs_one_grader():
    a, b, _ = synthetic_runs(60)
    two = pl.concat([a, a.with_columns(pl.lit('judge:m').alias('grader'))])
    with pytest.raises(Exception, match='pick one'): compare(two, b)
    assert compare(two, b, grader='rules', n_boot=50).summary()['paired'] == 57

def test_adjustments_match_references():
    rng = np.random.default_rng(3)
    for _ in range(20):
        p = rng.uniform(0, 0.2, rng.integers(1, 30))
        np.testing.assert_allclose(benjamini_hochberg(p), stats.false_discovery_control(p, method='bh'))
        order = np.argsort(p); m = len(p)
        ref = np.minimum(1, np.maximum.accumulate([(m - i) * p[j] for i, j in enumerate(order)]))
        np.testing.assert_allclose(holm(p)[order], ref)
    b, c = np.array([0, 2, 5, 30, 12]), np.array([0, 9, 5, 50, 12])
    _, p, _ = mcnemar(b, c)
    assert p[0] == 1.0 and p[1] == pytest.approx(stats.binomtest(2, 11).pvalue)
    assert p[3] == pytest.approx(stats.chi2.sf((20 - 1) ** 2 / 80, 1))

def test_html_report_self_contained(tmp_path):
    a, b, _ = synthetic_runs(300)
    a = a.with_columns(pl.Series('confidence', np.random.default_rng(0).uniform(0, 100, len(a))),
                       pl.Series('prog_lang', np.where(np.arange(len(a)) % 3, 'python', 'sql')))
    b = b.join(a.select('id', 'prog_lang'), on='id')
    run_a, run_b = tmp_path / 'a', tmp_path / 'b'
    for d, g in ((run_a, a.drop('confidence')), (run_b, b)):
        d.mkdir(); g.write_parquet(d / 'grades.parquet')
    a.select('id', 'sample_idx', 'confidence').write_parquet(run_a / 'answers.parquet')
    runs = {Run.open(r).name: Run.open(r).graded() for r in (run_a, run_b)}
    assert 'confidence' in runs['a'].columns
    page = html_report(runs, tmp_path / 'report.html', n_boot=100).read_text(encoding='utf-8')
    assert len(re.findall(r'plotly\.js v\d', page)) == 1  # the library inlined exactly once
    assert not re.search(r'<script[^>]+src=["\']?(https?:)?//', page)
    assert not re.search(r'<link[^>]+href=["\']?(https?:)?//', page)
    assert 'Reliability diagram' in page and 'Heatmap' in page and 'Leaderboard' in page
    assert page.count('Plotly.newPlot(') >= 7

def test_leaderboard_formats():
    a, b, _ = synthetic_runs(200)
    board = leaderboard({'A': score(a, n_boot=100), 'B': score(b, n_boot=100)})
    assert board['run'].to_list() == ['B', 'A']
    assert re.fullmatch(r'\d+\.\d \[\d+\.\d, \d+\.\d\]', board['f'][0])
    md, tex = to_markdown(board), to_latex(board)
    assert md.splitlines()[0].startswith('| run | grader | n |') and md.count('\n') == 4
    assert '\\begin{tabular}' in tex and 'not\\_attempted' in tex

def answered_run(path, n=24):
    "A run folder of answers over two domains and two programming languages, some right, some wrong."
    rows = [dict(id=f'q{i}', sample_idx=0, question=f'Default port of service {i}?', answer=str(5000 + i), lang='en' if i % 2 else 'zh',
                 domain='Databases' if i % 3 else 'Web Technologies', prog_lang='sql' if i % 4 else 'python',
                 response=str(5000 + i) if i % 5 else 'no idea, sorry, maybe 1', confidence=None) for i in range(n)]
    path.mkdir(); pl.DataFrame(rows, schema_overrides={'confidence': pl.Float64}).write_parquet(path / 'answers.parquet')
    return path

@pytest.fixture
def judge_stub():
    "A loopback judge that grades every answer A (CORRECT)."
    from aiohttp import web
    from conftest import serve_chat
    async def chat(request):
        return web.json_response({'choices': [{'index': 0, 'message': {'role': 'assistant', 'content': 'A'},
                                               'finish_reason': 'stop'}], 'usage': {'prompt_tokens': 3, 'completion_tokens': 1}})
    yield from serve_chat(chat, {})

def test_report_of_a_run_graded_twice(tmp_path, judge_stub, capsys):
    "Issue #16: `csqa report` on a run graded by the rules and a judge reports each grader, as `csqa score` does."
    from csqa.cli import main
    run = answered_run(tmp_path / 'run')
    cache = ['--cache', str(tmp_path / 'cache.sqlite')]
    assert main(['grade', str(run), '--grader', 'rules', '--no-progress', *cache]) == 0
    assert main(['grade', str(run), '--grader', 'judge:stub', '--judge-base-url', judge_stub['url'], '--no-progress', *cache]) == 0
    assert sorted(Run.open(run).grades['grader'].unique()) == ['judge:stub', 'rules']
    capsys.readouterr()
    assert main(['report', str(run), '--out', str(tmp_path / 'report.html'), '--n-boot', '50', '--json']) == 0
    board = json.loads(capsys.readouterr().out)['leaderboard']
    assert sorted(r['grader'] for r in board) == ['judge:stub', 'rules']
    page = (tmp_path / 'report.html').read_text(encoding='utf-8')
    assert 'run was graded by judge:stub, rules: each grader is reported separately' in page
    assert page.count(r'by domain \u00d7 programming language') == 2  # a heatmap per grader (titles as JSON escapes)
    assert r'run \u00b7 rules f by domain' in page and r'run \u00b7 judge:stub f by domain' in page
    # two runs, each graded twice: a paired comparison (forest plot) per grader; --grader keeps one
    run_b = tmp_path / 'b'; shutil.copytree(run, run_b)
    page = Run.open(run).report(tmp_path / 'two.html', run_b, n_boot=50).read_text(encoding='utf-8')
    assert page.count('Paired comparison on 24 rows') == 2 and 'run · rules' in page and 'b · judge:stub' in page
    page = Run.open(run).report(tmp_path / 'rules.html', run_b, n_boot=50, grader='rules').read_text(encoding='utf-8')
    assert page.count('Paired comparison on 24 rows') == 1 and 'each grader is reported separately' not in page
