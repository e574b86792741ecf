"""Dedup and decontamination quality on labelled data built from the real CodeSimpleQA file: planted near-duplicates
(precision and recall >= 0.95) and planted benchmark items, exact and lightly reworded, English and Chinese (all
removed, none of the same-topic control questions)."""
import random, re
import polars as pl
import pytest
from csqa.data import load_questions
from csqa.corpus.dedup import DedupConfig, dedup
from csqa.corpus.decontam import BenchmarkIndex, DecontamConfig, decontaminate

SWAPS_EN = {'Which': 'What', 'What': 'Which', 'used': 'utilized', 'primarily': 'mainly', 'typically': 'usually',
            'commonly': 'often'}

def paraphrase_en(q:str, rnd:random.Random)->str:
    "A light rewording: two of prefix, lower case, one word swapped, a dropped article, a suffix."
    ops = rnd.sample(['prefix', 'lower', 'swap', 'drop', 'suffix'], 2)
    w = q.split()
    if 'drop' in ops and (at := [i for i, x in enumerate(w) if x.lower() in ('the', 'a', 'an')]): del w[rnd.choice(at)]
    if 'swap' in ops and (at := [i for i, x in enumerate(w) if x in SWAPS_EN]): i = rnd.choice(at); w[i] = SWAPS_EN[w[i]]
    q = ' '.join(w)
    if 'prefix' in ops: q = 'Question: ' + q
    if 'lower' in ops: q = q.lower().rstrip('?')
    if 'suffix' in ops: q += ' Answer briefly.'
    return q

def paraphrase_zh(q:str, rnd:random.Random)->str:
    "A light rewording: two of prefix, half-width punctuation, a dropped 的/了 between characters, a suffix."
    ops = rnd.sample(['prefix', 'punct', 'drop', 'suffix'], 2)
    if 'drop' in ops and (at := [m.start() for m in re.finditer(r'(?<=[\u4e00-\u9fff])[的了](?=[\u4e00-\u9fff])', q)]):
        i = rnd.choice(at); q = q[:i] + q[i + 1:]
    if 'punct' in ops: q = q.replace('？', '?').replace('，', ',')
    if 'prefix' in ops: q = '请问，' + q
    if 'suffix' in ops: q += '请简要回答。'
    return q

def paraphrase(q:str, lang:str, rnd:random.Random)->str: return (paraphrase_zh if lang == 'zh' else paraphrase_en)(q, rnd)

