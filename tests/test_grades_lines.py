"Problems in graded tables name the physical line of the bad row, whatever spans or gaps precede it."
import polars as pl, pytest
from csqa.grades import read_grades
from csqa.schema import InvalidInput

def _lines(path):
    with pytest.raises(InvalidInput) as e: read_grades(path)
    return [(p.line, p.field) for p in e.value.problems]

def test_csv_cell_spanning_lines(tmp_path):
    p = tmp_path/'g.csv'
    p.write_text('id,verdict,raw\n1,CORRECT,"one\ntwo\nthree"\n2,CORRECT,x\n3,RIGHT,y\n')
    assert _lines(p) == [(6, 'verdict')]

def test_csv_crlf_and_blank_line(tmp_path):
    p = tmp_path/'g.csv'
    p.write_bytes(b'id,verdict\r\n1,CORRECT\r\n\r\n2,"multi\r\nline"\r\n')
    assert _lines(p) == [(3, 'id'), (3, 'verdict'), (4, 'verdict')]

def test_jsonl_blank_lines(tmp_path):
    p = tmp_path/'g.jsonl'
    p.write_text('{"id": "1", "verdict": "CORRECT"}\n\n  \n{"id": "2", "verdict": "WRONG"}\n')
    assert _lines(p) == [(4, 'verdict')]

def test_parquet_reports_row_numbers(tmp_path):
    p = tmp_path/'g.parquet'
    pl.DataFrame({'id': ['1', '2'], 'verdict': ['CORRECT', 'WRONG']}).write_parquet(p)
    assert _lines(p) == [(2, 'verdict')]
