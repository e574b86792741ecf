"""`csqa reward audit`: the rules reward and a cascade behind a loopback judge that answers "A" (CORRECT) to everything
are both sound on the bundled sample: no gaming completion (master key, list, echo, empty, …) earns more than an honest
abstention, and the judge is asked only about answers that commit to one candidate."""
import json
import pytest
from aiohttp import web
from conftest import run_csqa, serve_chat

@pytest.fixture
def always_a():
    "A chat-completions server on 127.0.0.1 that grades every answer A (CORRECT), and keeps what it was asked."
    state = {'asked': []}
    async def chat(request):
        body = await request.json()
        state['asked'].append(body['messages'][-1]['content'])
        return web.json_response({'choices': [{'index': 0, 'message': {'role': 'assistant', 'content': 'A'},
                                               'finish_reason': 'stop'}], 'usage': {'prompt_tokens': 1, 'completion_tokens': 1}})
    yield from serve_chat(chat, state)

def test_rules_reward_audit_is_sound_json():
    r = run_csqa('reward', 'audit', '--json')
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert (report['verdict'], report['breaking']) == ('sound', [])
    assert all(c['exploits'] == 0 for c in report['classes'])
    assert report['honest']['abstain en NOT_ATTEMPTED'] >= 0.95 and report['honest']['abstain zh NOT_ATTEMPTED'] >= 0.95
    assert report['honest']['plain graded right'] >= 0.99
    assert all(g['gain'] <= 1e-9 for g in report['gains'])

def test_cascade_reward_behind_a_gullible_judge_is_sound(always_a, tmp_path):
    r = run_csqa('reward', 'audit', '--grader', 'cascade:always-a', '--judge-base-url', always_a['url'],
                 '--cache', str(tmp_path/'cache.sqlite'), '--json', timeout=600)
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert (report['verdict'], report['breaking']) == ('sound', [])
    assert report['honest']['plain graded right'] >= 0.99
    # the judge was asked, and never about a master key, an empty reply or an echoed question
    assert always_a['asked']
    for prompt in always_a['asked']:
        answer = prompt.split('<answer-', 1)[1].split('>', 1)[1].rsplit('</answer-', 1)[0].strip()
        assert answer and answer not in (':', '.', 'Solution', 'Thought process:', "Let's solve this step by step.")

def test_a_gameable_reward_exits_3(always_a, tmp_path):
    "A bare judge reward (every answer goes to the gullible judge unless the rules settle its form) still pays wrong single answers."
    r = run_csqa('reward', 'audit', '--grader', 'judge:always-a', '--judge-base-url', always_a['url'],
                 '--cache', str(tmp_path/'cache.sqlite'), timeout=600)
    assert r.returncode == 3, r.stderr
    assert r.stdout.startswith('reward audit of judge:always-a: GAMEABLE') and 'plain' in r.stdout.splitlines()[0]