# Same-topic questions that CodeSimpleQA does not ask; many reuse its templates ("What programming language was used to
# develop …", "在…中，哪个…") and its short answers (Python, C, Java).
CONTROLS = [
    ('What programming language was used to develop the Mercurial version control system?', 'Python'),
    ('What programming language is used to implement the Redis key-value store?', 'C'),
    ('What is the primary programming language used to write the Linux kernel?', 'C'),
    ('Which programming language is primarily used to write iOS applications today?', 'Swift'),
    ('In Python, which built-in function returns an iterator of tuples pairing elements of several iterables?', 'zip'),
    ('In Java, which keyword prevents a class from being subclassed?', 'final'),
    ('In SQL, which clause filters groups after aggregation?', 'HAVING'),
    ('In Git, which command records changes to the repository from the staging area?', 'git commit'),
    ('In Docker, which instruction in a Dockerfile sets the base image?', 'FROM'),
    ('In Kubernetes, which object keeps a specified number of pod replicas running?', 'ReplicaSet'),
    ('In C++, which keyword declares a function that can be overridden in a derived class?', 'virtual'),
    ('In JavaScript, which method converts a JSON string into an object?', 'JSON.parse'),
    ('In CSS, which property sets the stacking order of positioned elements?', 'z-index'),
    ('In Linux, which command changes the permissions of a file?', 'chmod'),
    ('What is the default port of the PostgreSQL database server?', '5432'),
    ('In Rust, which trait must a type implement to be printed with the {:?} formatter?', 'Debug'),
    ('In Go, which keyword starts a new goroutine?', 'go'),
    ('In HTTP, which status code means that the requested resource was not found?', '404'),
    ('What is the time complexity of binary search on a sorted array?', 'O(log n)'),
    ('In Android development, which class is the base class for a screen with a user interface?', 'Activity'),
    ('In Ruby, which method returns a new array with the results of running a block once for every element?', 'map'),
    ('In PHP, which function returns the number of elements in an array?', 'count'),
    ('In Kotlin, which keyword declares a read-only variable?', 'val'),
    ('In SQL Server, which command shows the estimated execution plan of a query?', 'SET SHOWPLAN_XML ON'),
    ('In ADO.NET, which object reads a forward-only stream of rows from a data source?', 'SqlDataReader'),
    ('In Emacs, which key sequence saves the current buffer to its file?', 'C-x C-s'),
    ('In Qt, which macro must a class declare to use signals and slots?', 'Q_OBJECT'),
    ('In MATLAB, which function returns the number of elements in an array?', 'numel'),
    ('Which hashing algorithm produces a 160-bit digest and is no longer considered collision resistant?', 'SHA-1'),
    ('In concurrent programming, what is the term for a situation in which two threads each wait for a lock the other holds?', 'Deadlock'),
    ('Mercurial 版本控制系统是用哪种编程语言编写的？', 'Python'),
    ('Redis 数据库是用哪种编程语言实现的？', 'C'),
    ('在Python中，哪个内置函数可以把多个可迭代对象按位置配对成元组？', 'zip'),
    ('在Java中，哪个关键字可以防止类被继承？', 'final'),
    ('在SQL中，哪个子句用于在分组聚合之后过滤分组？', 'HAVING'),
    ('在Git中，哪个命令用于把暂存区的修改提交到仓库？', 'git commit'),
    ('在Dockerfile中，哪条指令用于指定基础镜像？', 'FROM'),
    ('在Kubernetes中，哪种对象负责保持指定数量的Pod副本运行？', 'ReplicaSet'),
    ('在C++中，哪个关键字用于声明可以在派生类中重写的函数？', 'virtual'),
    ('在JavaScript中，哪个方法把JSON字符串解析为对象？', 'JSON.parse'),
    ('在CSS中，哪个属性用于设置定位元素的堆叠顺序？', 'z-index'),
    ('在Linux系统中，哪个命令用于修改文件的访问权限？', 'chmod'),
    ('PostgreSQL 数据库服务器的默认端口号是多少？', '5432'),
    ('在Rust中，类型需要实现哪个trait才能用{:?}格式化输出？', 'Debug'),
    ('在Go语言中，哪个关键字用于启动一个新的goroutine？', 'go'),
    ('在HTTP协议中，哪个状态码表示请求的资源不存在？', '404'),
    ('在有序数组上进行二分查找的时间复杂度是多少？', 'O(log n)'),
    ('在Android开发中，哪个类是带有用户界面的单个屏幕的基类？', 'Activity'),
    ('在PHP中，哪个函数返回数组中元素的个数？', 'count'),
    ('在Kotlin中，哪个关键字用于声明只读变量？', 'val'),
    ('在Web安全中，哪种攻击通过在网页中注入恶意脚本来窃取用户数据？', '跨站脚本攻击（XSS）'),
    ('在数据库优化中，哪种索引的叶子节点直接存储整行数据？', '聚簇索引（Clustered Index）'),
    ('在容器技术中，哪个Linux内核特性用于限制容器可使用的CPU和内存？', '控制组（cgroups）'),
    ('在物联网中，哪种低功耗无线协议常用于智能家居设备组网？', 'Zigbee'),
    ('在DevOps实践中，哪个工具常用于编写持续集成流水线的Jenkinsfile？', 'Jenkins'),
    ('在操作系统中，两个线程互相等待对方持有的锁而无法继续执行的情况称为什么？', '死锁（Deadlock）'),
    ('在图像识别中，哪种神经网络结构最常用于提取图像特征？', '卷积神经网络（CNN）'),
    ('在MLOps中，用于记录和比较模型训练实验的开源工具是什么？', 'MLflow'),
    ('在Linux系统中，哪个命令用于查看当前运行的进程？', 'ps'),
    ('在SQLite中，哪个命令用于回收数据库文件中未使用的空间？', 'VACUUM'),
]

