"`csqa grade` with the rules grader on a run folder written here, and `csqa agreement`; bad answers tables."
import json
import polars as pl
from conftest import run_csqa

ANSWERS = {'id': ['q1', 'q2', 'q3', 'q4'], 'sample_idx': [0, 0, 0, 1],
           'question': ['Default PostgreSQL port?', '哈希？', 'Heap insert?', 'Heap insert?'],
           'answer': ['5432', '哈希函数（Hash Function）', 'O(log n)', 'O(log n)'], 'lang': ['en', 'zh', 'en', 'en'],
           'domain': ['Databases', 'Algorithms and Data Structures', None, None],
           'response': ['The default port is 5432.', '无法确定', 'either O(log n) or O(n)', None],
           'error': [None, None, None, 'timeout: no answer']}

def test_grade_rules_end_to_end(tmp_path):
    run = tmp_path/'run'; run.mkdir()
    pl.DataFrame(ANSWERS).write_parquet(run/'answers.parquet')
    # another grader's rows must survive a rules regrade
    pl.DataFrame({'id': ['q1'], 'sample_idx': [0], 'grader': ['judge:m'], 'verdict': ['CORRECT']}).write_parquet(run/'grades.parquet')
    for _ in range(2):
        r = run_csqa('grade', run, '--grader', 'rules', '--json')
        assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)['counts'] == {'CORRECT': 1, 'INCORRECT': 1, 'NOT_ATTEMPTED': 1, 'PARSE_ERROR': 1}
    grades = pl.read_parquet(run/'grades.parquet')
    rules = grades.filter(pl.col('grader') == 'rules').sort('id', 'sample_idx')
    assert len(rules) == 4 and len(grades.filter(pl.col('grader') == 'judge:m')) == 1
    assert rules['verdict'].to_list() == ['CORRECT', 'NOT_ATTEMPTED', 'INCORRECT', 'PARSE_ERROR']
    assert rules['parse_status'].to_list() == ['ok', 'ok', 'ok', 'answer_error']  # q4's request failed
    assert rules['raw'].to_list() == ['span', 'abstain', 'candidate_list', 'answer_error']
    assert rules['domain'][0] == 'Databases'
    manifest = json.loads((run/'manifest.json').read_text())
    assert manifest['grading']['rules']['counts']['NOT_ATTEMPTED'] == 1

    (run/'human.csv').write_text('id,verdict\nq1,A\nq2,C\nq3,CORRECT\n')
    r = run_csqa('agreement', run/'grades.parquet', '--grader-a', 'rules', '--human', run/'human.csv', '--json')
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert (report['n'], report['only_a'], report['only_b']) == (3, 1, 0)
    assert [d['id'] for d in report['disagreements']] == ['q3']
    r = run_csqa('agreement', run/'grades.parquet', '--human', run/'human.csv')
    assert r.returncode == 2 and 'name one' in r.stderr

def test_bad_answers_table_names_file_row_and_field(tmp_path):
    run = tmp_path/'run'; run.mkdir()
    bad = pl.DataFrame(ANSWERS).with_columns(pl.Series('lang', ['en', 'chinese', 'en', 'en']),
                                             pl.Series('answer', ['5432', '哈希函数', '', 'O(log n)']))
    bad.write_parquet(run/'answers.parquet')
    r = run_csqa('grade', run)
    assert r.returncode == 1
    assert f'{run/"answers.parquet"}:2: lang' in r.stderr and f'{run/"answers.parquet"}:3: answer' in r.stderr
    bad.drop('response').write_parquet(run/'answers.parquet')
    r = run_csqa('grade', run)
    assert r.returncode == 1 and 'response: required column missing' in r.stderr
    assert not (run/'grades.parquet').exists()
    assert run_csqa('grade', run, '--grader', 'judge').returncode == 2
