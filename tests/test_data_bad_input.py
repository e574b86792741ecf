"Malformed benchmark files: exact problems in strict mode, exact counts in lenient mode, and the CLI's exit codes."
import json, os, subprocess, sys
from pathlib import Path
import pytest
from csqa.data import read_questions, load_questions
from csqa.schema import InvalidInput

REPO = Path(__file__).parents[1]
GOOD = {'question': 'Which SQL clause filters groups?', 'answer': 'HAVING', 'domain': ['Databases', 'Query Processing'],
        'programming_language': 'sql', 'human_language': 'english'}
ZH = {'id': 'z1', 'primary_category': '自然与自然科学', 'secondary_category': '计算机科学', 'question': '什么是栈？',
      'answer': '后进先出的数据结构', 'urls': ['https://example.org']}

def rec(base=GOOD, drop=(), **kw)->str:
    return json.dumps({k: v for k, v in {**base, **kw}.items() if k not in drop}, ensure_ascii=False)

def lines(*ls)->bytes: return ('\n'.join(ls) + '\n').encode()

SIMPLEQA_HEADER = 'metadata,problem,answer'
def csv_row(meta, problem, answer): return ','.join('"' + s.replace('"', '""') + '"' for s in (meta, problem, answer))

# name → (bytes, strict problems, lenient (read, loaded, quarantined)); None problems: a clean file
CORPUS = {
    'invalid_json.jsonl': (lines(rec(), rec(), '{"question": "x", "answer": }'),
                           ['invalid_json.jsonl:3: -: invalid JSON: Expecting value (column 29)'], (3, 2, 1)),
    'missing_field.jsonl': (lines(rec(), rec(drop=('answer',))), ['missing_field.jsonl:2: answer: missing field'], (2, 1, 1)),
    # a missing language or domain once made the row vanish from both the clean and the doubtful rows
    'missing_lang_domain.jsonl': (lines(rec(), rec(drop=('human_language',)), rec(drop=('domain',)), rec()),
                                  ['missing_lang_domain.jsonl:2: human_language: missing field',
                                   'missing_lang_domain.jsonl:3: domain: missing field'], (4, 2, 2)),
    'empty_field.jsonl': (lines(rec(answer=''), rec(question='   '), rec()),
                          ['empty_field.jsonl:1: answer: empty field', 'empty_field.jsonl:2: question: empty field'], (3, 1, 2)),
    'wrong_type.jsonl': (lines(rec(domain='Databases'), rec(question=42), rec(domain=['Databases', 7]), rec()),
                         ['wrong_type.jsonl:1: domain: wrong type: expected a list [main, sub], got a string',
                          'wrong_type.jsonl:2: question: wrong type: expected a string, got an integer',
                          'wrong_type.jsonl:3: domain: wrong type: expected a list of 2 strings'], (4, 1, 3)),
    'unknown_language.jsonl': (lines(rec(), rec(), rec(human_language='klingon')),
                               ["unknown_language.jsonl:3: human_language: unknown language 'klingon'"], (3, 2, 1)),
    'undecodable.jsonl': (lines(rec()) + b'{"question": "caf\xe9"}\n' + lines(rec()),
                          ['undecodable.jsonl:2: -: undecodable bytes: not UTF-8 at byte 18'], (3, 2, 1)),
    'not_an_object.jsonl': (lines(rec(), '[1, 2]'), ['not_an_object.jsonl:2: -: expected a JSON object, got a list'], (2, 1, 1)),
    # JSON may spell a lone surrogate; it is not text (no UTF-8 for it), while a proper pair is one character
    'lone_surrogate.jsonl': (lines(rec(), rec().replace('Which', 'Wh\\ud800ich'), rec().replace('HAVING', 'HAVING \\ud83d\\ude00')),
                             ['lone_surrogate.jsonl:2: question: not valid text: a lone surrogate \\ud800'], (3, 2, 1)),
    'empty.jsonl': (b'', ['empty.jsonl:-: -: empty file'], None),
    'blank_lines.jsonl': (lines(rec(), '', '   ', rec(human_language='chinese')), None, (2, 2, 0)),
    'bom_crlf.jsonl': (b'\xef\xbb\xbf' + (rec() + '\r\n\r\n' + rec(human_language='chinese') + '\r\n').encode(), None, (2, 2, 0)),
    'simpleqa_bad.csv': (('\n'.join([SIMPLEQA_HEADER,
                                    csv_row("{'topic': 'Art', 'answer_type': 'Person', 'urls': ['https://a.org']}", 'Who painted it?', 'Monet'),
                                    csv_row("{'topic': 'Music', 'urls': ['https://b.org'", 'Which year?', '1999'),
                                    csv_row("__import__('os').getcwd()", 'Which city?', 'Paris')]) + '\n').encode(),
                         ["simpleqa_bad.csv:3: metadata: not a Python literal: '[' was never closed",
                          'simpleqa_bad.csv:4: metadata: not a Python literal: only literals (strings, numbers, lists, dicts) are allowed'],
                         (3, 1, 2)),
    'simpleqa_multiline.csv': (('\n'.join([SIMPLEQA_HEADER,
                                          csv_row("{'topic': 'Art'}", 'Who painted\nthe water lilies?', 'Monet'),
                                          csv_row("{'topic': 'Art'}", 'Who?', '')]) + '\n').encode(),
                               ['simpleqa_multiline.csv:4: answer: empty field'], (2, 1, 1)),
    'simpleqa_ok.csv': ((SIMPLEQA_HEADER + '\r\n' + csv_row("{'topic': 'Art'}", 'Who painted it?', 'Monet') + '\r\n').encode(),
                        None, (1, 1, 0)),
    'chinese_missing.jsonl': (lines(rec(ZH), rec(ZH, drop=('primary_category',)), rec(ZH, id=7)),
                              ['chinese_missing.jsonl:2: primary_category: missing field'], (3, 2, 1)),
    'chinese_missing.json': (('[\n  ' + rec(ZH) + ',\n  ' + rec(ZH, drop=('question',)) + '\n]\n').encode(),
                             ['chinese_missing.json:3: question: missing field'], (2, 1, 1)),
}
BAD = [n for n, (_, probs, _) in CORPUS.items() if probs]
CLEAN = [n for n, (_, probs, _) in CORPUS.items() if not probs]

