"""Fault injection: a proxy in front of the real server returns 429 (Retry-After), 500, slow and malformed responses on a
fixed schedule; every item must end answered or with its recorded error, with retries matching what was injected."""
import asyncio, hashlib, json, threading, time
import polars as pl
import pytest
from aiohttp import ClientSession, web
from csqa.backends import GenParams, make_backend
from csqa.cache import cached_generate
from csqa.runs import read_answers, read_manifest
from csqa.schema import conform
from conftest import run_csqa

RETRY_AFTER_S = 1
SLOW_S = 4.5
TIMEOUT_S = 3.0
FAIL_MARK = 'REJECT-ME'
# request number (1-based, POSTs in arrival order) -> injected fault
SCHEDULE = {2: '429', 3: '500', 5: 'badjson', 7: 'slow', 8: '500', 10: '429', 11: 'badjson', 13: '500'}

class FaultProxy:
    "An OpenAI-compatible proxy on loopback that injects faults by request count."
    def __init__(self, upstream:str, schedule:dict):
        self.upstream, self.schedule, self.count, self.log = upstream.rstrip('/'), schedule, 0, []
    async def handle(self, request):
        body = await request.read()
        if request.method != 'POST':
            async with self.session.get(self.upstream + request.path.removeprefix('/v1')) as r:
                return web.Response(status=r.status, body=await r.read(), content_type='application/json')
        self.count += 1
        no, fault = self.count, self.schedule.get(self.count)
        key = hashlib.sha256(json.dumps(json.loads(body)['messages']).encode()).hexdigest()
        self.log.append((no, fault, key, time.monotonic()))
        if FAIL_MARK.encode() in body:  # a final 4xx that echoes the key, as careless servers do
            msg = f"bad request (auth was {request.headers.get('Authorization')})"
            return web.json_response({'error': {'message': msg}}, status=400)
        if fault == '429':
            return web.json_response({'error': {'message': 'slow down'}}, status=429,
                                     headers={'Retry-After': str(RETRY_AFTER_S)})
        if fault == '500': return web.json_response({'error': {'message': 'injected'}}, status=500)
        if fault == 'slow': await asyncio.sleep(SLOW_S)
        async with self.session.post(self.upstream + '/chat/completions', data=body,
                                     headers={'content-type': 'application/json'}) as r:
            status, data = r.status, await r.read()
        if fault == 'badjson': data = data[:len(data)//2]
        return web.Response(status=status, body=data, content_type='application/json')
    def injected(self)->int: return sum(1 for _, f, _, _ in self.log if f is not None)

@pytest.fixture
def proxy(openai_server):
    p = FaultProxy(openai_server.base_url, SCHEDULE)
    loop, ready = asyncio.new_event_loop(), threading.Event()
    async def start():
        p.session = ClientSession()
        app = web.Application(); app.router.add_route('*', '/{tail:.*}', p.handle)
        p.runner = web.AppRunner(app); await p.runner.setup()
        site = web.TCPSite(p.runner, '127.0.0.1', 0); await site.start()
        p.base_url = f'http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/v1'
    def serve():
        asyncio.set_event_loop(loop); loop.run_until_complete(start()); ready.set(); loop.run_forever()
    t = threading.Thread(target=serve, daemon=True); t.start(); ready.wait(10)
    yield p
    async def stop(): await p.session.close(); await p.runner.cleanup()
    asyncio.run_coroutine_threadsafe(stop(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop); t.join(10)

QUESTIONS = [f'Question {i}: which keyword declares a constant in language {i}?' for i in range(10)] + \
            [f'{FAIL_MARK}: this one the server refuses']

def test_faults_retried_exactly(proxy, openai_server):
    b = make_backend('openai', openai_server.model, proxy.base_url, concurrency=3, timeout=TIMEOUT_S, max_retries=8,
                     retry_base_s=0.01)
    chats = [[{'role': 'user', 'content': q}] for q in QUESTIONS]
    out = cached_generate(b, chats, GenParams(max_tokens=8), stats=(stats := {}))
    gens = [o[0] for o in out]
    assert all((g.text is None) != (g.error is None) for g in gens)  # answered xor error recorded
    assert [g.error is None for g in gens] == [True]*10 + [False]
    assert gens[-1].error.startswith('http_400: ') and gens[-1].retries == 0
    assert proxy.injected() == sum(1 for n in SCHEDULE if n <= proxy.count) == len(SCHEDULE)
    assert stats['retries'] == sum(g.retries for g in gens) == proxy.injected()
    assert proxy.count == len(QUESTIONS) + proxy.injected()
    by_key = {}
    for no, fault, key, t in proxy.log: by_key.setdefault(key, []).append((fault, t))
    for g, chat in zip(gens, chats):  # per item: one retry per fault it met
        key = hashlib.sha256(json.dumps(chat).encode()).hexdigest()
        assert g.retries == sum(f is not None for f, _ in by_key[key])
    for tries in by_key.values():  # Retry-After honoured: the next try waits at least that long
        for (fault, t), (_, t_next) in zip(tries, tries[1:]):
            if fault == '429': assert t_next - t >= RETRY_AFTER_S - 0.05

def test_cli_run_through_faults_keeps_key_secret(proxy, openai_server, tmp_path):
    secret = 'sk-csqa-test-0123456789abcdef'
    data = tmp_path/'q.parquet'
    conform(pl.DataFrame({'question': QUESTIONS, 'answer': ['const']*len(QUESTIONS), 'lang': ['en']*len(QUESTIONS),
                          'domain': ['Programming Languages']*len(QUESTIONS), 'prog_lang': ['others']*len(QUESTIONS)})
           ).write_parquet(data)
    run = tmp_path/'runs'/'faulty'
    r = run_csqa('answer', '--model', openai_server.model, '--backend', 'openai', '--base-url', proxy.base_url,
                 '--api-key-env', 'CSQA_TEST_KEY', '--data', data, '--out', run, '--no-cache', '--max-tokens', '8',
                 '--concurrency', '3', '--timeout', TIMEOUT_S, '--max-retries', '8', '--json',
                 env={'CSQA_TEST_KEY': secret})
    # one request gets a 4xx that is not retried: it is kept with its error, and the exit status says so
    assert r.returncode == 1, r.stderr
    assert 'csqa: 1 of 11 requests failed' in r.stderr and 'rerun the same command to retry them' in r.stderr
    table, m = read_answers(run), read_manifest(run)
    assert len(table) == len(QUESTIONS) and table['id'].n_unique() == len(QUESTIONS)
    assert table.filter(pl.col('error').is_null())['response'].null_count() == 0
    errors = table.filter(pl.col('error').is_not_null())
    assert errors['question'].to_list() == [QUESTIONS[-1]] and '***' in errors['error'][0]
    assert m['counts']['retries'] == proxy.injected() and m['status'] == 'complete_with_errors'
    texts = [r.stdout, r.stderr, (run/'manifest.json').read_text(), json.dumps(table.to_dicts(), default=str)]
    assert not any(secret in t for t in texts)
