"The answering engine against a real OpenAI-compatible server (transformers serve) and the local HF backend."
import json
import polars as pl
from csqa.backends import GenParams, make_backend
from csqa.cache import GenerationCache, cached_generate
from csqa.runs import read_answers, read_manifest
from conftest import run_csqa

CHATS = [[{'role': 'user', 'content': q}] for q in ['Which Python built-in returns a length?',
                                                    'Which SQL keyword removes duplicate rows?', 'Python 中哪个函数返回长度？']]

def test_openai_backend_answers(openai_server):
    b = make_backend('openai', openai_server.model, openai_server.base_url)
    b.check()
    out = b.generate(CHATS, GenParams(max_tokens=12, n=2, seed=3))
    assert [len(o) for o in out] == [2, 2, 2]
    for gens in out:
        for g in gens:
            assert g.error is None and isinstance(g.text, str)
            assert g.completion_tokens <= 12 and g.finish_reason in ('stop', 'length') and g.retries == 0
    again = b.generate(CHATS, GenParams(max_tokens=12, n=2, seed=3))
    assert [[g.text for g in o] for o in out] == [[g.text for g in o] for o in again]  # greedy: reproducible

def test_http_and_local_backends_agree_greedy(openai_server, tiny_model_dir):
    "The same tiny model, greedy, through the server and locally in a batch: the same texts."
    http = make_backend('openai', openai_server.model, openai_server.base_url).generate(CHATS, GenParams(max_tokens=10))
    local = make_backend('hf', str(tiny_model_dir)).generate(CHATS, GenParams(max_tokens=10))
    assert [o[0].text for o in http] == [o[0].text for o in local]

def test_cache_serves_second_call(openai_server, tmp_path):
    b = make_backend('openai', openai_server.model, openai_server.base_url)
    cache, stats = GenerationCache(tmp_path/'c.sqlite'), {}
    first = cached_generate(b, CHATS, GenParams(max_tokens=8), cache, 't', stats=stats)
    second = cached_generate(b, CHATS, GenParams(max_tokens=8), cache, 't', stats=(s2 := {}))
    assert stats['misses'] == 3 and s2 == {'hits': 3, 'misses': 0, 'errors': 0, 'retries': 0}
    assert [o[0].text for o in first] == [o[0].text for o in second]

def test_cli_run_over_server(openai_server, tmp_path):
    run = tmp_path/'runs'/'srv'
    r = run_csqa('answer', '--model', openai_server.model, '--backend', 'openai', '--base-url', openai_server.base_url,
                 '--slice', 'lang=zh', '--limit', '6', '--max-tokens', '8', '--n', '2', '--seed', '1',
                 '--out', run, '--cache', tmp_path/'c.sqlite', '--json', '--no-progress')
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout)
    assert summary['rows'] == 12 and summary['errors'] == 0
    table = read_answers(run)
    assert set(table['lang']) == {'zh'} and table['sample_idx'].to_list() == [0, 1]*6
    assert table['prompt'][0].endswith('回答不超过 64 个词。')
    m = read_manifest(run)
    assert m['cache'] == {'enabled': True, 'path': str(tmp_path/'c.sqlite'), 'hits': 0, 'misses': 12}
    assert m['config']['prompt']['name'] == 'codesimpleqa' and len(m['config']['prompt']['hash']) == 16
