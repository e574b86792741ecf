"""`csqa corpus dedup|decontam` on real files: the files they write, and exit statuses for bad input (1) and bad usage (2)."""
import json, subprocess, sys
from pathlib import Path
import polars as pl
from conftest import run_csqa

def test_decontam_against_itself_removes_everything_with_reasons(tmp_path, codesimpleqa_path):
    r = run_csqa('corpus', 'decontam', codesimpleqa_path, '--against', codesimpleqa_path, '--out', tmp_path/'d', '--json')
    assert r.returncode == 0, r.stderr
    stats = json.loads(r.stdout)
    assert (stats['kept'], stats['removed']) == (0, 1498)
    removed = pl.read_parquet(tmp_path/'d'/'removed.parquet')
    assert {'id', 'reason', 'match_id', 'match_question', 'score'} <= set(removed.columns)
    assert removed['match_id'].null_count() == 0 and len(pl.read_parquet(tmp_path/'d'/'kept.parquet')) == 0

def test_dedup_of_the_benchmark_finds_its_repeats(tmp_path, codesimpleqa_path):
    r = run_csqa('corpus', 'dedup', codesimpleqa_path, '--out', tmp_path/'d', '--json')
    assert r.returncode == 0, r.stderr
    stats = json.loads(r.stdout)
    removed = pl.read_parquet(tmp_path/'d'/'removed.parquet')
    # the released file repeats 7 questions (REFERENCE.md); every repeat is removed, naming the row it repeats
    assert stats['removed_exact'] >= 7 and stats['kept'] + stats['removed'] == 1498
    kept = set(pl.read_parquet(tmp_path/'d'/'kept.parquet')['id'])
    assert set(removed['match_id']) <= kept

def test_bad_input_exits_1_and_bad_usage_exits_2(tmp_path):
    (tmp_path/'bad.jsonl').write_text('{"question": "Q?", "answer": "A", "lang": "en"}\n{"question": "Q2?", "lang": "en"}\n')
    r = run_csqa('corpus', 'dedup', tmp_path/'bad.jsonl', '--out', tmp_path/'o')
    assert r.returncode == 1 and 'bad.jsonl:2: answer: missing field' in r.stderr
    assert not (tmp_path/'o').exists()
    r = run_csqa('corpus', 'dedup', tmp_path/'bad.jsonl', '--out', tmp_path/'o', '--threshold', '1.5')
    assert r.returncode == 2 and 'threshold must be in (0, 1]' in r.stderr
    r = run_csqa('corpus', 'decontam', tmp_path/'bad.jsonl', '--out', tmp_path/'o')
    assert r.returncode == 2 and '--against' in r.stderr

def test_importing_csqa_corpus_does_not_import_ray_and_the_example_config_loads():
    repo = Path(__file__).parents[1]
    code = ("import sys, csqa, csqa.corpus; from csqa.corpus.build import load_corpus_config;"
            "c = load_corpus_config('configs/corpus-example.yaml'); assert c.stage('synth').temperature == 0.1;"
            "print(sorted(m for m in ('ray', 'trl', 'peft', 'bitsandbytes', 'accelerate') if m in sys.modules))")
    r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, cwd=repo)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == '[]'
