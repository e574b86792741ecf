"Shared pytest fixtures: where the real benchmark lives, and a scratch folder to work in."
import os
from pathlib import Path
import pytest

# One OpenMP thread a process (before torch is imported, here and in every subprocess a test starts): with several pytest
# workers, and the subprocesses they start, on two cores, torch's OpenMP threads spin while they wait on the cores the
# others need (measured on two training pages side by side: 136 CPU-s with two threads each, 81 CPU-s with one)
os.environ.setdefault('OMP_NUM_THREADS', '1')
# and one polars thread, for the same reason (a corpus and data slice of these tests, run alone: 293 CPU-s with two polars
# threads, 257 with one, in the same time); set before anything here imports polars, which reads it once
os.environ.setdefault('POLARS_MAX_THREADS', '1')
# Every process of a test run is a throwaway one: csqa's heavy imports end with gc.freeze() in all of them, as in the CLI
# (csqa.extras; measured on four in-process model and training modules run alone: 63-71 CPU-s without, 55-60 with)
os.environ.setdefault('CSQA_FREEZE_IMPORTS', '1')

SHARED = Path(__file__).parents[1].parent/'shared'
CODESIMPLEQA = SHARED/'data'/'codesimpleqa'/'code_simpleqa_eval_2k.jsonl'

@pytest.fixture
def codesimpleqa_path()->Path:
    "The released CodeSimpleQA test file (never copied into the repo): skip where absent, fail in CI."
    if not CODESIMPLEQA.exists():
        reason = f'the CodeSimpleQA test file is not at {CODESIMPLEQA}'
        if os.environ.get('CI') == 'true': pytest.fail(reason)
        pytest.skip(reason)
    return CODESIMPLEQA

@pytest.fixture
def workdir(tmp_path, monkeypatch)->Path:
    "A fresh temporary folder, also the current directory, so file names in messages stay short."
    monkeypatch.chdir(tmp_path)
    return tmp_path

# --- a tiny local model and a real OpenAI-compatible server (transformers serve), built once per session ---
import signal, socket, subprocess, sys, time, urllib.request
from types import SimpleNamespace

def free_port()->int:
    "A port the OS says is free on 127.0.0.1."
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0)); return s.getsockname()[1]

@pytest.fixture(scope='session')
def tiny_model_dir(tmp_path_factory)->Path:
    "The tiny Qwen2 chat model (`csqa.tiny.build_tiny_model`), built once per test session."
    from csqa.tiny import build_tiny_model
    return build_tiny_model(tmp_path_factory.mktemp('tiny')/'model')

def wait_until_up(url:str, proc, log_path:Path, seconds:float, what:str):
    "Poll `url` until it answers 200; fail the test with the end of the server's log if it dies or takes too long."
    deadline = time.time() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200: return
        except OSError: pass
        if proc.poll() is not None or time.time() > deadline:
            pytest.fail(f'{what} did not start: {Path(log_path).read_text()[-2000:]}')
        time.sleep(0.5)

def stop_process(proc, seconds:float):
    "Stop a server we started, by its own PID: SIGTERM, then SIGKILL after `seconds`."
    os.kill(proc.pid, signal.SIGTERM)
    try: proc.wait(timeout=seconds)
    except subprocess.TimeoutExpired: os.kill(proc.pid, signal.SIGKILL); proc.wait()

