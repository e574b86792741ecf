"Counts and audit of the released CodeSimpleQA file, through the library and through `csqa data … --json`."
import json, os, subprocess, sys
from pathlib import Path
import polars as pl
from csqa.data import load_questions, read_questions
from csqa.audit import audit, stats

REPO = Path(__file__).parents[1]
# REFERENCE.md §1, with labels normalised (c-sharp → csharp)
DOMAINS = {'Web Technologies': 277, 'Programming Languages': 252, 'Software Engineering': 180, 'Operating Systems': 125,
           'Databases': 93, 'Mobile Computing': 87, 'Cybersecurity': 63, 'Game Development': 59,
           'Data Science and Analytics': 53, 'Networks and Communications': 48, 'Computer Graphics': 47,
           'Human-Computer Interaction': 31, 'Information Systems': 28, 'Computer Systems': 27,
           'Artificial Intelligence': 25, 'Computational Science': 23, 'Machine Learning': 21,
           'Emerging Technologies': 19, 'Algorithms and Data Structures': 17, 'Bioinformatics': 12,
           'Theory of Computation': 11}
PROG_LANGS = {'others': 911, 'java': 83, 'python': 76, 'csharp': 73, 'cpp': 67, 'sql': 57, 'php': 55, 'javascript': 51,
              'ruby': 26, 'kotlin': 24, 'html/css': 22, 'r': 18, 'swift': 16, 'matlab': 9, 'go': 5, 'rust': 3, 'c': 1,
              'smalltalk': 1}

def check_stats(s:dict):
    assert s['rows'] == 1498
    assert s['lang'] == {'en': 782, 'zh': 716}
    assert s['domain'] == DOMAINS and list(s['domain']) == list(DOMAINS)
    assert s['prog_lang'] == PROG_LANGS
    assert sum(s['subdomain'].values()) == 1498
    assert {d: sum(v.values()) for d, v in s['lang_domain'].items()} == DOMAINS

def check_audit(a:dict):
    assert a['summary']['exact_duplicate_groups'] == 7
    assert a['summary']['normalized_duplicate_groups'] == 7
    assert a['summary']['exact_duplicate_rows'] == 17
    assert a['summary']['conflicting_gold_groups'] == 1
    (heap,) = a['conflicting_golds']
    assert 'min-heap' in heap['question']
    assert sorted((g['answer'], g['count']) for g in heap['golds']) == [('O(1)', 2), ('O(log n)', 2)]
    assert a['summary']['unknown_labels'] == 0 and a['unknown_labels'] == []
    assert a['summary']['empty_answers'] == 0

def test_load(codesimpleqa_path):
    res = read_questions(codesimpleqa_path)
    assert (res.rows_read, res.rows_loaded, res.rows_quarantined, res.format) == (1498, 1498, 0, 'codesimpleqa')
    df = res.table
    assert df['id'].n_unique() == 1498
    assert df.filter(pl.col('lang') == 'zh')['question'][0]
    assert set(df['source']) == {'codesimpleqa:code_simpleqa_eval_2k.jsonl'}

def test_stats_and_audit(codesimpleqa_path):
    df = load_questions(codesimpleqa_path)
    check_stats(stats(df))
    check_audit(audit(df).to_dict())

def test_dataframe_and_dataset_sources(codesimpleqa_path):
    "A polars DataFrame or a datasets.Dataset of the released records loads to the same table."
    import datasets
    raw = pl.read_ndjson(codesimpleqa_path)
    expected = load_questions(codesimpleqa_path).drop('source')
    assert load_questions(raw).drop('source').equals(expected)
    assert load_questions(datasets.Dataset.from_polars(raw)).drop('source').equals(expected)

def csqa_json(*args):
    env = {**os.environ, 'PYTHONPATH': str(REPO)}
    r = subprocess.run([sys.executable, '-c', 'import sys; from csqa.cli import main; sys.exit(main())', *args, '--json'],
                       env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)

def test_cli(codesimpleqa_path, workdir):
    check_stats(csqa_json('data', 'stats', str(codesimpleqa_path)))
    check_audit(csqa_json('data', 'audit', str(codesimpleqa_path)))
    v = csqa_json('data', 'validate', str(codesimpleqa_path))
    assert (v['ok'], v['rows_read'], v['rows_loaded'], v['rows_quarantined']) == (True, 1498, 1498, 0)
    env = {**os.environ, 'PYTHONPATH': str(REPO)}
    for ext in ('parquet', 'jsonl', 'csv'):
        r = subprocess.run([sys.executable, '-c', 'import sys; from csqa.cli import main; sys.exit(main())',
                            'data', 'convert', str(codesimpleqa_path), f'q.{ext}'], env=env, capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        back = load_questions(f'q.{ext}')
        assert back.equals(load_questions(codesimpleqa_path)), ext
