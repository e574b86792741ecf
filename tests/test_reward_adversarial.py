"""The factuality reward cannot be gamed through the rules grader's blind spots: no wrong or evasive completion earns the
CORRECT reward, and a correct one in another surface form is not punished (English and Chinese)."""
import pytest
from csqa.train.rewards import factuality_reward

CASES = [  # completion, gold, aliases, lang, adversarial (a wrong or evasive answer: must not earn CORRECT's reward)
 # candidate lists / hedges between two answers
 ('It is either HashMap or TreeMap.', 'HashMap', (), 'en', True),
 ('HashMap, TreeMap', 'HashMap', (), 'en', True),
 ('HashMap / TreeMap', 'HashMap', (), 'en', True),
 ('Possibly HashMap, possibly TreeMap.', 'HashMap', (), 'en', True),
 ('HashMap and TreeMap are both candidates.', 'HashMap', (), 'en', True),
 ('Could be HashMap; could also be TreeMap.', 'HashMap', (), 'en', True),
 ('Maybe HashMap, maybe TreeMap.', 'HashMap', (), 'en', True),
 ('HashMap or maybe TreeMap', 'HashMap', (), 'en', True),
 ('Probably HashMap, but it might be TreeMap.', 'HashMap', (), 'en', True),
 ('HashMap (or possibly TreeMap)', 'HashMap', (), 'en', True),
 ('5432 or 3306', '5432', (), 'en', True),
 ('5432/3306', '5432', (), 'en', True),
 ('哈希函数或者散列表', '哈希函数', (), 'zh', True),
 ('可能是哈希函数，也可能是散列表', '哈希函数', (), 'zh', True),
 ('哈希函数还是散列表，不确定', '哈希函数', (), 'zh', True),
 ('哈希函数、散列表都有可能', '哈希函数', (), 'zh', True),
 ('要么是哈希函数，要么是散列表', '哈希函数', (), 'zh', True),
 ('5432 或 3306', '5432', (), 'zh', True),
 ('len 或者 size', 'len', (), 'zh', True),
 # gold stated then negated
 ('HashMap. Actually no, it is TreeMap.', 'HashMap', (), 'en', True),
 ('HashMap — no wait, TreeMap.', 'HashMap', (), 'en', True),
 ('It is HashMap. Just kidding, it is not HashMap.', 'HashMap', (), 'en', True),
 ('Not HashMap.', 'HashMap', (), 'en', True),
 ("It isn't HashMap.", 'HashMap', (), 'en', True),
 ("HashMap is wrong; the answer is TreeMap.", 'HashMap', (), 'en', True),
 ('The answer is not 5432.', '5432', (), 'en', True),
 ('5432? No, it is 3306.', '5432', (), 'en', True),
 ('是哈希函数。不对，应该是散列表。', '哈希函数', (), 'zh', True),
 ('不是哈希函数', '哈希函数', (), 'zh', True),
 ('答案不是 5432', '5432', (), 'zh', True),
 ('哈希函数是错误的，答案是散列表', '哈希函数', (), 'zh', True),
 # gold buried in a long ramble
 ('There are many data structures in Java such as ArrayList, LinkedList, TreeMap, HashSet and HashMap, each with different trade-offs in ordering, memory and speed, and the best choice depends on the workload.', 'HashMap', (), 'en', True),
 ('Well, let me think about this carefully. Ports are assigned by convention and many databases use different ones; MySQL uses 3306 while others use 5432 or 1521 or 27017 depending on configuration.', '5432', (), 'en', True),
 ('这个问题涉及很多方面，比如数据结构的选择、内存的使用、性能的权衡等等，常见的有数组、链表、树、图、哈希函数、堆等各种各样的结构，需要根据具体情况来选择合适的方案。', '哈希函数', (), 'zh', True),
 # number words against digit golds (wrong ones)
 ('three', '4', (), 'en', True),
 ('It has three arguments.', '4', (), 'en', True),
 ('三个', '4', (), 'zh', True),
 ('有三个参数', '4', (), 'zh', True),
 ('sixty-four', '32', (), 'en', True),
 ('twenty', '2', (), 'en', True),
 ('十二', '2', (), 'zh', True),
 # correct in another surface form: must be CORRECT
 ('four', '4', (), 'en', False),
 ('It takes four arguments.', '4', (), 'en', False),
 ('四', '4', (), 'zh', False),
 ('四个参数', '4', (), 'zh', False),
 ('sixty-four', '64', (), 'en', False),
 ('Sixty four bits', '64 bits', (), 'en', False),
 ('六十四', '64', (), 'zh', False),
 ('十二', '12', (), 'zh', False),
 ('two', '2', (), 'en', False),
 ('The default is 5432.', '5432', (), 'en', False),
 ('`len()`', 'len', (), 'en', False),
 ('它是哈希函数。', '哈希函数（Hash Function）', (), 'zh', False),
 ('Hash function.', '哈希函数（Hash Function）', (), 'en', False),
 ('HashMap is the answer.', 'HashMap', (), 'en', False),
 ('It is a HashMap, not a TreeMap.', 'HashMap', (), 'en', False),
 ('是哈希函数，不是散列表。', '哈希函数', (), 'zh', False),
 ('GET or POST', 'GET or POST', (), 'en', False),
 ('一百二十八', '128', (), 'zh', False),
 ('one hundred twenty-eight', '128', (), 'en', False),
]

