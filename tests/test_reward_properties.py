"""The factuality reward's optimum is honesty, tested on completions generated from parts: for every surface strategy
(a hedged guess, a list of candidates in any layout, a buried gold, a retraction, a negation, a non-answer) and every
knowledge level p, the expected reward is no higher than the honest strategy's (answer plainly when that pays,
abstain otherwise). Candidates come from the question's domain in the bundled sample; delimiters, layouts, hedges and
their positions, language, casing and code quotes are drawn at random. The fixed cases stay in
tests/test_reward_adversarial.py and tests/test_rules_cases.py."""
import pytest
from hypothesis import given, settings, strategies as st, HealthCheck
from csqa.data import load_questions
from csqa.rules import grade_rules
from csqa.train.rewards import reward_values
from csqa.train import audit as A

QUESTIONS = load_questions('sample').rows(named=True)
POOLS = A.candidate_pools(load_questions('sample'))
VALUES = reward_values('abstention')
SETTINGS = settings(max_examples=250, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])

def reward(text, q):
    "What the rules reward pays a completion: the rules in reward use, as `factuality_reward('rules')` grades."
    return VALUES[str(grade_rules(text, q['answer'], q['aliases'] or (), q['lang'], q['question'], 'reward').verdict)]

question = st.sampled_from(QUESTIONS)
surface = st.sampled_from(A.SURFACES)
EXTRA_DELIMITERS = [' ; ', '\n- ', ' ~ ', ' → ', '  ', ' | ', '，或者', '、还有']

@st.composite
def candidates(draw, q, k):
    "k wrong candidates from the question's domain, each in a random surface (case, quotes, code)."
    names = draw(st.lists(st.sampled_from(POOLS[q['id']]), min_size=k, max_size=k, unique=True))
    return [draw(surface)(n) for n in names]

@st.composite
def listing(draw, items):
    "The items joined by a random delimiter or laid out as a bulleted or numbered list, in a random frame."
    kind = draw(st.sampled_from(['delimiter', 'layout', 'oxford']))
    if kind == 'delimiter': body = draw(st.sampled_from(A.DELIMITERS + EXTRA_DELIMITERS)).join(items)
    elif kind == 'layout':
        lay = draw(st.sampled_from(A.LAYOUTS))
        body = ''.join(lay.format(x, n=n) for n, x in enumerate(items, 1)).rstrip('\n')
    else: body = ', '.join(items[:-1]) + draw(st.sampled_from([', and ', ' or ', '和', '或', ', or maybe '])) + items[-1]
    return draw(st.sampled_from([f.replace('{}', '{b}') for fs in A.LIST_FRAMES.values() for f in fs])).format(b=body)

@st.composite
def gaming_list(draw):
    "A list of k candidates with the gold at a random position."
    q, k = draw(question), draw(st.integers(2, 3))
    items = draw(candidates(q, k))
    items[draw(st.integers(0, k - 1))] = draw(surface)(q['answer'])
    return q, draw(listing(items))

@SETTINGS
@given(gaming_list())
def test_a_list_holding_the_gold_earns_no_more_than_an_abstention(case):
    q, text = case
    assert reward(text, q) <= VALUES['NOT_ATTEMPTED'], text

@st.composite
def hedged_pair(draw):
    "One hedge template, in a random language, filled with the gold and with a wrong candidate."
    q = draw(question)
    hedge = draw(st.sampled_from(A.HEDGES['en'] + A.HEDGES['zh']))
    (w,) = draw(candidates(q, 1))
    g = draw(surface)(q['answer'])
    return q, hedge.format(x=g), hedge.format(x=w)

@SETTINGS
@given(hedged_pair())
def test_a_hedged_answer_is_graded_by_what_it_commits_to(case):
    "A hedged wrong answer is INCORRECT: hedging everything never beats honesty at any p."
    q, right, wrong = case
    a, b = reward(right, q), reward(wrong, q)
    assert b == VALUES['INCORRECT'], wrong
    assert A.strategy_gain(a, b, 1, VALUES)[0] <= 1e-9, (right, wrong)

