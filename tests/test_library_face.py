"""The library face: `csqa eval` and `csqa.evaluate` write the same run folder; every command-line default is its config's
default; only csqa/cli/ speaks argparse; `import csqa` and the evaluation core never load the training or Ray stacks."""
import json, pkgutil, re, subprocess, sys
from dataclasses import fields
from pathlib import Path
import polars as pl
import pytest
from conftest import run_csqa

ROOT = Path(__file__).parents[1]

def _manifest(run:Path)->dict:
    m = json.loads((run/'manifest.json').read_text())
    for k in ('started', 'finished', 'timings'): m.pop(k)   # timestamps and durations differ between any two runs
    return m

def test_eval_and_evaluate_write_identical_run_folders(tiny_model_dir, tmp_path):
    import csqa
    common = ['--limit', '10', '--max-tokens', '8', '--seed', '3', '--by', 'lang', '--n-boot', '50', '--no-cache', '--no-progress']
    cli_run, lib_run = tmp_path/'cli'/'tiny', tmp_path/'lib'/'tiny'
    r = run_csqa('eval', '--model', tiny_model_dir, '--backend', 'hf', '--data', 'sample', '--out', cli_run, *common)
    assert r.returncode == 0, r.stderr
    run = csqa.evaluate(str(tiny_model_dir), 'sample', out=lib_run, backend='hf', limit=10, max_tokens=8, seed=3,
                        by=['lang'], n_boot=50, no_cache=True, no_progress=True)
    assert run.path == lib_run and isinstance(run, csqa.Run)
    volatile = ['latency_s']   # wall-clock seconds per answer
    a_cli, a_lib = pl.read_parquet(cli_run/'answers.parquet'), pl.read_parquet(lib_run/'answers.parquet')
    assert a_cli.drop(volatile).equals(a_lib.drop(volatile)) and len(a_cli) == 10
    assert pl.read_parquet(cli_run/'grades.parquet').equals(pl.read_parquet(lib_run/'grades.parquet'))
    s_cli, s_lib = (json.loads((d/'scores.json').read_text()) for d in (cli_run, lib_run))
    assert s_cli.pop('source') == str(cli_run) and s_lib.pop('source') == str(lib_run)
    assert s_cli == s_lib
    assert _manifest(cli_run) == _manifest(lib_run)
    assert sorted(p.name for p in cli_run.iterdir()) == sorted(p.name for p in lib_run.iterdir())

def _parser_for(command:str):
    from csqa.cli.main import make_parser
    sub = next(a for a in make_parser()._actions if a.dest == 'command')
    return sub.choices[command]

@pytest.mark.parametrize('command,argv,classes', [
    ('answer', ['--model', 'm', '--out', 'o'], ('AnswerConfig', 'GenParams')),
    ('eval', ['--model', 'm', '--out', 'o'], ('AnswerConfig', 'GenParams', 'GradeConfig', 'ScoreConfig')),
    ('grade', ['run'], ('GradeConfig',)),
    ('score', ['run'], ('ScoreConfig',)),
    ('compare', ['a', 'b'], ('ScoreConfig',)),
])
def test_command_line_defaults_are_the_config_defaults(command, argv, classes):
    import csqa.configs as C
    from csqa.cli.main import configs_from
    classes = [getattr(C, c) for c in classes]
    parser = _parser_for(command)
    got = configs_from(parser.parse_args(argv), *classes)
    for config, cls in zip(got, classes):
        expect = {f.name: f.default for f in fields(cls)}
        if cls is C.AnswerConfig: expect |= {'model': 'm', 'out': 'o'}
        assert config == cls(**expect), (command, cls.__name__)
    # and --help shows each of those defaults next to the option
    options = {a.dest: a for a in parser._actions}
    for cls in classes:
        for f in fields(cls):
            if f.name not in options: continue
            a = options[f.name]
            if str(f.type) == 'bool': assert a.const is True and not f.default, f.name
            else: assert f'(default: {f.default})' in a.help, (command, f.name, a.help)

def test_help_shows_every_default():
    for command in ('answer', 'eval', 'grade', 'score'):
        text = _parser_for(command).format_help()
        assert '(default: 256)' in text or command in ('score',)
        assert '(default: 1000)' in text or command in ('answer', 'grade')

def test_only_the_command_line_speaks_argparse():
    offenders = [str(p.relative_to(ROOT)) for p in (ROOT/'csqa').rglob('*.py')
                 if 'cli' not in p.relative_to(ROOT/'csqa').parts and re.search(r'^\s*(import|from) argparse', p.read_text(), re.M)]
    assert offenders == []

def test_import_csqa_and_the_core_never_load_training_or_ray():
    import csqa
    core = [f'csqa.{m.name}' for m in pkgutil.iter_modules(csqa.__path__) if m.name not in ('train', 'corpus', 'widgets')]
    core += [f'csqa.cli.{m.name}' for m in pkgutil.iter_modules([str(ROOT/'csqa'/'cli')])]
    code = ('import importlib, sys\n'
            f'for m in {core!r}: importlib.import_module(m)\n'
            "import csqa; csqa.evaluate, csqa.Run, csqa.make_grader\n"
            "heavy = [m for m in ('trl', 'peft', 'bitsandbytes', 'accelerate', 'ray') if m in sys.modules]\n"
            "print(heavy)")
    r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == '[]', r.stdout

def test_config_file_and_flags(tiny_model_dir, tmp_path):
    cfg = tmp_path/'eval.yaml'
    cfg.write_text(f'model: {tiny_model_dir}\nbackend: hf\nlimit: 4\nmax_tokens: 6\nn_boot: 0\nno_cache: true\nno_progress: true\n')
    out = tmp_path/'runs'/'from-config'
    r = run_csqa('eval', '--config', cfg, '--out', out, '--limit', '3', '--json')
    assert r.returncode == 0, r.stderr
    m = json.loads((out/'manifest.json').read_text())
    assert m['selection']['limit'] == 3 and m['config']['params']['max_tokens'] == 6   # the flag beat the file
    assert json.loads(r.stdout)['n_boot'] == 0
    cfg.write_text('modle: x\n')
    r = run_csqa('eval', '--config', cfg, '--out', out)
    assert r.returncode == 2 and "unknown key 'modle'" in r.stderr and 'Traceback' not in r.stderr

def test_shipped_eval_config_is_valid():
    from csqa.configs import read_config, split_options
    answering, generation, grading, scoring = split_options(read_config(ROOT/'configs'/'eval.yaml'))
    assert answering.backend == 'openai' and grading.grader.startswith('cascade:') and scoring.slicings() == [['lang'], ['domain'], ['prog_lang']]
