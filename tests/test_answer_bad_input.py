"""Bad settings fail before any work starts: exit 2 and one clear line naming the problem, and no run folder."""
import pytest
from conftest import free_port, run_csqa

def fails_early(tmp_path, *args, expect:str, env=None):
    out = tmp_path/'runs'/'never'
    r = run_csqa('answer', *args, '--out', out, env=env, timeout=120)
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 2, r.stderr
    assert expect in lines[-1], r.stderr
    assert not out.exists()
    return lines

def test_unknown_backend(tmp_path):
    fails_early(tmp_path, '--model', 'm', '--backend', 'llamacpp', expect="invalid choice: 'llamacpp'")

def test_unreachable_base_url(tmp_path):
    url = f'http://127.0.0.1:{free_port()}/v1'
    lines = fails_early(tmp_path, '--model', 'm', '--backend', 'openai', '--base-url', url,
                        expect=f'cannot reach the server at {url}')
    assert len(lines) == 1

def test_missing_model_directory(tmp_path):
    lines = fails_early(tmp_path, '--model', tmp_path/'no-model', '--backend', 'hf',
                        expect=f'model directory not found: {tmp_path/"no-model"}')
    assert len(lines) == 1

def test_unset_api_key_variable(tmp_path):
    lines = fails_early(tmp_path, '--model', 'gpt-x', '--backend', 'openai', '--base-url', 'https://api.example.org/v1',
                        '--api-key-env', 'CSQA_UNSET_KEY_VAR', expect='CSQA_UNSET_KEY_VAR (named by api_key_env) is not set',
                        env={'CSQA_UNSET_KEY_VAR': ''})
    assert len(lines) == 1

@pytest.mark.parametrize('args,expect', [
    (('--slice', 'colour=red'), "unknown column 'colour'"),
    (('--prompt', 'nonexistent-template'), 'not a built-in template'),
    (('--top-p', '0'), 'top_p must be in (0, 1]'),
    (('--data', 'no/such/file.jsonl'), 'no such file')])
def test_other_usage_errors(tmp_path, tiny_model_dir, args, expect):
    fails_early(tmp_path, '--model', tiny_model_dir, '--backend', 'hf', *args, expect=expect)
