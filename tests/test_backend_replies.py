"""Replies without content are recorded, not retried; `reasoning_content` is kept as a `<think>` block; half an emoji
(a lone surrogate, which JSON allows and UTF-8 cannot store) does not break a run."""
import asyncio, threading
import pytest
from aiohttp import web
from conftest import serve_chat
from csqa.backends import GenParams, make_backend
from csqa.schema import strip_reasoning

REPLIES = {
    'tools': {'content': None, 'tool_calls': [{'id': 't', 'type': 'function',
                                               'function': {'name': 'f', 'arguments': '{}'}}]},
    'reasoning-only': {'content': None, 'reasoning_content': 'still thinking'},
    'reasoning': {'content': 'O(log n)', 'reasoning_content': 'binary search halves the range'},
    'plain': {'content': 'O(n)'},
    'half-emoji': {'content': 'O(1) \ud83d'},            # aiohttp's json_response writes it as the escape \\ud83d
    'emoji': {'content': 'O(1) \ud83d\ude00'},          # a proper pair, also escaped
}

@pytest.fixture
def stub():
    "A loopback chat-completions server answering by the prompt text; it counts POSTs."
    state = {'posts': 0}
    async def chat(request):
        state['posts'] += 1
        body = await request.json()
        message = {'role': 'assistant', **REPLIES[body['messages'][-1]['content']]}
        return web.json_response({'choices': [{'index': 0, 'message': message, 'finish_reason': 'stop'}],
                                  'usage': {'prompt_tokens': 3, 'completion_tokens': 2}})
    yield from serve_chat(chat, state)

def _ask(stub, *names):
    b = make_backend('openai', 'stub', stub['url'], max_retries=3, retry_base_s=0.01)
    return [g[0] for g in b.generate([[{'role': 'user', 'content': n}] for n in names], GenParams())]

@pytest.mark.parametrize('name,what', [('tools', 'tool calls only'), ('reasoning-only', 'reasoning only')])
def test_null_content_is_a_recorded_error_not_retried(stub, name, what):
    g, = _ask(stub, name)
    assert g.text is None and g.error.startswith('no_content:') and what in g.error
    assert g.retries == 0 and stub['posts'] == 1

def test_reasoning_content_kept_as_think_block(stub):
    reasoned, plain = _ask(stub, 'reasoning', 'plain')
    assert reasoned.text == '<think>binary search halves the range</think>O(log n)'
    assert strip_reasoning(reasoned.text) == 'O(log n)'
    assert plain.text == 'O(n)' and plain.error is None

def test_lone_surrogate_in_a_reply_is_replaced_and_the_run_completes(stub, tmp_path):
    import polars as pl
    from csqa.cache import GenerationCache
    from csqa.prompts import PromptTemplate
    from csqa.runs import answer_run, read_answers
    half, pair = _ask(stub, 'half-emoji', 'emoji')
    assert (half.text, pair.text) == ('O(1) \ufffd', 'O(1) \U0001F600')
    questions = pl.DataFrame({'id': ['q1', 'q2'], 'question': ['half-emoji', 'emoji'], 'answer': ['O(1)'] * 2,
                              'lang': ['en'] * 2})
    template = PromptTemplate('echo', (('en', '{question}'),))
    backend = make_backend('openai', 'stub', stub['url'], max_retries=0)
    cache = GenerationCache(tmp_path/'gen.sqlite')
    answers = answer_run(questions, backend, GenParams(), template, tmp_path/'run', cache=cache, progress=False)
    assert answers.sort('id')['response'].to_list() == ['O(1) \ufffd', 'O(1) \U0001F600']
    assert read_answers(tmp_path/'run').sort('id')['response'].to_list() == ['O(1) \ufffd', 'O(1) \U0001F600']
    again = answer_run(questions, backend, GenParams(), template, tmp_path/'run2', cache=cache, progress=False)
    assert again.sort('id')['response'].to_list() == ['O(1) \ufffd', 'O(1) \U0001F600']
