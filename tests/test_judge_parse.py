"Strict parsing of judge outputs (EN and ZH), and the rubric chosen by the item's language."
import pytest
import polars as pl
from csqa.backends import Backend, Generation
from csqa.judge import parse_judge, judge_messages, grade_answers_judge
from csqa.schema import Verdict

_PE, _A, _B, _C = Verdict.PARSE_ERROR, Verdict.CORRECT, Verdict.INCORRECT, Verdict.NOT_ATTEMPTED
PARSE_CASES = [
    ('A', _A), ('B', _B), ('C', _C), ('  b  ', _B), ('(A)', _A), ('A.', _A), ('**C**', _C), ('Ａ', _A),
    ('CORRECT', _A), ('INCORRECT', _B), ('incorrect', _B), ('NOT_ATTEMPTED', _C), ('NOT ATTEMPTED', _C),
    ('not-attempted', _C), ('A: CORRECT', _A), ('B (INCORRECT)', _B), ('A: INCORRECT', _PE),
    ('Grade: B', _B), ('grade: c', _C), ('Final grade: A', _A), ('Verdict: INCORRECT', _B),
    ('The answer matches the gold.\nGrade: A', _A), ('**Grade:** C', _C), ('Grade: B\nGrade: A', _PE),
    ('评分：A', _A), ('评分: B', _B), ('正确', _A), ('错误', _B), ('不正确', _B), ('未尝试', _C), ('结论：未尝试', _C),
    ('回答与标准答案一致。\n评分：A', _A), ('<think>maybe B</think>A', _A), ('<think>A</think>', _PE),
    ('The answer is A', _PE), ('A or B', _PE), ('AB', _PE), ('D', _PE), ('', _PE), (None, _PE),
    ('CORRECT is not the right grade here; it is B', _PE), ('I think the grade should be A because', _PE),
    ('A\nB\nC', _PE), ('A: CORRECT\nB: INCORRECT\nC: NOT_ATTEMPTED', _PE), ('答案是A', _PE), ('A. The answer is correct.', _PE),
]

@pytest.mark.parametrize('text,verdict', PARSE_CASES)
def test_parse_case(text, verdict):
    assert parse_judge(text) == (verdict, 'ok' if verdict != Verdict.PARSE_ERROR else 'parse_error')

def test_enough_cases(): assert len(PARSE_CASES) >= 30

def test_incorrect_never_read_as_correct():
    for text in ('INCORRECT', 'Grade: INCORRECT', '**INCORRECT**', 'B: INCORRECT'):
        assert parse_judge(text)[0] == Verdict.INCORRECT

class Recorder(Backend):
    "Replies B to everything and keeps the prompts it was sent."
    kind = 'recorder'
    def __init__(self): self.sent = []
    def identity(self): return {'backend': self.kind, 'model': 'recorder'}
    async def astream(self, requests, params):
        for i, (messages, _) in enumerate(requests):
            self.sent.append(messages[0]['content']); yield i, Generation('B')

def test_chinese_item_gets_chinese_rubric():
    "The released scripts test `== 'zh'` on data that says `chinese`; csqa items carry canonical `zh`."
    answers = pl.DataFrame({'id': ['e', 'z'], 'sample_idx': [0, 0], 'question': ['Port?', '端口？'],
                            'answer': ['5432', '5432'], 'lang': ['en', 'zh'], 'response': ['1', '1']})
    judge = Recorder()
    grades = grade_answers_judge(answers, judge, desc=None)
    assert grades['grader'].unique().to_list() == ['judge:recorder']
    en, zh = judge.sent
    assert '标准答案' in zh and '端口？' in zh and 'Gold target' not in zh
    assert 'Gold target' in en and '标准答案' not in en

def test_reasoning_removed_before_judging():
    content = judge_messages('Q?', 'x', '<think>secret chain</think>final x')[0]['content']
    assert 'secret chain' not in content and 'final x' in content
