"What the graders grade: a calibration reply's parsed answer (never its JSON), and failed requests kept apart from answers."
import json
import polars as pl
from csqa.backends import Backend, Generation, GenParams
from csqa.prompts import CALIBRATION
from csqa.runs import answer_run, read_answers
from csqa.rules import grade_answers_rules
from csqa.grades import write_grades
from conftest import run_csqa

class Scripted(Backend):
    "Replies by question: a text, or None for a failed request."
    kind = 'scripted'
    def __init__(self, replies:dict): self.replies = replies
    def identity(self): return {'backend': self.kind, 'model': 'scripted'}
    async def astream(self, requests, params):
        for i, (messages, _) in enumerate(requests):
            reply = next(v for k, v in self.replies.items() if k in messages[-1]['content'])
            yield i, Generation(None, 'http_429: rate limited') if reply is None else Generation(reply)

QUESTIONS = pl.DataFrame({'id': ['bits', 'bytes', 'vague', 'busy'], 'question': ['How many bits in a byte?', 'How many bytes in a word?',
                          'How many bits in a nibble?', 'How many ports?'], 'answer': ['8', '2', '4', '65536'],
                          'aliases': [[], [], [], []], 'lang': ['en']*4})
REPLIES = {'bits in a byte': '{"answer": "16", "confidence": 8}',   # wrong answer; its confidence equals the gold
           'bytes in a word': '<think>x86</think>{"answer": "2", "confidence": 70}',
           'nibble': 'four, I am fairly sure',                       # no JSON: no answer to grade
           'ports': None}                                            # the request failed

def test_calibration_run_graded_on_parsed_answer(tmp_path):
    run = tmp_path/'run'
    answer_run(QUESTIONS, Scripted(REPLIES), GenParams(), CALIBRATION, run, progress=False)
    answers = read_answers(run)
    assert answers['answer_text'].to_list() == ['16', '2', None, None]
    grades = grade_answers_rules(answers)
    assert grades['verdict'].to_list() == ['INCORRECT', 'CORRECT', 'PARSE_ERROR', 'PARSE_ERROR']
    assert grades['parse_status'].to_list() == ['ok', 'ok', 'unparseable_answer', 'answer_error']

def test_failed_requests_excluded_from_scores(tmp_path):
    run = tmp_path/'run'
    answer_run(QUESTIONS, Scripted(REPLIES), GenParams(), CALIBRATION, run, progress=False)
    assert json.loads((run/'manifest.json').read_text())['status'] == 'complete_with_errors'
    write_grades(run, grade_answers_rules(read_answers(run)))
    r = run_csqa('score', run, '--json', '--n-boot', '0')
    assert r.returncode == 0, r.stderr
    overall = next(row for row in json.loads(r.stdout)['rows'] if row['slice'] == 'overall')
    # the failed request is neither NOT_ATTEMPTED nor in N; the unparseable reply stays in N, not correct
    assert (overall['n'], overall['n_correct'], overall['n_not_attempted'], overall['n_parse_error']) == (3, 1, 0, 1)
    assert overall['n_excluded'] == 1 and overall['n_answer_error'] == 1
    assert 'excluded' in r.stderr and 'csqa answer' in r.stderr
    assert json.loads((run/'scores.json').read_text())['rows'][0]['n_excluded'] == 1
