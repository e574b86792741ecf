"""Numbers that cannot decode are refused by name when `GenParams` is made: NaN and infinity compare false with every
bound, so without an explicit check they passed, failed every HTTP request and left `NaN` in manifest.json."""
import math
import pytest
from csqa.backends import GenParams, make_backend
from csqa.schema import UsageError
from conftest import run_csqa

NAN, INF = float('nan'), float('inf')

@pytest.mark.parametrize('field,value', [('temperature', NAN), ('temperature', INF), ('temperature', -INF), ('temperature', -0.5),
                                         ('top_p', NAN), ('top_p', 0), ('top_p', 1.0001), ('top_p', INF),
                                         ('max_tokens', NAN), ('max_tokens', INF), ('max_tokens', 0), ('max_tokens', 8.5),
                                         ('max_tokens', True), ('n', NAN), ('n', 0), ('n', '2'), ('seed', NAN), ('seed', 1.5)])
def test_bad_decoding_numbers_are_refused_by_name(field, value):
    with pytest.raises(UsageError, match=f'^{field} must be') as e: GenParams(**{field: value})
    assert '\n' not in str(e.value)

def test_good_numbers_pass_unchanged():
    p = GenParams(temperature=2, top_p=1, max_tokens=1, n=3, seed=0)
    assert (p.temperature, p.top_p, p.max_tokens, p.n, p.seed) == (2, 1, 1, 3, 0)
    assert all(math.isfinite(v) for v in (p.temperature, p.top_p))

@pytest.mark.parametrize('option,value', [('concurrency', 0), ('concurrency', NAN), ('timeout', NAN), ('timeout', 0),
                                          ('timeout', INF), ('max_retries', -1), ('max_retries', 1.5),
                                          ('retry_base_s', NAN), ('retry_max_s', -1)])
def test_bad_backend_numbers_are_refused_by_name(option, value):
    with pytest.raises(UsageError, match=f'^{option} must be'):
        make_backend('openai', 'm', 'http://127.0.0.1:9/v1', **{option: value})

@pytest.mark.parametrize('value', ['nan', 'inf', '-1'])
def test_cli_temperature_nan_is_a_usage_error(tmp_path, value):
    r = run_csqa('answer', '--backend', 'openai', '--base-url', 'http://127.0.0.1:9/v1', '--model', 'm', '--data', 'sample',
                 f'--temperature={value}', '--out', tmp_path/'run', '--no-cache', env={'HOME': str(tmp_path)})
    assert r.returncode == 2, r.stderr
    assert 'temperature' in r.stderr.strip().splitlines()[-1] and 'Traceback' not in r.stderr  # argparse may print usage first
    assert not (tmp_path/'run'/'manifest.json').exists()
