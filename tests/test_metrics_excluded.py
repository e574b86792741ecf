"""Failed requests are left out of scores and counted as structured integers per status and slice; the command line,
not the library, words them."""
import polars as pl
from csqa.cli.score import score_warnings
from csqa.metrics import EXCLUDED_COLUMNS, EXCLUDED_STATUSES, score

GRADES = pl.DataFrame({
    'id': [f'q{i}' for i in range(8)], 'lang': ['en'] * 5 + ['zh'] * 3, 'grader': 'rules',
    'verdict': ['CORRECT', 'INCORRECT', 'PARSE_ERROR', 'PARSE_ERROR', 'PARSE_ERROR', 'CORRECT', 'PARSE_ERROR', 'NOT_ATTEMPTED'],
    'parse_status': ['ok', 'ok', 'answer_error', 'answer_error', 'judge_error', 'ok', 'judge_error', 'ok']})

def test_excluded_rows_are_integer_counts_per_status_and_slice():
    s = score(GRADES, n_boot=0)
    assert EXCLUDED_COLUMNS == ('n_answer_error', 'n_judge_error') and EXCLUDED_STATUSES == ('answer_error', 'judge_error')
    assert 'excluded' not in s.columns and all(s[c].dtype == pl.Int64 for c in (*EXCLUDED_COLUMNS, 'n_excluded'))
    rows = {(r['slice'], r['lang']): r for r in s.iter_rows(named=True)}
    counts = lambda r: (r['n'], r['n_answer_error'], r['n_judge_error'], r['n_excluded'])
    assert counts(rows[('overall', None)]) == (4, 2, 2, 4)
    assert counts(rows[('lang', 'en')]) == (2, 2, 1, 3)
    assert counts(rows[('lang', 'zh')]) == (2, 0, 1, 1)

def test_a_clean_table_counts_zero():
    s = score(GRADES.filter(pl.col('parse_status') == 'ok'), n_boot=0)
    assert s.select(*EXCLUDED_COLUMNS, 'n_excluded').sum().row(0) == (0, 0, 0)

def test_the_command_line_words_the_counts(tmp_path):
    table = tmp_path/'graded.parquet'
    GRADES.write_parquet(table)
    warnings = score_warnings(table, score(GRADES, n_boot=0))
    assert warnings == ['rules: 4 rows excluded from the scores: 2 whose answering request failed (rerun `csqa answer` on '
                        'the run to retry them); 2 whose judge request failed (rerun `csqa grade` on the run to retry them)']
    one = GRADES.filter(pl.col('parse_status') != 'judge_error').head(3)
    assert score_warnings(table, score(one, n_boot=0)) == [
        'rules: 1 row excluded from the scores: 1 whose answering request failed (rerun `csqa answer` on the run to retry them)']
    assert score_warnings(table, score(GRADES.filter(pl.col('parse_status') == 'ok'), n_boot=0)) == []