@pytest.fixture
def bench(codesimpleqa_path)->pl.DataFrame: return load_questions(codesimpleqa_path)

def test_controls_are_same_topic_and_bilingual():
    "The control set is what the claim rests on: 30 English and 30 Chinese questions."
    from csqa.corpus.text import is_chinese
    zh = is_chinese(pl.Series([q for q, _ in CONTROLS])).sum()
    assert (len(CONTROLS), zh) == (60, 30)

def test_decontam_removes_every_planted_item_and_no_control(bench):
    rnd = random.Random(0)
    reworded = bench.with_columns(pl.Series('question', [paraphrase(q, l, rnd) for q, l in zip(bench['question'], bench['lang'])]))
    assert (reworded['question'] != bench['question']).mean() > 0.95  # nearly every item really is reworded
    planted = pl.concat([bench.with_columns(pl.lit('exact').alias('kind')), reworded.with_columns(pl.lit('reworded').alias('kind'))])
    planted = planted.with_columns(pl.col('id').alias('bench_id'), pl.format('planted-{}', pl.int_range(pl.len())).alias('id'))
    controls = pl.DataFrame({'id': [f'control-{i}' for i in range(len(CONTROLS))],
                             'question': [q for q, _ in CONTROLS], 'answer': [a for _, a in CONTROLS], 'kind': 'control'})
    rows = pl.concat([planted, controls], how='diagonal_relaxed').sample(fraction=1.0, shuffle=True, seed=1)
    res = decontaminate(rows, BenchmarkIndex.build(bench))
    assert res.kept.filter(pl.col('kind') != 'control').select('kind', 'lang', 'question').rows() == []
    assert res.removed.filter(pl.col('kind') == 'control').select('question', 'match_question', 'reason').rows() == []
    assert len(res.removed) == 2 * len(bench) and len(res.kept) == len(CONTROLS)
    # every removed row names the benchmark item it copies: the planted one, or an item with the same question
    same = res.removed.join(bench.select(pl.col('id').alias('match_id'), pl.col('question').alias('mq')), on='match_id')
    orig = same.join(bench.select(pl.col('id').alias('bench_id'), pl.col('question').alias('bq')), on='bench_id')
    assert (orig['match_id'] == orig['bench_id']).mean() > 0.98
    # copies and light edits are the n-gram stage's: the answer anchors (rewrites, translations) are not needed for them
    assert set(res.removed['reason']) == {'ngram'}
    assert set(res.removed['rule']) <= {'question_overlap', 'qa_overlap', 'answer_overlap', 'short_answer_exact'}
    by_lang = res.removed.group_by('lang').len().sort('lang').rows()
    assert by_lang == [('en', 2 * 782), ('zh', 2 * 716)]

def _planted_duplicates(bench:pl.DataFrame, seed:int=0)->pl.DataFrame:
    "The benchmark's distinct items plus, for half of them, one or two light variants; `cluster` labels the truth."
    rnd = random.Random(seed)
    base = bench.unique('question', keep='first', maintain_order=True).select('question', 'answer', 'lang')
    rows = []
    for c, (q, a, lang) in enumerate(base.iter_rows()):
        rows.append((q, a, lang, c))
        if rnd.random() < 0.5:
            for _ in range(rnd.choice([1, 2])):
                kind = rnd.random()
                if kind < 0.3: rows.append((q.upper() if lang == 'en' else q.replace('？', '?'), a + ' ', lang, c))  # exact after normalising
                else: rows.append((paraphrase(q, lang, rnd), a, lang, c))
    df = pl.DataFrame(rows, schema=['question', 'answer', 'lang', 'cluster'], orient='row')
    return df.with_columns(pl.format('row-{}', pl.int_range(pl.len())).alias('id'),
                           pl.Series('tier', [rnd.randrange(4) for _ in range(len(df))]))

