"Sources other than a plain file, progress bars, and a property: the fast path agrees with the per-record check."
import json, os
from pathlib import Path
import polars as pl
import pytest
from hypothesis import given, settings, strategies as st, HealthCheck
import csqa.data as data
from csqa.data import FORMATS, load_questions, read_questions, record_problems
from csqa.schema import InvalidInput

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
    assert ('reading' if data._jsonl else 'checking') in capsys.readouterr().err  # a bar of bytes where the compiled scan reads it
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
                     st.sampled_from(list(GOOD)).map(lambda f: json.dumps({k: v for k, v in GOOD.items() if k != f})),
                     record().map(lambda r: json.dumps(r, ensure_ascii=False, indent=None, separators=(',', ':'))),
                     st.sampled_from(['{"question": "x"', '[1, 2]', '"text"', '{"question": "q", "question": 5}', 'null',
                                     json.dumps(GOOD)[:-1] + ', "quest\\u0069on": 42}',
                                     '{"question": 5, ' + json.dumps(GOOD)[1:],
                                     json.dumps(GOOD).replace('Which', 'Wh\\ud800ich'),
                                     json.dumps(GOOD).replace('Which', 'Wh\\ud83d\\ude00ich')]))

needs_compiled = pytest.mark.skipif(data._jsonl is None, reason='csqa/_jsonl.c was not built here (no C compiler?)')

def test_compiled_proof_is_built():
    "CI builds csqa/_jsonl.c (pip compiles it); elsewhere a missing compiler only costs speed."
    if data._jsonl is None:
        if os.environ.get('CI') == 'true': pytest.fail('csqa._jsonl is missing: pip could not compile csqa/_jsonl.c')
        pytest.skip('csqa/_jsonl.c was not built here (no C compiler?)')

@pytest.fixture(params=['compiled-proof', 'regex-proof'])
def proof(request, monkeypatch):
    "Run a test with the compiled proof of clean lines, and again with the regular expression alone."
    if request.param == 'regex-proof': monkeypatch.setattr(data, '_jsonl', None)
    elif data._jsonl is None: pytest.skip('csqa/_jsonl.c was not built here (no C compiler?)')
    return request.param

@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(line(), min_size=1, max_size=20))
def test_fast_path_agrees_with_record_check(tmp_path, proof, lines):
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

# A property: the compiled proof (csqa/_jsonl.c) proves exactly the lines `_valid_line_pattern` matches, for every
# format it can judge, whatever bytes a line holds; and it counts lines as `_read_lines` does.
CANONICAL = {'id': 'x1', 'question': 'q', 'answer': 'a', 'aliases': ['b'], 'lang': 'en', 'domain': 'Databases',
             'subdomain': 'Query Processing', 'prog_lang': 'sql', 'source': 'doc', 'pair_id': 7}
CHINESE = {'id': 3, 'primary_category': '计算机', 'secondary_category': '数据库', 'question': '什么？', 'answer': '栈', 'urls': []}
BASES = {'codesimpleqa': GOOD, 'canonical': CANONICAL, 'chinese-simpleqa': CHINESE}
odd = st.one_of(texts, st.sampled_from(['', ' ', '\u3000', 'x\\', '\\u12', '\\u00e9', '\\q', '"', '\udce9', '\t', '\r',
                                       '\\ud800', '\\uDBFF\\uDC00', '\\ud7ff', '\\ue000', '\ud800', '\ud83d\ude00']),
                st.integers(-3, 12), st.none(), st.booleans(), st.lists(texts, max_size=3), st.just(['a', 'b']))
def shaped_line(fmt_name):
    base = BASES[fmt_name]
    rec = st.fixed_dictionaries({f: st.one_of(st.just(v), odd) for f, v in base.items()})
    def render(r, spaces, drop, mangle, ascii):  # ascii: non-ASCII (surrogates too) as \\u escapes
        text = json.dumps({k: v for i, (k, v) in enumerate(r.items()) if i != drop}, ensure_ascii=ascii,
                          separators=(', ', ': ') if spaces else (',', ':'))
        for old, new in mangle: text = text.replace(old, new, 1)
        return text
    mangles = st.lists(st.tuples(st.sampled_from(['"', ',', ':', ' ', '[', ']', '{', '}', '\\', 'null', '7', 'e']),
                                 st.sampled_from(['', ' ', '\t', '\r', '\x00', '\\"', '""', 'null', '\xe9', '\u3000',
                                                '\\ud800', '\\udfff', '\\uD83D\\uDE00', '\\ud7ff'])), max_size=2)
    return st.builds(render, rec, st.booleans(), st.one_of(st.none(), st.integers(0, len(base) - 1)), mangles, st.booleans())

