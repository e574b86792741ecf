"Keys go only where they belong, and URLs never carry credentials into manifests, cache keys or logs."
import json
import pytest
from csqa.backends import make_backend, redact_url, resolve_api_key
from csqa.schema import UsageError

SECRET = 'sk-test-not-a-real-key'

@pytest.mark.parametrize('url', ['https://example.com/v1', 'http://10.0.0.5:8000/v1', 'http://api.openai.com/v1',
                                 'http://localhost.example.com/v1', 'http://127.0.0.1@example.com/v1'])
def test_third_party_server_needs_named_key(url, monkeypatch):
    monkeypatch.setenv('OPENAI_API_KEY', SECRET)
    with pytest.raises(UsageError, match='--api-key-env') as e: make_backend('openai', 'm', url)
    assert SECRET not in str(e.value)

def test_official_api_and_named_keys(monkeypatch):
    monkeypatch.setenv('OPENAI_API_KEY', SECRET)
    monkeypatch.setenv('OTHER_KEY', 'other')
    assert resolve_api_key(None, None) == SECRET
    assert resolve_api_key(None, 'https://api.openai.com/v1') == SECRET
    assert resolve_api_key('OTHER_KEY', 'https://example.com/v1') == 'other'

@pytest.mark.parametrize('url', ['http://127.0.0.1:8000/v1', 'http://localhost:8000/v1', 'http://[::1]:9/v1',
                                 'http://127.3.2.1/v1'])
def test_loopback_gets_dummy_key(url, monkeypatch):
    monkeypatch.setenv('OPENAI_API_KEY', SECRET)
    assert resolve_api_key(None, url) == 'EMPTY'

def test_identity_and_repr_have_no_url_secrets(monkeypatch):
    monkeypatch.setenv('MY_KEY', SECRET)
    url = 'https://alice:hunter2@llm.example.com:8443/v1?api_key=qsecret&x=1'
    b = make_backend('openai', 'm', url, 'MY_KEY')
    shown = json.dumps(b.identity()) + repr(b)
    for secret in ('alice', 'hunter2', 'qsecret', SECRET): assert secret not in shown
    assert b.identity()['base_url'] == 'https://llm.example.com:8443/v1'
    assert redact_url(None) is None
