"""The generation cache under concurrent writers: many async tasks in one process and two processes at once."""
import asyncio, subprocess, sys
from pathlib import Path
from csqa.backends import Backend, GenParams, Generation
from csqa.cache import GenerationCache, acached_generate

REPO = Path(__file__).parents[1]
WRITER = '''
import sys
from csqa.backends import Generation
from csqa.cache import GenerationCache
cache = GenerationCache(sys.argv[1])
for i in range(int(sys.argv[3])): cache.put(f"{sys.argv[2]}-{i}", Generation(f"text {i}", finish_reason="stop"))
'''

class SlowEcho(Backend):
    "Answers each request after a short wait, many at once."
    kind, concurrency = 'slow-echo', 64
    def identity(self): return {'backend': self.kind}
    async def astream(self, requests, params):
        async def one(i, m): await asyncio.sleep(0.001*(i % 7)); return i, Generation(m[-1]['content'])
        for task in asyncio.as_completed([one(i, m) for i, (m, _) in enumerate(requests)]): yield await task

def test_processes_and_async_tasks_share_one_cache(tmp_path):
    path = tmp_path/'gen.sqlite'
    GenerationCache(path).close()
    env = {'PYTHONPATH': str(REPO), 'PATH': ''}
    procs = [subprocess.Popen([sys.executable, '-c', WRITER, str(path), name, '400'], env=env) for name in 'ab']
    cache = GenerationCache(path)
    chats = [[{'role': 'user', 'content': f'q{i}'}] for i in range(300)]
    async def two_runs():  # two cached generations at once on one loop, writing the same store
        return await asyncio.gather(acached_generate(SlowEcho(), chats, GenParams(), cache, 't1'),
                                    acached_generate(SlowEcho(), chats, GenParams(), cache, 't2'))
    outs = asyncio.run(two_runs())
    assert [p.wait(timeout=60) for p in procs] == [0, 0]
    assert all(o[i][0].text == f'q{i}' for o in outs for i in range(300))
    assert len(cache) == 800 + 600
    assert cache.get('a-399').text == 'text 399' and cache.get('b-0').text == 'text 0'
