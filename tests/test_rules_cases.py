"The rules grader's case table: bilingual glosses, code tokens, numbers, abstention (EN/ZH), candidate lists, golds in long answers."
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
    # unitless numbers compare by value, and a minus sign is part of the number
    ('3.0', '3', (), 'CORRECT', 'numeric'),
    ('10.0', '10', (), 'CORRECT', 'numeric'),
    ('.5', '0.5', (), 'CORRECT', 'numeric'),
    ('-1', '1', (), 'INCORRECT', 'no_match'),
    ('It returns -1.', '1', (), 'INCORRECT', 'no_match'),
    ('It returns -1.', '-1', (), 'CORRECT', 'span'),
    ('The index is 1.', '-1', (), 'INCORRECT', 'no_match'),
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
    # hedged and bare lists, retractions, number words (the reward's blind spots: tests/test_reward_adversarial.py)
    ('Maybe HashMap, maybe TreeMap.', 'HashMap', (), 'INCORRECT', 'candidate_list'),
    ('HashMap / TreeMap', 'HashMap', (), 'INCORRECT', 'candidate_list'),
    ('要么是哈希函数，要么是散列表', '哈希函数', (), 'INCORRECT', 'candidate_list'),
    ('HashMap. Actually no, it is TreeMap.', 'HashMap', (), 'INCORRECT', 'retracted'),
    ('是哈希函数。不对，应该是散列表。', '哈希函数', (), 'INCORRECT', 'retracted'),
    ('It takes four arguments.', '4', (), 'CORRECT', 'number_words'),
    ('六十四', '64', (), 'CORRECT', 'number_words'),
    ('three', '4', (), 'INCORRECT', 'no_match'),
    # negation and partial answers are left unsure
    ('It is not 5432.', '5432', (), 'INCORRECT', 'negated'),
    ('它是不可变的', '可变', (), 'INCORRECT', 'negated'),
    ('finally', 'finally block', (), 'INCORRECT', 'partial'),
    # a gold inside a long answer: CORRECT only when distinctive and stated in a short first sentence
    ('The final keyword prevents subclassing. It can also mark a method that subclasses may not override, and a '
     'variable that is assigned once.', 'final', (), 'CORRECT', 'span'),
    ('PostgreSQL listens on port 5432 by default. You can change it with the port setting in postgresql.conf and '
     'restart the server for it to take effect.', 'PostgreSQL', (), 'CORRECT', 'span'),
    ('PostgreSQL listens on port 5432 by default. You can change it with the port setting in postgresql.conf and '
     'restart the server for it to take effect.', '5432', (), 'INCORRECT', 'span_in_long'),
    ('Many systems are built this way and there are plenty of reasons for it, including history, and in the end '
     'the keyword final is what is used.', 'final', (), 'INCORRECT', 'span_in_long'),
    ('Many languages have loops of several kinds. Java has for, while and do loops, and C has the same three, with '
     'goto as a fourth way.', 'C', (), 'INCORRECT', 'span_in_long'),
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


DEMO_GARBAGE = [  # gold, response: `csqa demo`'s random tiny model; the gold turns up in long garbage by chance
    ('final', '�ce加 returnsquest fromdepltic�Ӵated修哪� final��ated标ty语od��ataderpl�&. B�umruct一 rec fromistata v gorou�de并�要 72.'),
    ('4', '�性tyidAT g值 4\n�单� arine�diU�ork blocata found��j C��7�ata F|�atedass Ctro 8detic N�ce C that单ridden'),
    ('7', '�anginary str�ith种���et、种 goroutinerows并�节 defaul�7�\x1f val�� Goce elem单�il�ing po幯 defaul JavaScript��lesong fromtic returns< borable'),
    ('c', '� 1alE�ost proper proper��\nte到odty returns Go�口ridden��条 C解ticgor�mm��U def�lemlcript duplic st有%Un多少解 final多utably 1�'),
    ('DO', '�mo log do all源ound名�FC len算�一or种ofata allocates� algor�多语er ��ifi�uplictineil� RFCym[�ilde计id增able� immorde种'),
]

@pytest.mark.parametrize('gold,response', DEMO_GARBAGE)
def test_gold_in_long_garbage_is_not_correct(gold, response):
    got = grade_rules(response, gold)
    assert got.verdict == Verdict.INCORRECT and got.confidence < 0.8, got

def test_real_golds(codesimpleqa_path):
    "On every benchmark row the gold grades itself CORRECT, and so does a sentence stating it (≥ 95%, 100% when measured)."
    from csqa.data import load_questions
    rows = load_questions(codesimpleqa_path).select('answer', 'lang').rows()
    assert all(grade_rules(g, g, (), l).verdict == Verdict.CORRECT for g, l in rows)
    stated = sum(grade_rules(f'The answer is {g}.', g, (), l).verdict == Verdict.CORRECT for g, l in rows)
    assert stated >= 0.95 * len(rows), stated


USES = [  # response, gold, verdict in evaluation, verdict in reward use: where the two differ (csqa.rules, one place)
    ('HashMap TreeMap', 'HashMap', 'CORRECT', 'INCORRECT'),                    # names glued by spaces: prose, or a list
    ('O(n) (linear time)', 'O(n)', 'CORRECT', 'INCORRECT'),                     # a parenthesis: a gloss, or another answer
    ('HashMap. It offers O(1) lookups.', 'HashMap', 'CORRECT', 'INCORRECT'),    # a short sentence beside the answer
    ('The `len()` function.', 'len', 'CORRECT', 'CORRECT'),                     # a generic noun describes the name
    ('It is written in C#.', 'C#', 'CORRECT', 'CORRECT'),
    ('Maybe HashMap, maybe TreeMap.', 'HashMap', 'INCORRECT', 'INCORRECT'),
    ("HashMap, but I'm not sure.", 'HashMap', 'CORRECT', 'CORRECT'),            # hedged right
    ("TreeMap, but I'm not sure.", 'HashMap', 'INCORRECT', 'INCORRECT'),        # hedged wrong
    ("I don't know.", 'HashMap', 'NOT_ATTEMPTED', 'NOT_ATTEMPTED'),
    ('抱歉，我无法提供这个信息', 'HashMap', 'NOT_ATTEMPTED', 'NOT_ATTEMPTED'),
    ('Thought process:', 'HashMap', 'INCORRECT', 'INCORRECT'),
]

@pytest.mark.parametrize('response,gold,evaluation,reward', USES)
def test_evaluation_and_reward_use(response, gold, evaluation, reward):
    assert str(grade_rules(response, gold).verdict) == evaluation
    got = grade_rules(response, gold, use='reward')
    assert str(got.verdict) == reward
    # in reward use a verdict about the answer's form is final: no judge may overturn it
    if got.rule not in ('hedged', 'span', 'numeric', 'number_words', 'partial', 'no_match_long_gold'): assert got.confidence == 1.0
