"The project as a user meets it: requirements in one place, a real wheel, a working console script."
import os, site, subprocess, sys, venv
from configparser import ConfigParser
from pathlib import Path
import yaml

ROOT = Path(__file__).resolve().parents[1]
EXTRAS = ('requirements', 'hf_requirements', 'train_requirements', 'serve_requirements', 'corpus_requirements', 'dev_requirements')

def settings_requirements():
    cfg = ConfigParser(delimiters=['=']); cfg.read(ROOT/'settings.ini', encoding='utf-8')
    return {r for key in EXTRAS for r in cfg['DEFAULT'][key].split()}

def test_environment_yml_names_the_settings_requirements():
    env = yaml.safe_load((ROOT/'environment.yml').read_text(encoding='utf-8'))
    pip_section = next(d['pip'] for d in env['dependencies'] if isinstance(d, dict) and 'pip' in d)
    named = {r for r in pip_section if not r.startswith(('-e', '-c', 'torch=='))}
    assert named == settings_requirements()
    assert 'torch==2.13.0' in pip_section and pip_section.index('torch==2.13.0') == 0, 'torch must come first'

def test_wheel_installs_and_runs_on_the_bundled_sample(tmp_path):
    "Build the wheel, install it into a new virtual environment, run `csqa data stats sample` there."
    dist = tmp_path/'dist'
    subprocess.run([sys.executable, '-m', 'build', '--wheel', '--no-isolation', '-o', str(dist), str(ROOT)],
                   check=True, capture_output=True)
    wheel = next(dist.glob('csqa-*.whl'))
    env_dir = tmp_path/'venv'
    venv.create(env_dir, with_pip=False)
    # The new environment sees this one's third-party packages (no downloads in tests) but not the checkout itself.
    py = env_dir/'bin/python'
    new_site = Path(subprocess.run([py, '-c', 'import sysconfig; print(sysconfig.get_paths()["purelib"])'],
                                   capture_output=True, text=True, check=True).stdout.strip())
    (new_site/'deps.pth').write_text('\n'.join(site.getsitepackages()) + '\n')
    # Without PYTHONPATH: a checkout on the path would make pip think csqa is installed already.
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    subprocess.run([sys.executable, '-m', 'pip', '--python', str(py), 'install', '-q', '--no-deps', '--no-index',
                    str(wheel)], check=True, capture_output=True, env=env)
    where = subprocess.run([py, '-c', 'import csqa; print(csqa.__file__)'], cwd=tmp_path, env=env,
                           capture_output=True, text=True, check=True).stdout
    assert where.startswith(str(new_site)), where
    # The wheel carries the compiled proof of JSONL files (csqa/_jsonl.c), built for this platform.
    native = subprocess.run([py, '-c', 'import csqa._jsonl as j; print(j.__file__)'], cwd=tmp_path, env=env,
                            capture_output=True, text=True)
    assert native.returncode == 0 and native.stdout.startswith(str(new_site)), native.stderr
    out = subprocess.run([env_dir/'bin/csqa', 'data', 'stats', 'sample', '--json'], cwd=tmp_path, env=env,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert '"rows"' in out.stdout

def test_output_cut_short_by_a_pipe_is_quiet(tmp_path):
    "`csqa … | head`: when the reader goes away, csqa stops without a traceback."
    # two graders who disagree on 5,000 items: far more output than a pipe holds (64 KiB)
    (tmp_path/'a.csv').write_text('id,verdict\n' + ''.join(f'q{i},CORRECT\n' for i in range(5000)))
    (tmp_path/'b.csv').write_text('id,verdict\n' + ''.join(f'q{i},INCORRECT\n' for i in range(5000)))
    cmd = [Path(sys.executable).parent/'csqa', 'agreement', 'a.csv', 'b.csv', '--json']
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path)
    proc.stdout.read(5); proc.stdout.close()  # the reader leaves after a few bytes
    err = proc.stderr.read().decode(); proc.wait(timeout=120)
    assert 'Traceback' not in err and proc.returncode == 0, err
