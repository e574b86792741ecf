"""`pip install csqa` with no extras, as a user gets it: the wheel installs into a clean virtual environment without
torch or transformers; data, answering through an OpenAI-compatible server, grading (rules and a judge over HTTP),
scoring, reports and the Explorer work there; and what needs an extra says which one, in one line."""
import json, os, subprocess, sys, venv
from pathlib import Path
import pytest
from conftest import serve_chat

ROOT = Path(__file__).resolve().parents[1]

@pytest.fixture(scope='module')
def core(tmp_path_factory):
    "A virtual environment holding the csqa wheel and its core requirements only; (its bin folder, env, work folder)."
    tmp = tmp_path_factory.mktemp('core')
    subprocess.run([sys.executable, '-m', 'build', '--wheel', '--no-isolation', '-o', str(tmp/'dist'), str(ROOT)],
                   check=True, capture_output=True)
    wheel = next((tmp/'dist').glob('csqa-*.whl'))
    venv.create(tmp/'venv', with_pip=False)  # this environment's pip installs into it (--python): no bootstrap
    # Without PYTHONPATH: the checkout on the path would make pip think csqa is installed already. The tested versions.
    # Bytecode written as modules are first imported, as a user's Python does (where PYTHONDONTWRITEBYTECODE is set,
    # every command here compiled polars', plotly's and csqa's sources anew: 42 → 35 CPU-s for this module's tests).
    env = {k: v for k, v in os.environ.items() if k not in ('PYTHONPATH', 'VIRTUAL_ENV', 'PYTHONDONTWRITEBYTECODE')}
    r = subprocess.run([sys.executable, '-m', 'pip', '--python', str(tmp/'venv'/'bin'/'python'), 'install', '-q',
                        '--no-compile', '-c', str(ROOT/'constraints'/'cpu.txt'), str(wheel)], env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-3000:]
    work = tmp/'work'; work.mkdir()
    return tmp/'venv'/'bin', env, work

def run(core, *args, ok=True):
    "Run a program of the core environment (`csqa`, `python`) in its work folder."
    bin_dir, env, work = core
    r = subprocess.run([str(bin_dir/args[0]), *map(str, args[1:])], env=env, cwd=work, capture_output=True,
                       text=True, timeout=300)
    if ok: assert r.returncode == 0, f'{args}: {r.stderr[-3000:]}'
    return r

def test_no_torch_or_transformers(core):
    r = run(core, 'python', '-c', 'import importlib.util as u; print([m for m in ("torch", "transformers", "trl", '
                                  '"peft", "rensa", "ray") if u.find_spec(m)])')
    assert r.stdout.strip() == '[]', r.stdout
    assert run(core, 'python', '-c', 'import torch', ok=False).returncode == 1
    r = run(core, 'python', '-c', 'import csqa, csqa.cli, csqa.train, csqa.corpus, csqa.widgets; print(csqa.__file__)')
    assert r.stdout.startswith(str(core[0].parent)), r.stdout  # the installed wheel, not the checkout
    assert 'train' in run(core, 'csqa', '--help').stdout

@pytest.fixture(scope='module')
def server():
    "A chat-completions server that answers every request with `A` (an answer, and a judge's CORRECT)."
    from aiohttp import web
    async def chat(request):
        body = await request.json()
        return web.json_response({'id': 'x', 'object': 'chat.completion', 'created': 0, 'model': body['model'],
                                  'choices': [{'index': 0, 'finish_reason': 'stop',
                                               'message': {'role': 'assistant', 'content': 'A'}}],
                                  'usage': {'prompt_tokens': 10, 'completion_tokens': 1, 'total_tokens': 11}})
    yield from serve_chat(chat, {})

