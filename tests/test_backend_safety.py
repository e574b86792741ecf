"Keys go only where they belong, and URLs never carry credentials into manifests, cache keys or logs."
import json
import pytest
from csqa.backends import make_backend, redact_url, resolve_api_key
from csqa.schema import UsageError

SECRET = 'sk-test-not-a-real-key'

@pytest.mark.parametrize('url', ['https://example.com/v1', 'https://10.0.0.5:8000/v1', 'https://api.openai.com.example.com/v1',
                                 'https://localhost.example.com/v1'])
def test_third_party_server_needs_named_key(url, monkeypatch):
    monkeypatch.setenv('OPENAI_API_KEY', SECRET)
    with pytest.raises(UsageError, match='api_key_env') as e: make_backend('openai', 'm', url)
    assert SECRET not in str(e.value)

def test_official_api_and_named_keys(monkeypatch):
    monkeypatch.setenv('OPENAI_API_KEY', SECRET)
    monkeypatch.setenv('OTHER_KEY', 'other')
    assert resolve_api_key(None, None) == SECRET
    assert resolve_api_key(None, 'https://api.openai.com/v1') == SECRET
    assert resolve_api_key('OTHER_KEY', 'https://example.com/v1') == 'other'
    # plain http to the OpenAI host is refused before the key is looked at (tests/test_insecure_http.py)
    with pytest.raises(UsageError, match='allow_insecure_http'): make_backend('openai', 'm', 'http://api.openai.com/v1')

@pytest.mark.parametrize('url', ['http://127.0.0.1:8000/v1', 'http://localhost:8000/v1', 'http://[::1]:9/v1',
                                 'http://127.3.2.1/v1'])
def test_loopback_gets_dummy_key(url, monkeypatch):
    monkeypatch.setenv('OPENAI_API_KEY', SECRET)
    assert resolve_api_key(None, url) == 'EMPTY'

def test_identity_and_repr_have_no_url_secrets(monkeypatch):
    monkeypatch.setenv('MY_KEY', SECRET)
    b = make_backend('openai', 'm', 'https://llm.example.com:8443/v1?api_key=qsecret&x=1', 'MY_KEY')
    shown = json.dumps(b.identity()) + repr(b)
    for secret in ('qsecret', SECRET): assert secret not in shown
    assert b.identity()['base_url'] == 'https://llm.example.com:8443/v1'
    # credentials in the URL are refused outright (named nowhere in the message), not stripped
    with pytest.raises(UsageError, match='must not hold credentials') as e:
        make_backend('openai', 'm', 'https://alice:hunter2@llm.example.com:8443/v1?api_key=qsecret', 'MY_KEY')
    for secret in ('alice', 'hunter2', 'qsecret', SECRET): assert secret not in str(e.value)
    assert redact_url('https://alice:hunter2@llm.example.com:8443/v1?api_key=qsecret') == 'https://llm.example.com:8443/v1'
    assert redact_url(None) is None
