"Reasoning removal, including replies whose opening `<think>` sat in the chat template's prompt."
import pytest
from csqa.schema import strip_reasoning

@pytest.mark.parametrize('raw,want', [
    ('step by step...</think>final: 42', 'final: 42'),
    ('plan</thinking>\nO(n log n)', 'O(n log n)'),
    ('why</REASONING> C++', 'C++'),
    ('lone</think>mid<think>more</think>end', 'midend'),
    ('<think>a</think>b', 'b'),
    ('a < b > c', 'a < b > c'),
    ('only reasoning</think>', ''),
])
def test_strip_reasoning(raw, want): assert strip_reasoning(raw) == want
