"Shared pytest fixtures: where the real benchmark lives, and a scratch folder to work in."
import os
from pathlib import Path
import pytest

SHARED = Path(__file__).parents[1].parent/'shared'
CODESIMPLEQA = SHARED/'data'/'codesimpleqa'/'code_simpleqa_eval_2k.jsonl'

@pytest.fixture
def codesimpleqa_path()->Path:
    "The released CodeSimpleQA test file (never copied into the repo): skip where absent, fail in CI."
    if not CODESIMPLEQA.exists():
        reason = f'the CodeSimpleQA test file is not at {CODESIMPLEQA}'
        if os.environ.get('CI') == 'true': pytest.fail(reason)
        pytest.skip(reason)
    return CODESIMPLEQA

@pytest.fixture
def workdir(tmp_path, monkeypatch)->Path:
    "A fresh temporary folder, also the current directory, so file names in messages stay short."
    monkeypatch.chdir(tmp_path)
    return tmp_path
