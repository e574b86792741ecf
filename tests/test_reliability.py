"""Careless and hostile use: one writer per run folder, one-line errors for file-system trouble, failed requests in the
exit status, nothing stray left behind, and a rerun that completes the table."""
import json, os, signal, subprocess, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
import polars as pl
import pytest
from conftest import run_csqa

REPO = Path(__file__).parents[1]

def csqa_proc(*args, env=None)->subprocess.Popen:
    "`csqa ARGS` started in the background."
    return subprocess.Popen([sys.executable, '-c', 'import sys; from csqa.cli import main; sys.exit(main())', *map(str, args)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO,
                            env={**os.environ, 'PYTHONPATH': str(REPO), **(env or {})})

def one_line_error(stderr:str)->str:
    "The error line of a refused command: no traceback, exactly one line starting `csqa:` (progress bars aside)."
    assert 'Traceback' not in stderr, stderr
    lines = [l for l in stderr.splitlines() if l.startswith('csqa:')]
    assert len(lines) == 1, stderr
    return lines[0]

def no_strays(run:Path):
    assert not [p.name for p in run.iterdir() if p.name.endswith('.tmp')], list(run.iterdir())

def answer_args(server, out, *more):
    return ('answer', '--model', server.model, '--backend', 'openai', '--base-url', server.base_url, '--out', out,
            '--limit', '12', '--max-tokens', '6', '--no-cache', '--no-progress', *more)

# --- one writer at a time -------------------------------------------------------------------------------------------

def test_two_concurrent_answer_processes(openai_server, tmp_path):
    for attempt in range(3):
        run = tmp_path/f'run{attempt}'
        procs = [csqa_proc(*answer_args(openai_server, run)) for _ in range(2)]
        results = [(p.wait(timeout=300), *p.communicate()) for p in procs]
        codes = sorted(rc for rc, _, _ in results)
        for rc, out, err in results:
            assert 'Traceback' not in err, err
            if rc == 1: assert 'in use by process' in one_line_error(err)
        assert codes in ([0, 0], [0, 1]), results   # both in turn, or the second refused at once
        table = pl.read_parquet(run/'answers.parquet')  # never corrupt
        assert len(table) == 12 and table['error'].null_count() == 12
        again = run_csqa(*answer_args(openai_server, run))
        assert again.returncode == 0 and len(pl.read_parquet(run/'answers.parquet')) == 12
        no_strays(run)

def test_two_concurrent_graders(openai_server, tmp_path):
    run = tmp_path/'run'
    assert run_csqa(*answer_args(openai_server, run)).returncode == 0
    for _ in range(4):
        procs = [csqa_proc('grade', run, '--grader', 'rules') for _ in range(2)]
        for p in procs:
            rc = p.wait(timeout=120); _, err = p.communicate()
            assert rc in (0, 1) and 'Traceback' not in err, err
            if rc == 1: assert 'in use by process' in one_line_error(err)
        grades = pl.read_parquet(run/'grades.parquet')
        assert len(grades) == 12 and set(grades['grader']) == {'rules'}
        no_strays(run)

def _holder(run:Path, seconds:float)->subprocess.Popen:
    "A process that holds the run folder for `seconds`."
    code = f'import time\nfrom csqa.runs import run_lock\nwith run_lock({str(run)!r}):\n    print("held", flush=True); time.sleep({seconds})'
    p = subprocess.Popen([sys.executable, '-c', code], stdout=subprocess.PIPE, text=True, cwd=REPO,
                         env={**os.environ, 'PYTHONPATH': str(REPO)})
    assert p.stdout.readline().strip() == 'held'
    return p

def test_busy_folder_refused_then_waited_for_and_killed_holder_never_blocks(openai_server, tmp_path):
    run = tmp_path/'run'
    assert run_csqa(*answer_args(openai_server, run)).returncode == 0
    holder = _holder(run, 60)
    r = run_csqa('grade', run, '--grader', 'rules')
    assert r.returncode == 1 and f'in use by process {holder.pid}' in one_line_error(r.stderr)
    os.kill(holder.pid, signal.SIGKILL); holder.wait()      # kill -9: the OS drops the lock with the process
    assert run_csqa('grade', run, '--grader', 'rules').returncode == 0
    holder = _holder(run, 2)
    t0 = time.monotonic()
    r = run_csqa('grade', run, '--grader', 'rules', '--wait')
    assert r.returncode == 0, r.stderr
    assert time.monotonic() - t0 > 1 and holder.wait() == 0

# --- file-system trouble: one line, exit 1, nothing stray, the rerun completes -----------------------------------------

def test_out_that_is_a_file_or_a_device(tiny_model_dir, tmp_path):
    afile = tmp_path/'a-file'; afile.write_text('x')
    for out in (afile, '/dev/full', afile/'run'):
        r = run_csqa('answer', '--model', tiny_model_dir, '--out', out, '--limit', '2', '--no-cache')
        assert r.returncode == 1 and 'is not a folder' in one_line_error(r.stderr), r.stderr

def test_unwritable_cache_refused_before_the_model_loads(tiny_model_dir, tmp_path):
    out = tmp_path/'run'
    r = run_csqa('answer', '--model', tiny_model_dir, '--out', out, '--limit', '2', '--cache', '/dev/full/gen.sqlite')
    assert r.returncode == 1 and '/dev/full: exists and is not a folder' in one_line_error(r.stderr)
    assert not out.exists()

def limited(*args, kib:int)->subprocess.CompletedProcess:
    "`csqa ARGS` with a file-size limit of `kib` KiB (`ulimit -f`), as a full disk would cut a write short."
    cmd = ' '.join(map(lambda a: f"'{a}'", [sys.executable, '-c', 'import sys; from csqa.cli import main; sys.exit(main())', *map(str, args)]))
    return subprocess.run(['bash', '-c', f'ulimit -f {kib}; exec {cmd}'], capture_output=True, text=True, cwd=REPO,
                          env={**os.environ, 'PYTHONPATH': str(REPO)}, timeout=300)

def test_file_size_limit_while_answering_grading_and_reporting(openai_server, tmp_path):
    run = tmp_path/'run'
    r = limited(*answer_args(openai_server, run, '--limit', '40'), kib=8)
    assert r.returncode == 1 and 'File too large' in one_line_error(r.stderr), r.stderr
    def whole(line):
        try: return bool(json.loads(line))
        except ValueError: return False                      # the row that was being written when the limit hit
    kept = sum(map(whole, (run/'answers.journal.jsonl').read_text().splitlines()))
    assert 0 < kept < 40                                     # everything but the row in flight is kept
    assert run_csqa(*answer_args(openai_server, run, '--limit', '40')).returncode == 0
    assert len(pl.read_parquet(run/'answers.parquet')) == 40 and json.loads((run/'manifest.json').read_text())['counts']['resumed_rows'] >= kept
    no_strays(run)
    r = limited('grade', run, '--grader', 'rules', kib=4)
    assert r.returncode == 1 and 'File too large' in one_line_error(r.stderr), r.stderr
    assert not (run/'grades.parquet').exists(); no_strays(run)
    assert run_csqa('grade', run, '--grader', 'rules').returncode == 0
    r = limited('report', run, '--out', tmp_path/'report.html', '--n-boot', '0', kib=64)
    assert r.returncode == 1 and 'File too large' in one_line_error(r.stderr), r.stderr
    assert not [p for p in tmp_path.iterdir() if p.name.endswith('.tmp')]

# --- numbers, exit status, data paths ---------------------------------------------------------------------------------

@pytest.mark.parametrize('arg,says', [('--temperature=nan', 'not a finite number'), ('--top-p=inf', 'not a finite number'),
                                      ('--timeout=-inf', 'not a finite number'), ('--n-boot=nan', 'not a whole number')])
def test_non_finite_numbers_refused(arg, says, tmp_path):
    r = run_csqa('eval', '--model', 'm', '--out', tmp_path/'run', arg)
    assert r.returncode == 2 and says in r.stderr and 'Traceback' not in r.stderr
    assert not (tmp_path/'run').exists()

def test_library_refuses_non_finite_numbers(tmp_path):
    import csqa
    from csqa.schema import UsageError
    for bad in ({'timeout': float('nan')}, {'threshold': float('inf')}, {'ci': float('nan')}, {'limit': 0}):
        with pytest.raises(UsageError): csqa.evaluate('m', out=tmp_path/'run', **bad)
    assert not (tmp_path/'run').exists()

class Refusing(BaseHTTPRequestHandler):
    "An OpenAI-compatible server that lists a model but refuses every completion with 400."
    def log_message(self, *a): pass
    def _send(self, code, obj):
        body = json.dumps(obj).encode(); self.send_response(code)
        self.send_header('Content-Type', 'application/json'); self.send_header('Content-Length', str(len(body)))
        self.end_headers(); self.wfile.write(body)
    def do_GET(self): self._send(200, {'object': 'list', 'data': [{'id': 'm', 'object': 'model'}]})
    def do_POST(self):
        self.rfile.read(int(self.headers.get('Content-Length', 0)))
        self._send(400, {'error': {'message': 'this server answers nothing', 'type': 'invalid_request_error'}})

@pytest.fixture
def refusing_server():
    srv = ThreadingHTTPServer(('127.0.0.1', 0), Refusing)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f'http://127.0.0.1:{srv.server_address[1]}/v1'
    srv.shutdown()

def test_every_request_failed_exits_1(refusing_server, openai_server, tmp_path):
    run = tmp_path/'dead'
    r = run_csqa('answer', '--model', 'm', '--backend', 'openai', '--base-url', refusing_server, '--out', run,
                 '--limit', '5', '--no-cache', '--no-progress')
    assert r.returncode == 1 and '5 of 5 requests failed' in r.stderr and 'Traceback' not in r.stderr
    good = tmp_path/'good'
    assert run_csqa(*answer_args(openai_server, good)).returncode == 0
    r = run_csqa('grade', good, '--grader', 'judge:m', '--judge-backend', 'openai', '--base-url', refusing_server,
                 '--no-cache', '--no-progress')
    assert r.returncode == 1 and 'judge request(s) failed' in r.stderr and 'Traceback' not in r.stderr

@pytest.mark.parametrize('data,says', [('DIR', 'is a folder, not a data file'), ('/dev/null', 'is not a regular file'),
                                       ('no/such.jsonl', 'no such file')])
def test_data_paths_named_rightly(data, says, tmp_path):
    data = str(tmp_path) if data == 'DIR' else data
    r = run_csqa('answer', '--model', 'm', '--out', tmp_path/'run', '--data', data)
    assert r.returncode == 2 and says in one_line_error(r.stderr)

def test_no_progress_hides_the_bar_of_a_large_file(openai_server, tmp_path):
    big = tmp_path/'big.jsonl'
    row = '{{"question": "Which clause filters groups, case {}?", "answer": "HAVING", "domain": ["Databases", "Query Processing"], "programming_language": "sql", "human_language": "english"}}\n'
    big.write_text(''.join(row.format(i) for i in range(300_000)))  # 57 MB: 'auto' shows a bar above 50 MB or 200k rows
    # the model behind the session's server: the bars are the reading's, and a local model would add ~5 s of imports a run
    args = ('answer', '--model', openai_server.model, '--backend', 'openai', '--base-url', openai_server.base_url, '--data', big,
            '--limit', '1', '--max-tokens', '2', '--no-cache')
    shown = run_csqa(*args, '--out', tmp_path/'a')
    assert shown.returncode == 0 and any(bar in shown.stderr for bar in ('checking', 'proving', 'reading')), shown.stderr
    hidden = run_csqa(*args, '--out', tmp_path/'b', '--no-progress')
    assert hidden.returncode == 0 and hidden.stderr.strip() == '', hidden.stderr