EVIL = [c for c in CASES if c[4]]
GOOD = [c for c in CASES if not c[4]]

def rewards(cases, preset='abstention'):
    "The reward for each completion, each graded against its own gold, in one batch as GRPO calls it."
    reward = factuality_reward('rules', preset=preset)
    cols = dict(id=[f'q{i}' for i in range(len(cases))], question=['?']*len(cases), answer=[c[1] for c in cases],
                aliases=[list(c[2]) for c in cases], lang=[c[3] for c in cases])
    return reward(None, [[{'role': 'assistant', 'content': c[0]}] for c in cases], **cols), reward.last

@pytest.mark.parametrize('preset', ['abstention', 'binary'])
def test_no_adversarial_completion_earns_the_correct_reward(preset):
    got, graded = rewards(EVIL, preset)
    full = factuality_reward(preset=preset).values['CORRECT']
    gamed = [(c[0], c[1], r) for c, r, rule in zip(EVIL, got, graded['raw']) if r == full]
    assert not gamed, gamed
    assert len(EVIL) >= 40

def test_correct_answers_in_another_surface_form_are_not_punished():
    got, graded = rewards(GOOD)
    punished = [(c[0], c[1], rule) for c, r, rule in zip(GOOD, got, graded['raw']) if r != 1.0]
    assert not punished, punished

def test_each_blind_spot_is_named_by_its_rule():
    "The hardening rules fire for the reasons they claim (not by luck of another rule)."
    _, graded = rewards(EVIL)
    rules = dict(zip([c[0] for c in EVIL], graded['raw']))
    assert rules['Maybe HashMap, maybe TreeMap.'] == rules['HashMap, TreeMap'] == rules['要么是哈希函数，要么是散列表'] == 'candidate_list'
    assert rules['HashMap. Actually no, it is TreeMap.'] == rules['是哈希函数。不对，应该是散列表。'] == 'retracted'
    assert rules["It isn't HashMap."] == 'negated'

def test_abstention_aware_and_binary_rewards_differ_where_they_should():
    "Same completions: CORRECT and NOT_ATTEMPTED agree; INCORRECT costs -1 only under the abstention-aware reward."
    cases = [('len', 'len', (), 'en', False), ("I don't know.", 'len', (), 'en', False), ('size', 'len', (), 'en', False),
             ('我不知道', '哈希函数', (), 'zh', False), ('散列表', '哈希函数', (), 'zh', False)]
    aware, graded = rewards(cases, 'abstention')
    binary, _ = rewards(cases, 'binary')
    assert graded['verdict'].to_list() == ['CORRECT', 'NOT_ATTEMPTED', 'INCORRECT', 'NOT_ATTEMPTED', 'INCORRECT']
    assert aware == [1.0, 0.0, -1.0, 0.0, -1.0] and binary == [1.0, 0.0, 0.0, 0.0, 0.0]
    # a group of one wrong guess and one abstention: the binary reward sees no difference, so GRPO learns nothing from
    # it; the abstention-aware reward prefers the abstention
    from csqa.train.rewards import batch_stats
    verdicts, groups = ['INCORRECT', 'NOT_ATTEMPTED'], ['q', 'q']
    assert batch_stats(verdicts, [0.0, 0.0], groups)['all_equal_groups'] == 1.0
    assert batch_stats(verdicts, [-1.0, 0.0], groups)['all_equal_groups'] == 0.0
