"csqa score / compare / report from the command line, on hand-made graded tables with known counts."
import json, subprocess, sys
import polars as pl, pytest
from csqa.cli import main

def graded_table():
    # en/Databases/python: 3 correct, 1 incorrect, 1 not attempted, 1 parse error  (6)
    # en/Databases/sql:    2 correct, 2 incorrect                                    (4)
    # zh/Databases/python: 1 correct, 3 not attempted                                (4)
    # zh/Web/sql:          0 correct, 0 incorrect, 2 not attempted                   (2)
    cells = [('en', 'Databases', 'python', {'CORRECT': 3, 'INCORRECT': 1, 'NOT_ATTEMPTED': 1, 'PARSE_ERROR': 1}),
             ('en', 'Databases', 'sql', {'CORRECT': 2, 'INCORRECT': 2}),
             ('zh', 'Databases', 'python', {'CORRECT': 1, 'NOT_ATTEMPTED': 3}),
             ('zh', 'Web Technologies', 'sql', {'NOT_ATTEMPTED': 2})]
    rows = [dict(lang=l, domain=d, prog_lang=p, verdict=v) for l, d, p, counts in cells for v, k in counts.items() for _ in range(k)]
    return pl.DataFrame(rows).with_row_index('i').select(pl.format('q{}', 'i').alias('id'), pl.exclude('i'))

def expected(a, b, c, p=0):
    n = a + b + c + p
    correct, cga = a / n, (a / (a + b) if a + b else 0.0)
    f = 2 * correct * cga / (correct + cga) if correct + cga else 0.0
    return dict(n=n, correct=correct, incorrect=b / n, not_attempted=c / n, parse_error=p / n, cga=cga, f=f)

def run(argv, capsys):
    code = main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err

@pytest.mark.parametrize('suffix', ['jsonl', 'csv', 'parquet'])
def test_score_json_exact_values(tmp_path, capsys, suffix):
    path = tmp_path / f'graded.{suffix}'
    df = graded_table()
    {'jsonl': df.write_ndjson, 'csv': df.write_csv, 'parquet': df.write_parquet}[suffix](path)
    code, out, _ = run(['score', str(path), '--by', 'lang,domain,prog_lang', '--by', 'prog_lang', '--json', '--n-boot', '200'], capsys)
    assert code == 0
    rows = json.loads(out)['rows']
    got = {(r['slice'], r['lang'], r['domain'], r['prog_lang']): r for r in rows}
    want = {('overall', None, None, None): expected(6, 3, 6, 1),
            ('lang', 'en', None, None): expected(5, 3, 1, 1),
            ('lang', 'zh', None, None): expected(1, 0, 5),
            ('lang×domain×prog_lang', 'en', 'Databases', 'python'): expected(3, 1, 1, 1),
            ('lang×domain×prog_lang', 'en', 'Databases', 'sql'): expected(2, 2, 0),
            ('lang×domain×prog_lang', 'zh', 'Databases', 'python'): expected(1, 0, 3),
            ('lang×domain×prog_lang', 'zh', 'Web Technologies', 'sql'): expected(0, 0, 2),
            ('prog_lang', None, None, 'python'): expected(4, 1, 4, 1),
            ('prog_lang', None, None, 'sql'): expected(2, 2, 2)}
    assert set(got) == set(want)
    for key, w in want.items():
        for m, v in w.items(): assert got[key][m] == pytest.approx(v, abs=1e-12), (key, m)
    assert got[('lang', 'zh', None, None)]['cga'] == 1.0 and got[('lang×domain×prog_lang', 'zh', 'Web Technologies', 'sql')]['f'] == 0.0
    assert all(r['small_n'] for r in rows) and all(r['grader'] == 'given' for r in rows)
    assert not (tmp_path / 'scores.json').exists()  # only run folders get a scores.json

def test_score_run_folder_writes_scores_and_prints_table(tmp_path, capsys):
    df = graded_table().with_columns(pl.lit(0).alias('sample_idx'))
    both = pl.concat([df.with_columns(pl.lit('rules').alias('grader')),
                      df.with_columns(pl.lit('judge:x').alias('grader'), pl.lit('CORRECT').alias('verdict'))])
    both.write_parquet(tmp_path / 'grades.parquet')
    code, out, _ = run(['score', str(tmp_path), '--n-boot', '100'], capsys)
    assert code == 0 and 'overall' in out and '[' in out
    stored = json.loads((tmp_path / 'scores.json').read_text())
    overall = {r['grader']: r for r in stored['rows'] if r['slice'] == 'overall'}
    assert overall['judge:x']['correct'] == 1.0 and overall['rules']['correct'] == pytest.approx(6 / 16)
    code, out, _ = run(['score', str(tmp_path), '--grader', 'rules', '--json', '--n-boot', '0'], capsys)
    assert {r['grader'] for r in json.loads(out)['rows']} == {'rules'}
    code, _, err = run(['score', str(tmp_path), '--grader', 'nobody'], capsys)
    assert code == 2 and 'nobody' in err

def test_score_bad_verdict_exits_1_with_lines(tmp_path, capsys):
    path = tmp_path / 'g.jsonl'
    path.write_text('{"id": "a", "verdict": "CORRECT"}\n{"id": "b", "verdict": "YES"}\n')
    code, _, err = run(['score', str(path)], capsys)
    assert code == 1 and f"{path}:2: verdict: unknown verdict 'YES'" in err

def test_compare_cli_reports_unpaired(tmp_path, capsys):
    a = graded_table()
    b = a.with_columns(pl.lit('CORRECT').alias('verdict'))[2:]
    a.write_ndjson(tmp_path / 'a.jsonl'); b.write_ndjson(tmp_path / 'b.jsonl')
    code, out, _ = run(['compare', str(tmp_path / 'a.jsonl'), str(tmp_path / 'b.jsonl'), '--json', '--n-boot', '200'], capsys)
    res = json.loads(out)
    assert code == 0 and res['paired'] == 14 and res['only_a'] == [{'id': 'q0', 'sample_idx': 0}, {'id': 'q1', 'sample_idx': 0}]
    overall = next(s for s in res['slices'] if s['slice'] == 'overall')
    assert overall['right_a_only'] == 0 and overall['right_b_only'] == 14 - 4  # a's q0,q1 were two of its 6 correct
    code, out, _ = run(['compare', str(tmp_path / 'a.jsonl'), str(tmp_path / 'b.jsonl'), '--n-boot', '50'], capsys)
    assert 'graded in A only: 2' in out

def test_csqa_script_runs(tmp_path):
    path = tmp_path / 'g.csv'
    graded_table().write_csv(path)
    res = subprocess.run([sys.executable, '-c', 'import sys; from csqa.cli import main; sys.exit(main())',
                          'score', str(path), '--json', '--n-boot', '0'], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)['rows'][0]['correct'] == pytest.approx(6 / 16)
