"`csqa demo` and `csqa eval` end to end, as a user runs them: a subprocess, a fresh folder, nothing downloaded."
import json, os, re, subprocess, sys, time
from pathlib import Path
import polars as pl

DOMAINS = ('Web Technologies', 'Programming Languages', 'Databases', 'Operating Systems')

def csqa(*args, cwd, env):
    return subprocess.run([Path(sys.executable).parent/'csqa', *args],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=600)

def test_demo_runs_the_whole_loop_and_reuses_its_work(tmp_path):
    env = {**os.environ, 'CSQA_HOME': str(tmp_path/'home'), 'CSQA_CACHE': str(tmp_path/'cache.sqlite'),
           'HF_HOME': str(tmp_path/'hf'), 'HF_HUB_OFFLINE': '1', 'PYTHONWARNINGS': 'default'}
    first = csqa('demo', cwd=tmp_path, env=env)
    assert first.returncode == 0, first.stderr[-3000:]
    # every deprecation warning shown (PYTHONWARNINGS=default): csqa passes the new names and hides only what it cannot avoid
    assert not re.search(r'(Future|Deprecation)Warning', first.stderr), re.findall(r'.*Warning.*', first.stderr)
    demo = tmp_path/'runs/demo'
    assert sorted(p.name for p in demo.iterdir()) == ['after', 'before', 'report.html', 'train']
    for run in (demo/'before', demo/'after'):
        assert sorted(p.name for p in run.iterdir() if not p.name.startswith('.')) == ['answers.parquet', 'grades.parquet',
                                                                                       'manifest.json', 'scores.json']
    answers, grades = pl.read_parquet(demo/'before/answers.parquet'), pl.read_parquet(demo/'before/grades.parquet')
    assert len(answers) == len(grades) == 386 and answers['error'].null_count() == 386
    # the run's tables are plain Parquet: pandas and Hugging Face `datasets` read them too, with the same rows
    import pandas as pd, datasets
    for name, table in (('answers', answers), ('grades', grades)):
        frame = pd.read_parquet(demo/f'before/{name}.parquet')
        assert list(frame.columns) == table.columns and frame['id'].tolist() == table['id'].to_list()
        ds = datasets.Dataset.from_parquet(str(demo/f'before/{name}.parquet'), cache_dir=str(tmp_path/'hf-datasets'))
        assert ds.column_names == table.columns and ds['id'] == table['id'].to_list()
    scores = json.loads((demo/'before/scores.json').read_text())
    assert next(r for r in scores['rows'] if r['slice'] == 'overall')['n'] == 386
    assert {r['lang'] for r in scores['rows'] if r['slice'] == 'lang'} == {'en', 'zh'}
    # one compact summary, one screen: no score table, no domain (they are in the report)
    out = first.stdout
    for line in ('== before training', '== after training', '== before → after (percent, 95% intervals)',
                 'Paired on the same questions (McNemar'): assert line in out
    assert '| overall' not in out and not any(d in out for d in DOMAINS), out
    assert len(out.splitlines()) <= 30, out
    summary = out[out.index('== before → after'):].splitlines()
    rows = [l.split()[:3] for l in summary[2:8]]
    assert rows == [['all', 'before', '386'], ['after', '386', rows[1][2]], ['en', 'before', '208'], ['after', '208', rows[3][2]],
                    ['zh', 'before', '178'], ['after', '178', rows[5][2]]], summary
    assert summary[-1].startswith('By domain, and every answer: ') and summary[-1].endswith(str(Path('runs/demo/report.html')))
    # the trained questions are learned: far more of them are correct after training than before, by a paired test
    trained = set(pl.read_parquet(demo/'train/trained_questions.parquet')['id'])
    after = pl.read_parquet(demo/'after/grades.parquet')
    right = lambda g, ids: g.filter(pl.col('id').is_in(list(ids)) & (pl.col('verdict') == 'CORRECT')).height
    assert right(after, trained) >= 0.5 * len(trained) > right(grades, trained)
    # the printed paired counts are the runs' own: questions right only after training, trained and untrained
    untrained = set(grades['id']) - trained
    only_after = lambda ids: right(after, ids) - after.filter(pl.col('id').is_in(list(ids)) & (pl.col('verdict') == 'CORRECT'))\
        .join(grades.filter(pl.col('verdict') == 'CORRECT'), on='id').height
    for name, ids in (('trained', trained), ('untrained', untrained)):
        line = next(l for l in summary if l.split()[0] == name)
        assert f'n={len(ids)} ' in line and f'right only after {only_after(ids)},' in line and 'p = ' in line, line
    html = (demo/'report.html').read_text()
    assert 'Plotly.newPlot' in html and '<script src="http' not in html and 'after' in html
    # Same model, another folder, evaluation only: every answer comes from the cache.
    second = csqa('demo', '--out', 'runs/again', '--no-train', cwd=tmp_path, env=env)
    assert second.returncode == 0, second.stderr[-3000:]
    manifest = json.loads((tmp_path/'runs/again/before/manifest.json').read_text())
    assert manifest['cache']['hits'] == 386 and manifest['cache']['misses'] == 0
    assert '== before (percent, 95% intervals)' in second.stdout and 'after' not in second.stdout.split('== before (')[1]
    assert pl.read_parquet(tmp_path/'runs/again/before/answers.parquet')['response'].to_list() == answers['response'].to_list()
    assert not (tmp_path/'runs/again/after').exists()

def test_eval_against_a_real_server_with_the_cascade_judge(openai_server, tmp_path):
    "`csqa eval` answers through an OpenAI-compatible server and grades with rules + an LLM judge on that server."
    from conftest import run_csqa
    env = {**os.environ, 'CSQA_CACHE': str(tmp_path/'cache.sqlite')}
    out = tmp_path/'runs/served'
    r = run_csqa('eval', '--model', openai_server.model, '--backend', 'openai', '--base-url', openai_server.base_url,
                 '--data', 'sample', '--limit', '12', '--max-tokens', '16', '--out', out, '--no-progress',
                 '--grader', f'cascade:{openai_server.model}', '--judge-base-url', openai_server.base_url,
                 '--judge-max-tokens', '8', '--by', 'lang', '--n-boot', '200', '--json', env=env)
    assert r.returncode == 0, r.stderr[-3000:]
    scores = json.loads(r.stdout)
    assert next(row for row in scores['rows'] if row['slice'] == 'overall')['n'] == 12
    grades = pl.read_parquet(out/'grades.parquet')
    assert grades['grader'].unique().to_list() == ['cascade'] and len(grades) == 12
    manifest = json.loads((out/'manifest.json').read_text())
    assert manifest['grading']['cascade']['rows'] == 12
    assert sum(manifest['grading']['cascade']['counts'].values()) == 12
