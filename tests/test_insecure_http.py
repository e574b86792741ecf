"""API keys travel over plain http only to loopback: any other http server is refused when the backend is made, before
a single connection, unless the caller opts in with `allow_insecure_http`. A guard on the socket layer records every
connection attempt and refuses all but loopback, so these tests could not send traffic elsewhere even if csqa tried."""
import ipaddress, json, socket, subprocess, sys
from pathlib import Path
import pytest
from csqa.backends import GenParams, make_backend
from csqa.schema import UsageError

DOC_ADDRESS = '203.0.113.7'  # TEST-NET-3 (RFC 5737): documentation only, never routed
SECRET = 'sk-test-not-a-real-key'
REPO = Path(__file__).parents[1]

GUARD = '''
import ipaddress, socket, sys
ATTEMPTS = []
_connect, _connect_ex = socket.socket.connect, socket.socket.connect_ex
def _allowed(address):
    host = address[0] if isinstance(address, tuple) else None
    try: return host is None or ipaddress.ip_address(host).is_loopback  # AF_UNIX paths are local too
    except ValueError: return host == 'localhost'
def _check(sock, address):
    ATTEMPTS.append(address)
    if not _allowed(address):
        print(f'GUARD refused a connection to {address!r}', file=sys.stderr)
        raise ConnectionRefusedError(f'test guard: no traffic to {address!r}')
def connect(self, address): _check(self, address); return _connect(self, address)
def connect_ex(self, address): _check(self, address); return _connect_ex(self, address)
socket.socket.connect, socket.socket.connect_ex = connect, connect_ex
'''

@pytest.fixture
def guard():
    "The socket guard, installed in this process: the list of addresses anything tried to connect to."
    ns = {}
    exec(GUARD, ns)
    yield ns['ATTEMPTS']
    socket.socket.connect, socket.socket.connect_ex = ns['_connect'], ns['_connect_ex']

def _remote(attempts): return [a for a in attempts if isinstance(a, tuple) and not ipaddress.ip_address(a[0]).is_loopback]

@pytest.mark.parametrize('url', [f'http://{DOC_ADDRESS}/v1', f'http://{DOC_ADDRESS}:8000/v1', 'http://10.0.0.5:8000/v1',
                                 'http://api.openai.com/v1', 'http://localhost.example.com/v1'])
def test_plain_http_elsewhere_is_refused_before_any_connection(url, guard, monkeypatch):
    monkeypatch.setenv('MY_KEY', SECRET)
    with pytest.raises(UsageError, match='allow_insecure_http') as e: make_backend('openai', 'm', url, 'MY_KEY')
    assert SECRET not in str(e.value) and '\n' not in str(e.value)
    assert guard == []

def test_opting_in_sends_and_the_guard_sees_it(guard, monkeypatch):
    "With allow_insecure_http the request is attempted: the guard catches it, proving the guard covers the client."
    monkeypatch.setenv('MY_KEY', SECRET)
    b = make_backend('openai', 'm', f'http://{DOC_ADDRESS}/v1', 'MY_KEY', allow_insecure_http=True, max_retries=0, timeout=5)
    assert guard == []  # making the backend connects to nothing
    g, = b.generate([[{'role': 'user', 'content': 'hi'}]], GenParams(max_tokens=4))[0]
    assert g.text is None and g.error is not None and SECRET not in g.error
    assert _remote(guard) == [(DOC_ADDRESS, 80)]

@pytest.mark.parametrize('url', ['https://llm.example.com/v1', 'http://127.0.0.1:8000/v1', 'http://[::1]:8000/v1',
                                 'http://localhost:8000/v1'])
def test_https_and_loopback_need_no_opt_in(url, guard, monkeypatch):
    monkeypatch.setenv('MY_KEY', SECRET)
    assert make_backend('openai', 'm', url, 'MY_KEY').identity()['base_url'] == url
    assert guard == []

@pytest.mark.parametrize('url', ['https://alice:hunter2@llm.example.com/v1', 'http://bob:pw@127.0.0.1:8000/v1',
                                 'https://token@llm.example.com/v1'])
def test_credentials_in_the_url_are_refused(url, guard, monkeypatch):
    monkeypatch.setenv('MY_KEY', SECRET)
    with pytest.raises(UsageError, match='must not hold credentials') as e: make_backend('openai', 'm', url, 'MY_KEY')
    for secret in ('alice', 'hunter2', 'bob', ':pw', 'token'): assert secret not in str(e.value)
    assert guard == []

def test_the_option_belongs_to_the_openai_backend(tmp_path):
    with pytest.raises(UsageError, match='allow_insecure_http apply to the openai backend, not hf'):
        make_backend('hf', 'Qwen/Qwen3-0.6B', allow_insecure_http=True)

def _csqa_guarded(*args, env:dict)->subprocess.CompletedProcess:
    "`csqa ARGS` in a subprocess with the socket guard installed before csqa is imported."
    code = GUARD + 'from csqa.cli.main import main\nrc = main(sys.argv[1:])\nprint("ATTEMPTS", repr(ATTEMPTS), file=sys.stderr)\nsys.exit(rc)'
    return subprocess.run([sys.executable, '-c', code, *map(str, args)], capture_output=True, text=True, timeout=120,
                          cwd=REPO, env={'PATH': '/usr/bin:/bin', 'HOME': str(env.get('HOME', '/tmp')), 'PYTHONPATH': str(REPO),
                                         'HF_HUB_OFFLINE': '1', **env})

@pytest.mark.parametrize('base_url,says', [(f'http://{DOC_ADDRESS}/v1', 'allow_insecure_http'),
                                           (f'https://alice:hunter2@{DOC_ADDRESS}/v1', 'must not hold credentials')])
def test_cli_refuses_in_one_line_with_exit_2(tmp_path, base_url, says):
    out = tmp_path/'run'
    r = _csqa_guarded('answer', '--backend', 'openai', '--base-url', base_url, '--api-key-env', 'SOME_VAR',
                      '--model', 'm', '--data', 'sample', '--out', out, '--no-cache',
                      env={'SOME_VAR': SECRET, 'HOME': str(tmp_path)})
    lines = [l for l in r.stderr.splitlines() if not l.startswith('ATTEMPTS ')]
    assert r.returncode == 2, r.stderr
    assert len(lines) == 1 and lines[0].startswith('csqa: ') and says in lines[0], r.stderr
    assert 'Traceback' not in r.stderr and SECRET not in r.stderr + r.stdout and 'hunter2' not in r.stderr
    assert 'ATTEMPTS []' in r.stderr  # not one connection, not even to loopback
    assert not out.exists() or not any(out.iterdir())

def test_cli_opt_in_reaches_the_server_and_only_then(tmp_path):
    "With --allow-insecure-http the command goes on to contact the server (the guard refuses it: nothing leaves)."
    r = _csqa_guarded('answer', '--backend', 'openai', '--base-url', f'http://{DOC_ADDRESS}/v1', '--api-key-env', 'SOME_VAR',
                      '--allow-insecure-http', '--model', 'm', '--data', 'sample', '--out', tmp_path/'run', '--no-cache',
                      '--timeout', '5', env={'SOME_VAR': SECRET, 'HOME': str(tmp_path)})
    assert r.returncode == 2 and 'cannot reach the server' in r.stderr and 'Traceback' not in r.stderr, r.stderr
    assert f'GUARD refused a connection to ({DOC_ADDRESS!r}, 80)' in r.stderr and SECRET not in r.stderr + r.stdout
