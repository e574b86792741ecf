"The rules grader's case table: bilingual glosses, code tokens, numbers, abstention (EN/ZH), candidate lists."
import pytest
from csqa.rules import grade_rules, RuleVerdict
from csqa.schema import Verdict

CASES = [  # response, gold, aliases, expected verdict, expected rule
    # exact after normalising case, width, whitespace, punctuation, quotes
    ('HashMap', 'hashmap', (), 'CORRECT', 'exact'),
    ('ｈａｓｈｍａｐ', 'HashMap', (), 'CORRECT', 'exact'),
    ('  Hash   Map. ', 'hash map', (), 'CORRECT', 'exact'),
    ('"HashMap"', 'HashMap', (), 'CORRECT', 'exact'),
    ('The `volatile` keyword.', 'volatile keyword', (), 'CORRECT', 'exact'),
    # code tokens
    ('addListener()', 'addListener', (), 'CORRECT', 'exact'),
    ('`addListener`', 'addListener()', (), 'CORRECT', 'exact'),
    ('addListener2', 'addListener', (), 'INCORRECT', 'no_match'),
    ('Use addListener2()', 'addListener', (), 'INCORRECT', 'no_match'),
    ('O(n)', 'O(log n)', (), 'INCORRECT', 'no_match'),
    ('O(log n)', 'O(n)', (), 'INCORRECT', 'no_match'),
    ('The time complexity is O(log n).', 'O(log n)', (), 'CORRECT', 'span'),
    ('C++', 'C', (), 'INCORRECT', 'no_match'),
    ('C', 'C++', (), 'INCORRECT', 'no_match'),
    ('It is written in C#.', 'C#', (), 'CORRECT', 'span'),
    ('std::vector<int>', 'std::vector<int>', (), 'CORRECT', 'exact'),
    ('Python 3.10', 'Python 3.1', (), 'INCORRECT', 'no_match'),
    ('You call os.path.join() for that.', 'os.path.join', (), 'CORRECT', 'span'),
    # bilingual gold and aliases
    ('哈希函数', '哈希函数（Hash Function）', (), 'CORRECT', 'exact'),
    ('Hash Function', '哈希函数（Hash Function）', (), 'CORRECT', 'exact'),
    ('hash function', 'Hash Function (哈希函数)', (), 'CORRECT', 'exact'),
    ('它使用哈希函数来定位桶。', '哈希函数（Hash Function）', (), 'CORRECT', 'span'),
    ('GIL', 'Global Interpreter Lock (GIL)', (), 'CORRECT', 'exact'),
    ('散列函数', '哈希函数（Hash Function）', (), 'INCORRECT', 'no_match'),
    ('散列函数', '哈希函数（Hash Function）', ('散列函数',), 'CORRECT', 'exact'),
    ('It is called a dictionary.', 'dict', ('dictionary',), 'CORRECT', 'span'),
    # numbers and units
    ('128 bits', '128-bit', (), 'CORRECT', 'exact'),
    ('128-bit', '128 bits', (), 'CORRECT', 'exact'),
    ('128', '128 bits', (), 'CORRECT', 'numeric'),
    ('AES uses a 128-bit block.', '128', (), 'CORRECT', 'span'),
    ('The default port is 5432.', '5432', (), 'CORRECT', 'span'),
    ('The default port is 15432.', '5432', (), 'INCORRECT', 'no_match'),
    ('1024 bytes', '1 KiB', (), 'CORRECT', 'numeric'),
    ('128位', '128 bits', (), 'CORRECT', 'exact'),
    ('1,000', '1000', (), 'CORRECT', 'exact'),
    ('64 bits', '128 bits', (), 'INCORRECT', 'no_match'),
    # abstention, English and Chinese
    ("I don't know.", 'HashMap', (), 'NOT_ATTEMPTED', 'abstain'),
    ("I’m not sure which one it is.", 'HashMap', (), 'NOT_ATTEMPTED', 'abstain'),
    ('I cannot determine that without more context.', '5432', (), 'NOT_ATTEMPTED', 'abstain'),
    ('It depends on the configuration.', '5432', (), 'NOT_ATTEMPTED', 'abstain'),
    ('无法确定。', '哈希函数', (), 'NOT_ATTEMPTED', 'abstain'),
    ('我不知道', '哈希函数', (), 'NOT_ATTEMPTED', 'abstain'),
    ('这个我不清楚。', '哈希函数', (), 'NOT_ATTEMPTED', 'abstain'),
    ('无法回答这个问题', '哈希函数', (), 'NOT_ATTEMPTED', 'abstain'),
    ("I'm not sure, but I think it is 5432.", '5432', (), 'CORRECT', 'hedged'),
    ('', 'HashMap', (), 'NOT_ATTEMPTED', 'no_response'),
    (None, 'HashMap', (), 'NOT_ATTEMPTED', 'no_response'),
    ('<think>maybe HashMap</think>', 'HashMap', (), 'NOT_ATTEMPTED', 'no_response'),
    ('<think>it is not TreeMap</think>HashMap', 'HashMap', (), 'CORRECT', 'exact'),
    # lists of candidates are INCORRECT even when one is the gold (CodeSimpleQA rule)
    ('either O(log n) or O(n)', 'O(log n)', (), 'INCORRECT', 'candidate_list'),
    ('HashMap or TreeMap', 'HashMap', (), 'INCORRECT', 'candidate_list'),
    ('TreeMap or HashMap', 'HashMap', (), 'INCORRECT', 'candidate_list'),
    ('可能是哈希函数或散列表', '哈希函数', (), 'INCORRECT', 'candidate_list'),
    ('或许是哈希函数', '哈希函数', (), 'CORRECT', 'span'),
    ('GET or POST', 'GET or POST', (), 'CORRECT', 'exact'),
    # negation and partial answers are left unsure
    ('It is not 5432.', '5432', (), 'INCORRECT', 'negated'),
    ('它是不可变的', '可变', (), 'INCORRECT', 'negated'),
    ('finally', 'finally block', (), 'INCORRECT', 'partial'),
]

@pytest.mark.parametrize('response,gold,aliases,verdict,rule', CASES)
def test_rules_case(response, gold, aliases, verdict, rule):
    got = grade_rules(response, gold, aliases)
    assert (str(got.verdict), got.rule) == (verdict, rule)
    assert 0 <= got.confidence <= 1

def test_enough_cases(): assert len(CASES) >= 40

def test_confidence_orders_certainty():
    "Exact matches are certain; a long answer without the gold is unsure."
    assert grade_rules('5432', '5432').confidence == 1.0
    long = 'PostgreSQL listens on a port that is set in postgresql.conf by the administrator, ' * 3
    assert grade_rules(long, '5432').confidence < grade_rules('5433', '5432').confidence

def test_chinese_lang_argument_accepted():
    assert grade_rules('哈希函数', '哈希函数（Hash Function）', lang='zh') == RuleVerdict(Verdict.CORRECT, 1.0, 'exact')
