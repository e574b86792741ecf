"Problems in graded tables name the physical line of the bad row, whatever spans or gaps precede it."
import polars as pl, pytest
from csqa.grades import read_grades
from csqa.schema import InvalidInput

def _lines(path):
    with pytest.raises(InvalidInput) as e: read_grades(path)
    return [(p.line, p.field) for p in e.value.problems]

@pytest.mark.parametrize('name, content, expected', [
    ('cell spanning lines.csv', b'id,verdict,raw\n1,CORRECT,"one\ntwo\nthree"\n2,CORRECT,x\n3,RIGHT,y\n', [(6, 'verdict')]),
    ('crlf and blank line.csv', b'id,verdict\r\n1,CORRECT\r\n\r\n2,"multi\r\nline"\r\n',
     [(3, 'id'), (3, 'verdict'), (4, 'verdict')]),
    ('blank lines.jsonl', b'{"id": "1", "verdict": "CORRECT"}\n\n  \n{"id": "2", "verdict": "WRONG"}\n', [(4, 'verdict')]),
])
def test_text_files_report_physical_lines(tmp_path, name, content, expected):
    p = tmp_path/name.replace(' ', '_')
    p.write_bytes(content)
    assert _lines(p) == expected

def test_parquet_reports_row_numbers(tmp_path):
    p = tmp_path/'g.parquet'
    pl.DataFrame({'id': ['1', '2'], 'verdict': ['CORRECT', 'WRONG']}).write_parquet(p)
    assert _lines(p) == [(2, 'verdict')]
