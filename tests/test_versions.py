"The environment that runs the tests is the tested version set (constraints/), and that set is consistent."
import subprocess, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT/'scripts'))
import constraints as tested

def test_this_environment_is_the_tested_set():
    "A package at another version than constraints/ pins fails here, by name, with the way back."
    drift = tested.drift()
    assert not drift, ('this environment is not the tested version set:\n  ' + '\n  '.join(drift) +
                       '\n`make venv` reinstalls the tested set; `make upgrade-check` tests newer releases and pins them')

def test_settings_ranges_admit_the_tested_versions():
    "An upper or lower bound in settings.ini that excludes what the tests ran with is a mistake in one or the other."
    for name in ('cpu.txt', 'gpu.txt'):
        assert not tested.out_of_range(tested.FOLDER/name), tested.out_of_range(tested.FOLDER/name)

def test_every_requirement_has_an_upper_bound_below_an_untested_major():
    "Ranges are honest: each third-party requirement (but the pinned dev tools) says which major it was tested on."
    open_ended = [f'{r} ({extra or "core"})' for extra, reqs in tested.settings_requirements().items() for r in reqs
                  if not any(s.operator in ('<', '<=', '==', '~=') for s in r.specifier)]
    assert not open_ended, 'requirements without an upper bound: ' + ', '.join(open_ended)

def test_the_gpu_set_is_part_of_the_cpu_set():
    "The GPU set pins the same versions as the CPU set that CI passed with, for the packages they share."
    cpu, gpu = tested.read(tested.FOLDER/'cpu.txt'), tested.read(tested.FOLDER/'gpu.txt')
    assert gpu and {n: v for n, v in gpu.items() if cpu.get(n) != v} == {}
    assert {'torch', 'transformers', 'trl', 'peft', 'bitsandbytes', 'accelerate'} <= set(gpu)

def test_pip_check_is_clean():
    out = subprocess.run([sys.executable, '-m', 'pip', 'check'], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr

def test_drift_names_the_package_and_the_file(tmp_path, monkeypatch):
    "The message a drifted environment gets: which package, which version, which file."
    pinned = tmp_path/'cpu.txt'
    pinned.write_text('# a comment\npolars==0.0.1\nnot-installed-anywhere==1.0\n')
    monkeypatch.setattr(tested, 'ROOT', tmp_path)
    [line] = tested.drift(pinned)
    assert line.startswith('polars ') and line.endswith('cpu.txt pins 0.0.1'), line