@pytest.fixture
def corpus(workdir):
    for name, (data, _, _) in CORPUS.items(): (workdir/name).write_bytes(data)
    return workdir

@pytest.mark.parametrize('name', BAD)
def test_strict_lists_every_problem(corpus, name):
    with pytest.raises(InvalidInput) as e: read_questions(name)
    assert [str(p) for p in e.value.problems] == CORPUS[name][1]

@pytest.mark.parametrize('name', [n for n in CORPUS if CORPUS[n][2]])
def test_lenient_counts(corpus, name):
    res = read_questions(name, lenient=True, quarantine='q.jsonl')
    assert (res.rows_read, res.rows_loaded, res.rows_quarantined) == CORPUS[name][2]
    assert len(res.table) == res.rows_loaded
    quarantined = [json.loads(l) for l in Path('q.jsonl').read_text(encoding='utf-8').splitlines()]
    assert len(quarantined) == res.rows_quarantined
    assert [str(p) for p in res.problems] == (CORPUS[name][1] or [])
    assert sorted({q['line'] for q in quarantined}) == sorted({p.line for p in res.problems})

def test_every_row_read_is_loaded_or_quarantined(corpus):
    "Across the whole corpus, nothing disappears: read = loaded + quarantined, and the quarantine keeps the raw text."
    for name in CORPUS:
        if name == 'empty.jsonl': continue
        res = read_questions(name, lenient=True)
        assert res.rows_read == res.rows_loaded + res.rows_quarantined == len(res.table) + len(res.quarantined), name
        assert all(q['raw'] and q['problems'] for q in res.quarantined), name

def test_empty_file_fails_even_when_lenient(corpus):
    with pytest.raises(InvalidInput, match='empty file'): read_questions('empty.jsonl', lenient=True)

def test_lenient_load_warns(corpus):
    with pytest.warns(UserWarning, match='1 of 3 row'): df = load_questions('unknown_language.jsonl', lenient=True)
    assert len(df) == 2

def test_clean_files_load(corpus):
    df = load_questions('bom_crlf.jsonl')
    assert df['lang'].to_list() == ['en', 'zh'] and df['question'][0] == GOOD['question']
    df = load_questions('simpleqa_ok.csv')
    assert df.select('lang', 'domain', 'prog_lang', 'source').row(0) == ('en', 'Art', 'others', 'simpleqa:simpleqa_ok.csv')
    with pytest.warns(UserWarning, match='written to q.jsonl'):
        df = load_questions('chinese_missing.jsonl', lenient=True, quarantine='q.jsonl')
    assert df['id'].to_list() == ['z1', '7'] and set(df['lang']) == {'zh'}