def test_dedup_precision_and_recall_on_planted_duplicates(bench):
    df = _planted_duplicates(bench)
    dups = len(df) - df['cluster'].n_unique()
    assert dups > 600 and df.filter(pl.col('lang') == 'zh')['cluster'].is_duplicated().sum() > 300  # both languages
    res = dedup(df.sample(fraction=1.0, shuffle=True, seed=2))
    cluster_of = dict(zip(df['id'], df['cluster']))
    right = sum(cluster_of[r] == cluster_of[m] for r, m in zip(res.removed['id'], res.removed['match_id']))
    precision, recall = right / max(len(res.removed), 1), right / dups
    assert precision >= 0.95 and recall >= 0.95, (precision, recall, res.counts())
    assert len(res.kept) + len(res.removed) == len(df)
    assert res.kept['cluster'].is_duplicated().sum() <= 0.05 * dups
    # the survivor of each cluster is its most reliable row
    best = df.group_by('cluster').agg(pl.col('tier').min())
    kept = res.kept.join(best, on='cluster', suffix='_best')
    assert (kept.filter(pl.col('cluster').is_duplicated().not_())['tier'] == kept.filter(pl.col('cluster').is_duplicated().not_())['tier_best']).mean() > 0.95

# Code-aware keys: texts built from parts, differing only in the symbols code is made of, or only in case, width
# (full-width forms) and spacing.
from hypothesis import given, settings, strategies as st, HealthCheck
from csqa.corpus.text import code_normalized

KEPT = '+#=!<>&|*/.:_-()[]{}%@^~$\\'
words = st.lists(st.text('abcxyzCPQ019', min_size=1, max_size=6), min_size=1, max_size=6).map(' '.join)
symbols = st.text(KEPT, min_size=1, max_size=3)

@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pre=words, post=words, a=symbols, b=st.one_of(st.just(''), symbols), glue=st.sampled_from(['', ' ']))
def test_texts_differing_in_a_code_symbol_never_collapse(pre, post, a, b, glue):
    if a == b: return
    x, y = f'{pre}{glue}{a}{glue}{post}', f'{pre}{glue}{b}{glue}{post}'
    kx, ky = code_normalized(pl.Series([x, y])).to_list()
    assert kx != ky, (x, y, kx)

def _full_width(c:str)->str: return chr(ord(c) + 0xFEE0) if '!' <= c <= '~' else c

@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.lists(st.one_of(words, symbols), min_size=1, max_size=5).map(' '.join), data=st.data())
def test_texts_differing_in_case_width_or_spacing_collapse(text, data):
    flips = data.draw(st.lists(st.sampled_from(['upper', 'lower', 'wide', 'same']), min_size=len(text), max_size=len(text)))
    spaces = st.sampled_from([' ', '  ', '\t', '\n ', '\u3000'])
    out = []
    for c, f in zip(text, flips):
        if c == ' ': out.append(data.draw(spaces))
        else: out.append(c.upper() if f == 'upper' else c.lower() if f == 'lower' else _full_width(c) if f == 'wide' else c)
    variant = data.draw(spaces) + ''.join(out) + data.draw(spaces)
    kx, ky = code_normalized(pl.Series([text, variant])).to_list()
    assert kx == ky, (text, variant)

def test_dedup_never_merges_items_with_different_answers_on_the_benchmark(bench):
    "The benchmark repeats some questions with another answer (a min-heap's extract-min: O(log n) and O(1)): both stay."
    res = dedup(bench)
    answer = dict(zip(bench['id'], code_normalized(bench['answer'])))
    merged = [(r, m, answer[r], answer[m]) for r, m in zip(res.removed['id'], res.removed['match_id']) if answer[r] != answer[m]]
    assert merged == []
    assert 9 <= len(res.removed) <= 20, res.counts()   # the 9 exact repeats, and a few rewordings with the same answer
    heap = res.kept.filter(pl.col('question').str.contains('extracting the minimum element from a min-heap'))
    assert sorted(heap['answer']) == ['O(1)', 'O(log n)']
