"The factuality reward over an LLM judge on a real OpenAI-compatible server (transformers serve, loopback): called asynchronously, through csqa's cache; the tiny judge's unparseable replies give no reward and are counted."
import asyncio, sqlite3

def test_judge_reward_is_async_cached_and_skips_parse_errors(openai_server, tmp_path):
    from csqa.train.rewards import factuality_reward, AsyncFactualityReward
    cache = tmp_path/'cache.sqlite'
    reward = factuality_reward(f'judge:{openai_server.model}', judge_base_url=openai_server.base_url, judge_max_tokens=8,
                               cache=str(cache))
    assert isinstance(reward, AsyncFactualityReward) and reward.grader.name.startswith('judge')
    cols = dict(id=['q1', 'q1', 'q2'], question=['Which built-in returns a length?']*2 + ['默认端口？'],
                answer=['len', 'len', '5432'], lang=['en', 'en', 'zh'], aliases=[[], [], []])
    completions = [[{'role': 'assistant', 'content': t}] for t in ('len', 'size', '5432')]
    logged = {}
    first = asyncio.run(reward(None, completions, log_metric=logged.__setitem__, **cols))
    verdicts = reward.last['verdict'].to_list()
    # every reward is the value of its verdict, and a PARSE_ERROR (the random tiny judge names no verdict) is None
    values = {**reward.values, 'PARSE_ERROR': None}
    assert first == [values[v] for v in verdicts]
    assert logged['csqa/parse_errors'] == verdicts.count('PARSE_ERROR') and reward.totals['PARSE_ERROR'] == verdicts.count('PARSE_ERROR')
    # the judge's replies went through csqa's cache: the same batch again is answered from it, with the same rewards
    def cached(): return sqlite3.connect(cache).execute('select count(*) from generations').fetchone()[0]
    assert cached() == 3  # one judge call per completion
    again = asyncio.run(reward(None, completions, **cols))
    assert again == first and cached() == 3
