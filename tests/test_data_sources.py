"Sources other than a plain file, progress bars, and a property: the fast path agrees with the per-record check."
import json
from pathlib import Path
import polars as pl
import pytest
from hypothesis import given, settings, strategies as st, HealthCheck
import csqa.data as data
from csqa.data import FORMATS, load_questions, read_questions, record_problems

GOOD = {'question': 'Which SQL clause filters groups?', 'answer': 'HAVING', 'domain': ['Databases', 'Query Processing'],
        'programming_language': 'c-sharp', 'human_language': 'english'}

def test_sample_placeholder(workdir, monkeypatch):
    "'sample' resolves through `sample_path`; a 3-row placeholder stands in for the bundled file here."
    placeholder = workdir/'sample.jsonl'
    rows = [{'question': f'q{i}', 'answer': f'a{i}', 'lang': 'en', 'domain': 'Databases', 'prog_lang': 'sql'} for i in range(3)]
    placeholder.write_text(''.join(json.dumps(r) + '\n' for r in rows))
    monkeypatch.setattr(data, 'sample_path', lambda: placeholder)
    df = load_questions('sample')
    assert len(df) == 3 and df['source'].to_list() == ['canonical:sample.jsonl'] * 3

def test_bundled_sample_if_present():
    if not data.sample_path().exists(): pytest.skip('the bundled sample csqa/data/sample.jsonl is not there yet')
    assert len(load_questions('sample')) >= 150

def test_dataset_source():
    import datasets
    ds = datasets.Dataset.from_list([GOOD, {**GOOD, 'human_language': 'chinese'}])
    assert load_questions(ds)['lang'].to_list() == ['en', 'zh']

def test_canonical_csv_aliases(workdir):
    Path('c.csv').write_text('question,answer,aliases,lang\nq,a,"[""x"", ""y""]",en\nq2,a2,,zh\nq3,a3,[oops,en\n')
    res = read_questions('c.csv', lenient=True)
    assert res.table['aliases'].to_list() == [['x', 'y'], []]
    assert [str(p) for p in res.problems] == ['c.csv:4: aliases: not a JSON list of strings']

def test_progress_bar(workdir, capsys):
    Path('q.jsonl').write_text(json.dumps(GOOD) + '\n')
    read_questions('q.jsonl', progress=True)
    assert 'checking' in capsys.readouterr().err
    read_questions('q.jsonl')  # small file: no bar
    assert capsys.readouterr().err == ''

# A property: whatever mix of good and bad lines a file holds, the lines that fail are exactly those that the per-record
# check (json.loads + record_problems) rejects, and the clean ones load with their values.
values = st.one_of(st.text(max_size=8), st.just(''), st.just('  '), st.integers(), st.none(), st.booleans(),
                   st.lists(st.text(max_size=5), max_size=3), st.just(['Databases', 'Query Processing']),
                   st.just(['Databases', 5]), st.dictionaries(st.just('question'), st.integers(), max_size=1),
                   st.sampled_from(['english', 'chinese', 'EN', '中文', 'klingon']))
def record():
    fields = list(GOOD)
    return st.fixed_dictionaries({}, optional={f: st.one_of(st.just(GOOD[f]), values) for f in fields})
def line():
    return st.one_of(record().map(lambda r: json.dumps({**GOOD, **r}, ensure_ascii=False)),
                     record().map(lambda r: json.dumps(r, ensure_ascii=False, indent=None, separators=(',', ':'))),
                     st.sampled_from(['{"question": "x"', '[1, 2]', '"text"', '{"question": "q", "question": 5}', 'null',
                                     json.dumps(GOOD)[:-1] + ', "quest\\u0069on": 42}',
                                     '{"question": 5, ' + json.dumps(GOOD)[1:]]))

@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(line(), min_size=1, max_size=20))
def test_fast_path_agrees_with_record_check(tmp_path, lines):
    path = tmp_path/'f.jsonl'
    path.write_text('\n'.join(lines) + '\n', encoding='utf-8')
    expected_bad = set()
    for i, text in enumerate(lines, 1):
        try: rec = json.loads(text)
        except json.JSONDecodeError: expected_bad.add(i); continue
        if record_problems(rec, FORMATS['codesimpleqa']): expected_bad.add(i)
    res = read_questions(path, format='codesimpleqa', lenient=True)
    assert {q['line'] for q in res.quarantined} == expected_bad
    assert res.rows_loaded == len(lines) - len(expected_bad) == len(res.table)
    checked = read_questions(path, format='codesimpleqa', lenient=True, table=False)  # the validation-only fast path
    assert (checked.problems, checked.quarantined, checked.rows_loaded) == (res.problems, res.quarantined, res.rows_loaded)

# A property: a line that `_valid_line_pattern` proves valid is always accepted by json.loads + record_problems.
texts = st.one_of(st.text(max_size=6), st.text(alphabet=' \t\x1c\x1f\x85\xa0\u2028\u3000\u180e\u200b"\\/\x00\x7fé中', max_size=4))
shaped = st.fixed_dictionaries({'question': texts, 'answer': texts, 'domain': st.lists(texts, min_size=2, max_size=2),
                                'programming_language': texts, 'human_language': st.sampled_from(['english', 'chinese', 'en', 'zh', 'EN'])})
@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(shaped, st.booleans()), min_size=1, max_size=30))
def test_proved_lines_pass_record_check(recs):
    fmt = FORMATS['codesimpleqa']
    lines = [json.dumps(r, ensure_ascii=a) for r, a in recs]
    proved = pl.Series(lines, dtype=pl.String).str.contains(data._valid_line_pattern(fmt)).to_list()
    for text, ok in zip(lines, proved):
        if ok: assert record_problems(json.loads(text), fmt) == [], text