@needs_compiled
@pytest.mark.parametrize('fmt_name', list(BASES))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.data())
def test_compiled_proof_matches_pattern(tmp_path, fmt_name, lines):
    fmt = FORMATS[fmt_name]
    texts_ = lines.draw(st.lists(shaped_line(fmt_name), min_size=1, max_size=25))
    path = tmp_path/'f.jsonl'
    path.write_bytes('\n'.join(texts_).encode('utf-8', 'surrogatepass') + b'\n')  # a raw surrogate: bytes that are not UTF-8
    proof = data._prove_jsonl(path, fmt, pieces=lines.draw(st.integers(1, 4)))
    frame, undecodable = data._read_lines(path, 'f.jsonl')
    assert proof.lines == frame.height
    by_pattern = frame['text'].str.contains(data._valid_line_pattern(fmt)).fill_null(False).to_list()
    assert [i + 1 not in set(proof.unproved) for i in range(proof.lines)] == by_pattern
    # the unproved lines' bytes decode to what `_read_lines` reads there
    texts, bad = data._decode_numbered(proof.raw, proof.unproved, 'f.jsonl')
    assert texts == [frame['text'][i - 1] or '' for i in proof.unproved] and bad.keys() == undecodable.keys()

@needs_compiled
def test_unmappable_file_falls_back_to_the_pattern(tmp_path, monkeypatch):
    "Where the file cannot be memory-mapped, the compiled proof steps aside and validation gives the same answer."
    path = tmp_path/'q.jsonl'
    path.write_text(json.dumps(GOOD) + '\n' + json.dumps({**GOOD, 'question': ' '}) + '\n')
    expected = read_questions(path, lenient=True, table=False)
    def refuse(*a, **k): raise OSError('mmap not supported here')
    monkeypatch.setattr(data.mmap, 'mmap', refuse)
    assert data._prove_jsonl(path, FORMATS['codesimpleqa']) is None
    got = read_questions(path, lenient=True, table=False)
    assert (got.problems, got.rows_read, got.rows_loaded) == (expected.problems, expected.rows_read, expected.rows_loaded)
    assert [str(p) for p in got.problems] == [f'{path}:2: question: empty field']

@needs_compiled
def test_progress_bar_while_proving(workdir, capsys):
    "Validating a large file with the compiled proof shows a bar of bytes (asked for here; 'auto' shows it above 50 MB)."
    Path('q.jsonl').write_text(json.dumps(GOOD) + '\n')
    read_questions('q.jsonl', table=False, progress=True)
    assert 'proving' in capsys.readouterr().err
    read_questions('q.jsonl', table=False)
    assert capsys.readouterr().err == ''

# A property: loading with the compiled scan's values and ids (`extract_lines`) gives the very table, problems and
# counts that loading without it gives (the pattern, polars' decoder, json.loads, and ids hashed in polars or Python).
@needs_compiled
@pytest.mark.parametrize('fmt_name', list(BASES))
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.data())
def test_compiled_load_matches_the_fallback(tmp_path, monkeypatch, fmt_name, lines):
    texts_ = lines.draw(st.lists(shaped_line(fmt_name), min_size=1, max_size=25))
    path = tmp_path/'f.jsonl'
    path.write_bytes('\n'.join(texts_).encode('utf-8', 'surrogatepass') + b'\n')
    def load():
        try: return read_questions(path, format=fmt_name, lenient=True)
        except InvalidInput as e: return str(e)  # a file of blank lines only: 'empty file' both ways
    fast = load()
    monkeypatch.setattr(data, '_jsonl', None)
    slow = load()
    if isinstance(fast, str): assert fast == slow; return
    assert (fast.problems, fast.quarantined, fast.rows_read, fast.rows_loaded) == (slow.problems, slow.quarantined, slow.rows_read, slow.rows_loaded)
    assert fast.table.to_dicts() == slow.table.to_dicts()

# A property: the compiled module's ids (`hash_ids`) are `question_ids`' ids wherever it makes one, and it leaves to
# Python exactly the texts that are not plain (a character NFC could change, or one the two strips disagree on).
tricky_texts = st.text(alphabet=st.sampled_from(list(' \t\n\x0b\x1c\x1f\x85\xa0\u2028\u3000\u0301\u00e9e中？Zz\U0001F600\u2010\u205f')), max_size=8)
@needs_compiled
@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(tricky_texts, tricky_texts, st.sampled_from(['en', 'zh', ''])), min_size=1, max_size=20))
def test_compiled_ids_are_question_ids(items):
    from csqa.schema import question_ids
    q, a, codes = (pl.Series(c, dtype=pl.String) for c in zip(*items))
    made = data._compiled_ids(q, a, codes).to_list()
    plain = q.str.contains(data._PLAIN_TEXT) & a.str.contains(data._PLAIN_TEXT) & (codes != '')
    assert [m is not None for m in made] == plain.to_list()
    for (qi, ai, ci), m in zip(items, made):
        if m is not None: assert m == question_ids([qi], [ai], [ci])[0]
