"csqa.widgets: error analysis of runs in JupyterLab (the Explorer) and its static views for pages without a kernel."
from .explorer import Explorer

__all__ = ['Explorer']