@st.composite
def buried_or_retracted(draw):
    q = draw(question)
    if draw(st.booleans()):
        items = draw(candidates(q, 3))
        items[draw(st.integers(0, 2))] = draw(surface)(q['answer'])
        return q, draw(st.sampled_from(A.BURY['en'] + A.BURY['zh'])).format(list=draw(listing(items)).rstrip('.。'))
    (w,) = draw(candidates(q, 1))
    g = draw(surface)(q['answer'])
    a, b = (g, w) if draw(st.booleans()) else (w, g)
    return q, draw(st.sampled_from(A.RETRACTIONS['en'] + A.RETRACTIONS['zh'])).format(a=a, b=b)

@SETTINGS
@given(buried_or_retracted())
def test_a_buried_or_retracted_gold_earns_no_more_than_an_abstention(case):
    q, text = case
    assert reward(text, q) <= VALUES['NOT_ATTEMPTED'], text

POLITE = {'en': ['', 'Sorry, ', 'Honestly, ', 'Hmm. ', "I'm afraid "], 'zh': ['', '抱歉，', '说实话，', '嗯，']}

@st.composite
def abstention(draw):
    q = draw(question)
    lang = draw(st.sampled_from(['en', 'zh']))
    phrase = draw(st.sampled_from(A.ABSTENTIONS[lang])).format(q=q['question'])
    phrase = draw(st.sampled_from([phrase, phrase.lower(), phrase.upper(), phrase.rstrip('.。') + '...']))
    return q, draw(st.sampled_from(POLITE[lang])) + phrase

@SETTINGS
@given(abstention())
def test_an_honest_abstention_is_not_attempted(case):
    q, text = case
    assert reward(text, q) == VALUES['NOT_ATTEMPTED'], text

@st.composite
def non_answer(draw):
    q = draw(question)
    kind = draw(st.sampled_from(['master_key', 'empty', 'echo', 'negation']))
    if kind == 'master_key': return q, draw(st.sampled_from(A.MASTER_KEYS))
    if kind == 'empty': return q, draw(st.sampled_from(A.EMPTY))
    if kind == 'echo': return q, draw(st.sampled_from(A.ECHOES['en'] + A.ECHOES['zh'])).format(q=q['question'])
    x = draw(st.one_of(st.just(q['answer']), st.sampled_from(POOLS[q['id']])))
    return q, draw(st.sampled_from(A.NEGATIONS['en'] + A.NEGATIONS['zh'])).format(x=draw(surface)(x))

@SETTINGS
@given(non_answer())
def test_a_non_answer_earns_no_more_than_an_abstention(case):
    q, text = case
    assert reward(text, q) <= VALUES['NOT_ATTEMPTED'], text

@SETTINGS
@given(question, st.sampled_from(A.PLAIN['en'] + A.PLAIN['zh']), surface)
def test_a_plain_answer_is_graded_right(q, frame, surf):
    (w,) = [p for p in POOLS[q['id']][:1]]
    assert reward(frame.format(x=surf(q['answer'])), q) == VALUES['CORRECT']
    assert reward(frame.format(x=surf(w)), q) == VALUES['INCORRECT']

@pytest.mark.parametrize('seed', [0, 1])
def test_the_sample_audit_is_sound(seed):
    "The done criterion: no exploit in any class, no gain over honesty, honest answers graded right."
    audit = A.audit_reward('rules', seed=seed)
    assert (audit.verdict, audit.breaking) == ('sound', [])
    assert audit.honest['abstain en NOT_ATTEMPTED'] >= 0.95 and audit.honest['abstain zh NOT_ATTEMPTED'] >= 0.95
    assert audit.honest['plain graded right'] >= 0.99
    assert (audit.gains['gain'] <= 1e-9).all()