def test_core_commands_work(core, server):
    "Data, answering over HTTP, rules and judge grading, scoring, the report and the Explorer, without any extra."
    run(core, 'csqa', 'data', 'validate', 'sample')
    run(core, 'csqa', 'answer', '--backend', 'openai', '--base-url', server['url'], '--model', 'mock', '--data', 'sample',
        '--limit', '20', '--out', 'run', '--no-progress', '--cache', 'gen.sqlite')
    run(core, 'csqa', 'grade', 'run', '--grader', 'rules', '--no-progress')
    run(core, 'csqa', 'grade', 'run', '--grader', 'judge:mock', '--judge-base-url', server['url'], '--no-progress',
        '--cache', 'gen.sqlite')
    assert '"overall"' in run(core, 'csqa', 'score', 'run', '--n-boot', '0', '--json').stdout
    run(core, 'csqa', 'report', 'run', '--grader', 'rules', '--n-boot', '0', '--out', 'report.html')
    assert (core[2]/'report.html').stat().st_size > 10_000
    r = run(core, 'python', '-c', 'from csqa.widgets import Explorer; e = Explorer("run", n_boot=20); '
                                  'print(len(e.items), len(e.runs))')
    assert r.stdout.split()[0] == '40', r.stdout  # 20 answers, each graded by two graders

# (arguments, the line that must be all of stderr); exit status 2, as for any usage error
COMMANDS = [
    (['train', 'sft', '--config', str(ROOT/'configs'/'sft-tiny.yaml')],
     "csqa train sft needs the 'train' extra (torch is missing): pip install 'csqa[train]'"),
    (['train', 'merge', 'adapter', '--out', 'merged'],
     "csqa train merge needs the 'train' extra (torch is missing): pip install 'csqa[train]'"),
    (['corpus', 'dedup', 'sample', '--out', 'dedup'],
     "csqa corpus dedup needs the 'corpus' extra (rensa is missing): pip install 'csqa[corpus]'"),
    (['answer', '--backend', 'hf', '--model', 'some/model', '--out', 'never'],
     "csqa answer needs the 'hf' extra (torch is missing): pip install 'csqa[hf]'"),
    (['demo', '--out', 'never'], "csqa demo needs the 'hf' extra (torch is missing): pip install 'csqa[hf]'")]
# (a library call, what its MissingExtra must say)
CALLS = [
    ('from csqa.tiny import build_tiny_model; build_tiny_model("tiny")',
     "csqa.tiny needs the 'hf' extra (torch is missing): pip install 'csqa[hf]'"),
    ('import csqa; csqa.evaluate("some/model", backend="hf", limit=2, out="never")',
     "the hf backend needs the 'hf' extra (torch is missing): pip install 'csqa[hf]'"),
    (f'from csqa.train import train_sft; train_sft({str(ROOT/"configs"/"sft-tiny.yaml")!r}, output_dir="never")',
     "needs the 'train' extra"),
    ('from csqa.corpus import minhash_signatures; import polars as pl; minhash_signatures(pl.Series(["a b c"]))',
     "csqa.corpus.dedup needs the 'corpus' extra (rensa is missing): pip install 'csqa[corpus]'")]

def test_what_needs_an_extra_names_it_in_one_line(core):
    "Each command and library call that crosses into a missing extra, run in one process of the core environment."
    script = f"""
import contextlib, io, json
from csqa.cli import main
from csqa.extras import MissingExtra
out = []
for args in {[a for a, _ in COMMANDS]!r}:
    err = io.StringIO()
    with contextlib.redirect_stderr(err): status = main(args)
    out.append([status, err.getvalue()])
for code in {[c for c, _ in CALLS]!r}:
    try: exec(code); out.append(None)
    except MissingExtra as e: out.append(str(e))
print(json.dumps(out))"""
    results = json.loads(run(core, 'python', '-c', script).stdout)
    for (args, line), (status, err) in zip(COMMANDS, results):
        assert status == 2 and err.splitlines() == [line], (args, status, err)
    for (code, says), said in zip(CALLS, results[len(COMMANDS):]):
        assert said is not None and says in said, (code, said)
    assert not any((core[2]/d).exists() for d in ('never', 'merged', 'dedup'))