@pytest.mark.parametrize('compiled', [True, False], ids=['compiled-proof', 'regex-proof'])
def test_validation_same_with_or_without_compiled_proof(corpus, monkeypatch, compiled):
    "Validating only (the CLI's path) reports what a full load reports, whichever proof of clean lines is in use."
    import csqa.data
    if compiled and csqa.data._jsonl is None: pytest.skip('csqa/_jsonl.c was not built here (no C compiler?)')
    if not compiled: monkeypatch.setattr(csqa.data, '_jsonl', None)
    for name in CORPUS:
        if name == 'empty.jsonl':
            with pytest.raises(InvalidInput, match='empty file'): read_questions(name, lenient=True, table=False)
            continue
        full, only = read_questions(name, lenient=True), read_questions(name, lenient=True, table=False)
        assert (only.problems, only.quarantined, only.rows_read, only.rows_loaded) == \
               (full.problems, full.quarantined, full.rows_read, full.rows_loaded), name

def csqa_cli(*args, cwd):
    env = {**os.environ, 'PYTHONPATH': str(REPO)}
    return subprocess.run([sys.executable, '-c', 'import sys; from csqa.cli import main; sys.exit(main())', *args],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=120)

def test_cli_validate(corpus):
    "`csqa data validate` in a subprocess: exit 1 with exactly the problems on stderr, or exit 0 with the counts."
    for name in BAD:
        r = csqa_cli('data', 'validate', name, cwd=corpus)
        assert r.returncode == 1, (name, r.stderr)
        assert r.stderr.splitlines() == CORPUS[name][1], name
    for name in CLEAN:
        r = csqa_cli('data', 'validate', name, cwd=corpus)
        assert r.returncode == 0, (name, r.stderr)
        read, loaded, _ = CORPUS[name][2]
        assert f'{read} rows read, {loaded} loaded, 0 quarantined' in r.stdout

def test_cli_lenient(corpus):
    r = csqa_cli('data', 'validate', 'wrong_type.jsonl', '--lenient', '--quarantine', 'out/q.jsonl', '--json', cwd=corpus)
    assert r.returncode == 0
    got = json.loads(r.stdout)
    assert (got['rows_read'], got['rows_loaded'], got['rows_quarantined']) == (4, 1, 3)
    assert 'warning: 3 of 4 row(s) quarantined to out/q.jsonl' in r.stderr
    assert len((corpus/'out'/'q.jsonl').read_text().splitlines()) == 3
    assert csqa_cli('data', 'validate', 'empty.jsonl', '--lenient', cwd=corpus).returncode == 1
    assert csqa_cli('data', 'validate', 'x.jsonl', '--quarantine', 'q.jsonl', cwd=corpus).returncode == 2

# A property: whatever damage a file takes, reading it either works (every row loaded or quarantined, the table
# writable as Parquet) or raises InvalidInput/UsageError — never another exception. This found a row that vanished
# (a missing language), a polars ShapeError on lines broken by a stray CR LF, and lone surrogates that could not be
# stored.
from hypothesis import given, settings, strategies as st, HealthCheck
from csqa.schema import UsageError
PIECES = [b'\xef\xbb\xbf', b'\r\n', b'\n', b'\x00', b'\xff', b'"', b',', b'{', b'}', b'[', b']', b'\\', b'\\ud800',
          b' ', b'null', b'1e999', b'NaN', b'-0', b'\t', b'\xe9', b'\xed\xa0\x80', b"'", b'\\u00e9']
BASES = {'.jsonl': lines(rec(), rec(human_language='chinese'), rec()),
         '.csv': (SIMPLEQA_HEADER + '\n' + csv_row("{'topic': 'Art'}", 'Who painted it?', 'Monet') + '\n').encode(),
         '.json': ('[' + ','.join([rec(), rec()]) + ']').encode()}
edits = st.lists(st.tuples(st.floats(0, 1), st.one_of(st.sampled_from(PIECES), st.integers(1, 6))), min_size=1, max_size=4)

@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ext=st.sampled_from(list(BASES)), damage=edits)
def test_damaged_files_load_or_fail_cleanly(tmp_path, ext, damage):
    data = bytearray(BASES[ext])
    for where, edit in damage:
        pos = int(where * len(data))
        if isinstance(edit, bytes): data[pos:pos] = edit
        else: del data[pos:pos + edit]
    path = tmp_path/f'f{ext}'
    path.write_bytes(bytes(data))
    for kw in ({}, {'lenient': True}, {'lenient': True, 'table': False}):
        try: res = read_questions(path, **kw)
        except (InvalidInput, UsageError): continue
        assert res.rows_read == res.rows_loaded + res.rows_quarantined
        if res.table is not None:
            assert len(res.table) == res.rows_loaded
            res.table.write_parquet(tmp_path/'t.parquet')
