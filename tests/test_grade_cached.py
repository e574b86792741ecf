"""Issue #16: regrading a run whose every judge call is in the cache asks the judge nothing: the server is not checked
(it may be gone) and `openai` is not imported; a run with one answer the cache lacks still fails early."""
import json, subprocess, sys
from pathlib import Path
import polars as pl, pytest
from aiohttp import web
from conftest import serve_chat

RESPONSES = ['5432', 'The default port is 5432.', 'either 5432 or 3306', 'I think it might be 5433', 'not sure']
# a cached regrade fails if the judge is checked (nothing answers any more) or `openai` is imported
NO_OPENAI = 'assert "openai" not in sys.modules, "openai imported"; '

def write_answers(run:Path, responses:list[str]):
    run.mkdir(exist_ok=True)
    pl.DataFrame({'id': [f'q{i}' for i in range(len(responses))], 'sample_idx': 0, 'lang': 'en',
                  'question': 'Default PostgreSQL port?', 'answer': '5432', 'response': responses}).write_parquet(run/'answers.parquet')

def csqa(*args, cached:bool=True)->subprocess.CompletedProcess:
    code = 'import sys; from csqa.cli import main; rc = main(sys.argv[1:]); ' + (NO_OPENAI if cached else '') + 'sys.exit(rc)'
    env = {'PYTHONPATH': str(Path(__file__).parents[1]), 'PATH': '/usr/bin:/bin', 'HOME': str(Path.home())}
    return subprocess.run([sys.executable, '-c', code, *map(str, args)], capture_output=True, text=True, env=env, timeout=300)

@pytest.mark.parametrize('spec', ['judge:stub', 'cascade:stub'])
def test_cached_regrade_asks_the_judge_nothing(tmp_path, spec):
    from csqa.cli import main
    state = {'posts': 0}
    async def chat(request):
        state['posts'] += 1
        return web.json_response({'choices': [{'index': 0, 'message': {'role': 'assistant', 'content': 'A'}, 'finish_reason': 'stop'}],
                                  'usage': {'prompt_tokens': 3, 'completion_tokens': 1}})
    stub = serve_chat(chat, state)
    url = next(stub)['url']
    run = tmp_path/'run'; write_answers(run, RESPONSES)
    args = ['grade', run, '--grader', spec, '--judge-base-url', url, '--cache', tmp_path/'cache.sqlite', '--threshold', '0.95',
            '--no-progress', '--json']
    assert main(list(map(str, args))) == 0
    first = pl.read_parquet(run/'grades.parquet')
    assert state['posts'] == (5 if spec.startswith('judge') else 4)  # the cascade keeps the exact match
    stub.close()  # the judge is gone
    r = csqa(*args)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)['counts'] == {'CORRECT': 5, 'INCORRECT': 0, 'NOT_ATTEMPTED': 0, 'PARSE_ERROR': 0}
    assert pl.read_parquet(run/'grades.parquet').equals(first)
    # one answer the cache lacks: the judge is checked before anything is graded, and found missing
    write_answers(run, [*RESPONSES, 'port 6543'])
    r = csqa(*args, cached=False)
    assert r.returncode == 2 and url.rsplit('/', 1)[0] in r.stderr, r.stderr
    assert pl.read_parquet(run/'grades.parquet').equals(first)
