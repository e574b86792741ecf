"Packaging for csqa: everything is read from settings.ini, the one place the requirements live."
from configparser import ConfigParser
from pathlib import Path
import setuptools

here = Path(__file__).parent
cfg = ConfigParser(delimiters=['='])
cfg.read(here/'settings.ini', encoding='utf-8')
cfg = cfg['DEFAULT']

def reqs(key): return cfg.get(key, '').split()
# Extras: hf (torch, transformers: local models), train and serve (each with hf), vllm, corpus, dev; `all` is every
# one that installs without a GPU.
extras = {name: reqs(f'{name}_requirements') for name in ('hf', 'train', 'serve', 'vllm', 'corpus', 'dev')}
for name in ('train', 'serve'): extras[name] = extras['hf'] + extras[name]
extras['all'] = sorted({r for name in ('hf', 'train', 'serve', 'corpus') for r in extras[name]})

licenses = dict(apache2=('Apache Software License 2.0', 'OSI Approved :: Apache Software License'))
lic = licenses[cfg['license']]
statuses = ['1 - Planning', '2 - Pre-Alpha', '3 - Alpha', '4 - Beta', '5 - Production/Stable', '6 - Mature', '7 - Inactive']
py_versions = '3.10 3.11 3.12 3.13'.split()
min_python = cfg['min_python']

setuptools.setup(
    name=cfg['lib_name'], version=cfg['version'], description=cfg['description'],
    long_description=(here/'README.md').read_text(encoding='utf-8'), long_description_content_type='text/markdown',
    author=cfg['author'], author_email=cfg['author_email'], license=lic[0], url=cfg['git_url'],
    keywords=cfg['keywords'].split(),
    classifiers=[f"Development Status :: {statuses[int(cfg['status'])]}", f"Intended Audience :: {cfg['audience']}",
                 f"License :: {lic[1]}", f"Natural Language :: {cfg['language']}"] +
                [f'Programming Language :: Python :: {v}' for v in py_versions[py_versions.index(min_python):]],
    packages=setuptools.find_packages(include=['csqa', 'csqa.*']),
    include_package_data=True, package_data={'csqa': ['data/*', 'templates/*']},
    exclude_package_data={'csqa': ['*.c']},  # the C source goes in the sdist, not the installed package
    # The one compiled part: a proof that large JSONL files are valid without decoding them (nbs/01_data.ipynb).
    # Optional: where no C compiler is found, csqa installs without it and proves lines with a regular expression.
    ext_modules=[setuptools.Extension('csqa._jsonl', ['csqa/_jsonl.c'], optional=True)],
    install_requires=reqs('requirements'), extras_require=extras,
    python_requires=f'>={min_python}', zip_safe=False,
    entry_points={'console_scripts': cfg['console_scripts'].split(), 'nbdev': [f"{cfg['lib_path']}={cfg['lib_path']}._modidx:d"]},
)