@pytest.fixture(scope='session')
def openai_server(tiny_model_dir, tmp_path_factory):
    "`transformers serve` on loopback serving the tiny model: base_url, model (the directory path) and pid."
    port, home = free_port(), tmp_path_factory.mktemp('hf_home')
    env = {**os.environ, 'HF_HOME': str(home), 'HF_HUB_OFFLINE': '1', 'OMP_NUM_THREADS': '1'}
    exe = Path(sys.executable).parent/'transformers'
    log = open(home/'serve.log', 'w')
    proc = subprocess.Popen([str(exe), 'serve', str(tiny_model_dir), '--host', '127.0.0.1', '--port', str(port),
                             '--device', 'cpu'], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_until_up(f'http://127.0.0.1:{port}/health', proc, home/'serve.log', 90, 'transformers serve')
        yield SimpleNamespace(base_url=f'http://127.0.0.1:{port}/v1', model=str(tiny_model_dir), pid=proc.pid)
    finally:
        stop_process(proc, 15)
        log.close()

def run_csqa(*args, env=None, timeout=300)->subprocess.CompletedProcess:
    "Run the `csqa` command line of this checkout in a subprocess."
    repo = Path(__file__).parents[1]
    full_env = {**os.environ, 'PYTHONPATH': str(repo), **(env or {})}
    return subprocess.run([sys.executable, '-c', 'import sys; from csqa.cli import main; sys.exit(main())', *map(str, args)],
                          capture_output=True, text=True, env=full_env, timeout=timeout, cwd=repo)

def serve_chat(chat, # an aiohttp handler for POST /v1/chat/completions
               state:dict, # the test's state; gets `url` (the base URL) while the server runs
              ):
    "Serve `chat` as a chat-completions endpoint on 127.0.0.1 in a thread, for as long as the generator is open."
    import asyncio, threading
    from aiohttp import web
    loop, ready = asyncio.new_event_loop(), threading.Event()
    async def start():
        app = web.Application(); app.router.add_post('/v1/chat/completions', chat)
        state['runner'] = runner = web.AppRunner(app); await runner.setup()
        site = web.TCPSite(runner, '127.0.0.1', 0); await site.start()
        state['url'] = f'http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/v1'
    def serve():
        asyncio.set_event_loop(loop); loop.run_until_complete(start()); ready.set(); loop.run_forever()
    threading.Thread(target=serve, daemon=True).start(); ready.wait(10)
    try: yield state
    finally:
        asyncio.run_coroutine_threadsafe(state['runner'].cleanup(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)

# --- a Ray cluster on loopback: `ray start --head`, its own ports, temporary folder and token, for every test on Ray ---
import shutil, tempfile, uuid
# Ray's token authentication, set before any test imports ray (a process reads RAY_AUTH_MODE once): the session's
# cluster, and every driver that joins it from here or from a process started here, use this token, not ~/.ray/auth_token
os.environ.setdefault('RAY_AUTH_MODE', 'token'); os.environ.setdefault('RAY_AUTH_TOKEN', uuid.uuid4().hex)

def stop_group(proc):
    "Stop a process we started and everything it started (its own process group): SIGTERM, then SIGKILL."
    # not `ray stop`: that stops every Ray on this machine, other people's clusters included
    try: os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError: return
    try: proc.wait(3)   # Ray's orderly stop took 34 s on a busy machine (10 s whenever asked): the group is ours alone, so the rest is killed
    except subprocess.TimeoutExpired: os.killpg(proc.pid, signal.SIGKILL); proc.wait()

def start_head(tmp:Path, env:dict)->tuple:
    "`ray start --head --block` on loopback, with ports of its own, in a new process group: (process, address) once it is up, or (None, log)."
    ports = [free_port() for _ in range(6)]
    # no log monitor: it streams workers' logs to drivers, and every driver here joins with log_to_driver=False (9 CPU-s a run)
    cmd = [str(Path(sys.executable).parent/'ray'), 'start', '--head', '--block', '--node-ip-address=127.0.0.1', f'--port={ports[0]}', '--num-cpus=2',
           '--include-dashboard=false', '--include-log-monitor=false', '--disable-usage-stats', f'--temp-dir={tmp}', f'--dashboard-agent-grpc-port={ports[1]}',
           f'--dashboard-agent-listen-port={ports[2]}', f'--metrics-export-port={ports[3]}', f'--runtime-env-agent-port={ports[4]}',
           f'--ray-client-server-port={ports[5]}']
    with open(tmp/'start.log', 'w') as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    deadline = time.time() + 180
    while 'Ray runtime started' not in (tmp/'start.log').read_text():
        if proc.poll() is not None or time.time() > deadline:
            stop_group(proc)
            return None, (tmp/'start.log').read_text()[-3000:]
        time.sleep(0.5)
    return proc, f'127.0.0.1:{ports[0]}'

@pytest.fixture(scope='session')
def ray_cluster():
    "A Ray head node on 127.0.0.1 with 2 CPUs, started once for every test on Ray (their xdist group keeps them on one worker) and stopped by its process group."
    tmp = Path(tempfile.mkdtemp(prefix='csqa-rc-'))   # short: Ray's socket paths must stay under ~100 characters
    # loopback only (Ray otherwise swaps 127.0.0.1 for the machine's address), and the session's token
    auth = {'RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER': '0', 'RAY_AUTH_MODE': 'token', 'RAY_AUTH_TOKEN': os.environ['RAY_AUTH_TOKEN'], 'RAY_USAGE_STATS_ENABLED': '0'}
    env = {**os.environ, 'PYTHONPATH': str(Path(__file__).parents[1]), **auth}
    env.pop('RAY_ADDRESS', None)
    proc = None
    try:
        for attempt in range(3):   # under load the raylet can miss Ray's own fixed 30 s start-up wait; that is Ray's, not csqa's
            proc, said = start_head(tmp, env)
            if proc is not None: break
        else: pytest.fail(f'ray start failed three times: {said}')
        yield {'address': said, 'temp': tmp, 'env': {'RAY_ADDRESS': said, **auth}, 'pid': proc.pid}
    finally:
        if proc is not None: stop_group(proc)
        shutil.rmtree(tmp, ignore_errors=True)

@pytest.fixture(scope='module')
def ray_joined(ray_cluster):
    "This process joined to the test cluster (`ray_session` with its address), for a module's tests; left after (one Ray job: each job starts workers of its own)."
    from csqa.corpus.scale import ray_session
    with ray_session(ray_cluster['address']) as ray: yield ray

@pytest.fixture
def no_model_loads(monkeypatch, tmp_path):
    "Offline, and fail the test if anything loads (or builds) a model or tokenizer: checks must come first."
    import transformers, csqa.tiny
    monkeypatch.setenv('HF_HUB_OFFLINE', '1'); monkeypatch.setenv('CSQA_HOME', str(tmp_path/'home'))
    monkeypatch.setenv('HF_HOME', str(tmp_path/'hf')); monkeypatch.delenv('HF_HUB_CACHE', raising=False)
    def refuse(*a, **k): raise AssertionError('a model was loaded before the config was checked')
    for cls in (transformers.AutoModelForCausalLM, transformers.AutoTokenizer, transformers.AutoProcessor):
        monkeypatch.setattr(cls, 'from_pretrained', refuse)
    monkeypatch.setattr(csqa.tiny, 'build_tiny_model', refuse)

# --- what `make test-fast` leaves out: the heavy integration tests (one list, by module, plus any test on a server) ---
SLOW_MODULES = {'test_answer_crash', 'test_answer_server', 'test_corpus_build', 'test_corpus_ray_cluster', 'test_corpus_scale', 'test_demo',
                'test_docs_build', 'test_explorer_browser', 'test_jsonl_sanitize', 'test_judge_server', 'test_packaging',
                'test_reward_audit', 'test_reward_judge', 'test_train_ddp', 'test_train_grpo', 'test_train_sft'}

# `make test` runs pytest on two workers (pytest-xdist, --dist loadgroup): the tests on the one `transformers serve`
# fixture share one worker and so one server, the tests on Ray share one worker and so one Ray cluster, and the tests
# of the docs site share one worker, and a module's tests on a module-scoped fixture (the sanitizer child, the built
# wheel, a demo run) share one worker so the fixture is made once, not once per worker.
RAY_MODULES = {'test_corpus_scale', 'test_corpus_ray_cluster'}

def _on_module_fixture(item)->bool:
    "Whether a test uses a fixture made once per module."
    info = getattr(item, '_fixtureinfo', None)
    return info is not None and any(defs and defs[-1].scope == 'module' for defs in info.name2fixturedefs.values())

def pytest_collection_finish(session):
    "Every test module and what it imports are loaded: a throwaway worker keeps them out of the cycle collector too."
    if os.environ.get('CSQA_FREEZE_IMPORTS') == '1':
        import gc
        gc.freeze()

def pytest_collection_modifyitems(config, items):
    for item in items:
        module, fixtures = item.module.__name__.rpartition('.')[2], getattr(item, 'fixturenames', ())
        if module in SLOW_MODULES or 'openai_server' in fixtures: item.add_marker(pytest.mark.slow)
        if 'openai_server' in fixtures: item.add_marker(pytest.mark.xdist_group('openai_server'))
        elif module in RAY_MODULES or 'ray_cluster' in fixtures or '_ray_' in f'_{item.name}_': item.add_marker(pytest.mark.xdist_group('ray'))
        elif 'site' in fixtures and module == 'test_docs_build': item.add_marker(pytest.mark.xdist_group('docs_site'))
        elif _on_module_fixture(item): item.add_marker(pytest.mark.xdist_group(module))
    # the long ones first, as the docs build takes its slowest notebooks first: the Ray group (one worker, ~150 s), then
    # the other slow tests, then the quick ones, which fill the cores to the end instead of one worker idling while the
    # other finishes a training run (a stable sort: a module's tests stay together, in their order)
    group = lambda item: (m := item.get_closest_marker('xdist_group')) and m.args and m.args[0]
    items.sort(key=lambda item: 0 if group(item) == 'ray' else 1 if item.get_closest_marker('slow') else 2)
    if getattr(config.option, 'loadgroup', False): _name_groups(items)

def _name_groups(items):
    "Put each test's xdist group in its node id, where --dist loadgroup reads it."
    # pytest 9.2 builds a node id from `_id`; pytest-xdist 3.8 appends `@group` to `_nodeid`, which is no longer read,
    # so without this every group was ignored (measured: the sanitizer child built on both workers, two Ray heads)
    from _pytest.nodeid import coerce_node_id
    for item in items:
        mark = item.get_closest_marker('xdist_group')
        if mark and '@' not in item.nodeid:
            item._id = coerce_node_id(f'{item.nodeid}@{mark.args[0] if mark.args else mark.kwargs.get("name", "default")}')
