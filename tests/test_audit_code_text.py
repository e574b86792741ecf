"The audit keeps code punctuation: C, C++ and C# are different languages, in questions and in golds."
import polars as pl
from csqa.audit import audit
from csqa.schema import conform

def _table(questions, answers):
    n = len(questions)
    return conform(pl.DataFrame({'question': questions, 'answer': answers, 'lang': ['en']*n,
                                 'domain': ['Programming Languages']*n, 'subdomain': ['Language Features']*n,
                                 'prog_lang': ['others']*n}))

def test_cpp_and_csharp_questions_are_not_duplicates():
    a = audit(_table(['Which operator overloads in C++?', 'Which operator overloads in C#?', 'Which operator overloads in C?'],
                     ['x', 'x', 'x']))
    assert len(a.normalized_duplicates) == 0

def test_cpp_and_csharp_golds_conflict():
    a = audit(_table(['Which language added LINQ?', 'which language added LINQ', 'Which language added LINQ ?'],
                     ['C++', 'C#', 'c#.']))
    assert a.normalized_duplicates['count'].to_list() == [3]
    assert a.conflicting_golds['golds'].to_list() == [[{'answer': 'C#', 'count': 2}, {'answer': 'C++', 'count': 1}]]

def test_duplicates_table_agrees_with_audit_conflicts():
    from csqa.explore import duplicates_table
    t = _table(['Which language added LINQ?', 'which language added LINQ', 'What is O?', 'what is o'],
               ['C++', 'C#', 'O(1)', 'o(1)'])
    d = duplicates_table(t)
    assert d['conflicting'].to_list() == [True, False]
    assert d.filter('conflicting')['question'].to_list() == audit(t).conflicting_golds['question'].to_list()
