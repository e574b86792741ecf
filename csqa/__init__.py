"""csqa: factuality of code LLMs. The library face: `csqa.evaluate(model, data) -> Run`, `csqa.Run.open(path)`,
`csqa.make_grader(spec)`, `csqa.load_questions(src)`. Names are imported on first use, so `import csqa` stays light."""
__version__ = "0.1.0"

_LAZY = {'evaluate': 'csqa.evaluation', 'Run': 'csqa.evaluation', 'make_grader': 'csqa.graders',
         'register_grader': 'csqa.graders', 'Grader': 'csqa.graders', 'load_questions': 'csqa.data'}
__all__ = ['__version__', *_LAZY]

def __getattr__(name):
    if name in _LAZY:
        import importlib
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')

def __dir__(): return sorted({*globals(), *_LAZY})
