"""Crash and resume: `csqa answer` killed with SIGKILL midway, then rerun, gives the table of an uninterrupted run."""
import json, os, signal, subprocess, sys, time
from pathlib import Path
import polars as pl
from csqa.backends import GenParams, make_backend
from csqa.cache import GenerationCache, cache_key
from csqa.prompts import CODESIMPLEQA
from csqa.runs import JOURNAL, read_answers, read_manifest
from conftest import run_csqa

REPO = Path(__file__).parents[1]
N_QUESTIONS, MAX_TOKENS = 40, 24

def answer_args(server, out, *more):
    return ['answer', '--model', server.model, '--backend', 'openai', '--base-url', server.base_url, '--limit',
            N_QUESTIONS, '--max-tokens', MAX_TOKENS, '--concurrency', '2', '--temperature', '0', '--out', out,
            '--no-progress', *more]

def test_kill_and_resume(openai_server, tmp_path):
    cache_path, run = tmp_path/'gen.sqlite', tmp_path/'runs'/'killed'
    args = answer_args(openai_server, run, '--cache', cache_path)
    env = {**os.environ, 'PYTHONPATH': str(REPO)}
    proc = subprocess.Popen([sys.executable, '-c', 'import sys; from csqa.cli import main; sys.exit(main())',
                             *map(str, args)], env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    journal, deadline = run/JOURNAL, time.time() + 120
    while not (journal.exists() and len(journal.read_text().splitlines()) >= 10):
        assert proc.poll() is None and time.time() < deadline, 'the run ended before it could be killed'
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL); proc.wait()
    before = [json.loads(l) for l in journal.read_text().splitlines() if l.endswith('}')]
    assert 10 <= len(before) < N_QUESTIONS and not (run/'answers.parquet').exists()

    # everything answered before the kill is in the cache
    cache = GenerationCache(cache_path)
    ident = make_backend('openai', openai_server.model, openai_server.base_url).identity()
    params = GenParams(max_tokens=MAX_TOKENS)
    for row in before:
        hit = cache.get(cache_key(ident, params, row['sample_idx'], CODESIMPLEQA.hash,
                                  CODESIMPLEQA.messages(row['question'], row['lang'])))
        assert hit is not None and hit.text == row['response']

    r = run_csqa(*args, '--json')
    assert r.returncode == 0, r.stderr
    resumed = read_answers(run)
    m = read_manifest(run)
    assert m['resumes'] == 1 and m['counts']['resumed_rows'] == len(before)
    assert m['cache']['misses'] + m['cache']['hits'] == N_QUESTIONS - len(before)
    assert not journal.exists()

    ref_run = tmp_path/'runs'/'uninterrupted'
    r = run_csqa(*answer_args(openai_server, ref_run, '--no-cache'))
    assert r.returncode == 0, r.stderr
    reference = read_answers(ref_run)
    assert resumed.select('id', 'sample_idx').rows() == reference.select('id', 'sample_idx').rows()
    assert resumed['id'].n_unique() == N_QUESTIONS and resumed['error'].null_count() == N_QUESTIONS
    assert resumed['response'].to_list() == reference['response'].to_list()
    assert resumed.drop('latency_s', 'cached').equals(reference.drop('latency_s', 'cached'))

    again = run_csqa(*answer_args(openai_server, tmp_path/'runs'/'again', '--cache', cache_path), '--json')
    assert json.loads(again.stdout)['cache_hits'] == N_QUESTIONS
