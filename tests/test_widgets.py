"The Explorer without a browser: every control set as a user would, click-equivalent drill-downs, comparison and bilingual modes, export, and real run folders; figures and table rows checked against polars computed here."
from pathlib import Path
import numpy as np
import polars as pl
import plotly.graph_objects as go
import pytest
from plotly.callbacks import Points, InputDeviceState
from csqa.data import load_questions
from csqa.schema import UsageError, VERDICTS
from csqa.widgets import Explorer
from csqa.widgets.explorer import SLICES
from csqa.widgets.views import simulate_run, TableRun, FILTER_COLUMNS, paired_outcomes

CLICK = InputDeviceState(ctrl=False, alt=False, shift=False, meta=False, button=0, buttons=1)


@pytest.fixture(scope='module')
def runs():
    sample = load_questions('sample')
    return simulate_run(sample, 'before', seed=1), simulate_run(sample, 'after', skill=1.0, seed=2)


@pytest.fixture
def ex(runs): return Explorer(list(runs), n_boot=50)


def rates(items:pl.DataFrame, keys:list[str])->dict:
    "Correct rate (percent) and n per group, computed directly."
    g = items.group_by(keys).agg((pl.col('verdict') == 'CORRECT').mean().alias('correct'), pl.len().alias('n'))
    return {tuple(r[:-2]): (100 * r[-2], r[-1]) for r in g.iter_rows()}


def bars(ex)->dict:
    "Label → (correct %, n) of the rate bars on screen."
    t = ex.bars.data[0]
    return {x: (y, int(c[0])) for x, y, c in zip(t.x, t.y, t.customdata)}


def click(trace, i):
    trace._dispatch_on_click(Points(point_inds=[i], xs=[trace.x[i]], ys=[trace.y[i]], trace_name=trace.name, trace_index=0), CLICK)


@pytest.mark.parametrize('column', FILTER_COLUMNS)
def test_each_filter_control_updates_the_bars_text_and_code(ex, column):
    value = sorted(ex.filters[column].options)[-1]
    ex.filters[column].value = (value,)  # as a user picks it
    want = ex.items.filter(pl.col(column) == value)
    assert column in ex.filter_text.value and f'{len(want):,} items' in ex.filter_text.value
    items = ex.items
    assert eval(ex.filter_code.value).equals(want)  # the copyable code selects exactly these rows
    expect = rates(want, ['run', 'domain'])
    multi = want['run'].n_unique() > 1 or want['grader'].n_unique() > 1
    shown = bars(ex)
    assert len(shown) == len(expect)
    for (run, domain), (correct, n) in expect.items():
        y, shown_n = shown[f'{run} · {domain}' if multi else domain]
        assert shown_n == n and y == pytest.approx(correct)
    assert ex.page_label.value.endswith(f'({len(want):,} items)')
    assert set(ex.rows[column]) == {value} and len(ex.rows) == min(20, len(want))


@pytest.mark.parametrize('slice_', SLICES)
def test_slice_dropdown_and_interval_bars(ex, slice_):
    ex.slice.value = slice_
    f = next(t for t in ex.bars.data if t.name == 'f')
    groups = ex.items.select('run', slice_).unique().drop_nulls()
    assert len(f.x) == len(groups)
    lo, hi = np.array(f.error_y.arrayminus, float), np.array(f.error_y.array, float)
    assert (lo >= 0).all() and (hi >= 0).all() and (lo + hi > 0).any()  # bootstrap intervals around F
    assert ex.bars.layout.title.text.startswith(f'Rates by {slice_}')


def test_bar_click_drills_into_a_searchable_paged_table(ex):
    ex.filters['lang'].value = ('en',)
    labels = list(ex.bars.data[0].x)
    i = labels.index('after · Databases')
    click(ex.bars.data[0], i)
    want = ex.items.filter((pl.col('run') == 'after') & (pl.col('domain') == 'Databases') & (pl.col('lang') == 'en'))
    assert len(ex.table_items()) == len(want) and set(ex.rows['id']) <= set(want['id'])
    assert 'domain ∈ {Databases}' in ex.drill_text.value and 'run ∈ {after}' in ex.drill_text.value
    ex.clear_drill.click()
    assert len(ex.table_items()) == len(ex.items.filter(pl.col('lang') == 'en'))
    ex.search.value = 'SQL'  # case-insensitive, over question, gold, response and grader output
    hits = ex.items.filter((pl.col('lang') == 'en') & pl.any_horizontal(pl.col(c).str.to_lowercase().str.contains('sql') for c in
                                                                        ('question', 'answer', 'response', 'raw')).fill_null(False))
    assert 0 < len(hits) and len(ex.table_items()) == len(hits) and 'sql' in ex.table.value.lower()
    ex.search.value = ''
    first = ex.rows['id'].to_list()
    ex.next.click()
    assert ex.page == 1 and ex.rows['id'].to_list() != first and ex.page_label.value.startswith('page 2 of')
    ex.prev.click(); ex.prev.click()
    assert ex.page == 0 and ex.rows['id'].to_list() == first


def test_heatmap_marks_small_cells_and_drills_on_click(ex):
    hm, marks = ex.heatmap.data
    run, grader = ex.focus
    cells = rates(ex.items.filter(pl.col('run') == run), ['domain', 'prog_lang'])
    for (d, p), (_, n) in cells.items():
        assert hm.customdata[list(hm.y).index(d)][list(hm.x).index(p)][0] == n
    assert sorted(zip(marks.y, marks.x)) == sorted(k for k, (_, n) in cells.items() if n < 10)
    (d, p), (_, n) = max(cells.items(), key=lambda kv: kv[1][1])
    hm._dispatch_on_click(Points(point_inds=[[list(hm.y).index(d), list(hm.x).index(p)]], xs=[p], ys=[d], trace_name='F', trace_index=0), CLICK)
    assert len(ex.table_items()) == n and set(ex.rows['prog_lang']) == {p} and set(ex.rows['run']) == {run}


def test_comparison_mode(ex, runs):
    pairs = paired_outcomes(ex.items, 'before', 'after')
    for outcome in ('improved', 'regressed', 'both_wrong', 'both_right'):
        ex.outcome.value = outcome
        ids = pairs.filter(pl.col('outcome') == outcome)['id']
        assert len(ex.table_items()) == 2 * len(ids) and set(ex.table_items()['id']) == set(ids)
        assert outcome in ex.drill_text.value
    ex.outcome.value = 'all'
    s = ex.comparison.slices.filter(pl.col('slice') == 'domain')
    forest = ex.forest.data[0]
    assert len(forest.x) == len(ex.comparison.slices)
    assert list(forest.customdata) == pytest.approx(ex.comparison.slices['mcnemar_p_holm'].to_list(), nan_ok=True)
    db = s.filter(pl.col('domain') == 'Databases').row(0, named=True)
    a, b = (ex.items.filter((pl.col('run') == r) & (pl.col('domain') == 'Databases')) for r in ('before', 'after'))
    assert db['d_correct'] == pytest.approx((b['verdict'] == 'CORRECT').mean() - (a['verdict'] == 'CORRECT').mean())
    assert 'mcnemar_p_holm' in ex.paired_table.value
    ex.run_b.value = 'before'  # the same run twice: no comparison, said plainly
    assert ex.comparison is None and 'pick two different runs' in ex.paired_table.value
    ex.run_a.value, ex.run_b.value = 'after', 'before'
    assert ex.comparison.names == ('after', 'before')


def test_bilingual_transitions_ignore_the_language_filter(ex):
    ex.filters['lang'].value = ('zh',)
    run, _ = ex.focus
    items = ex.items.filter(pl.col('run') == run)
    en, zh = (items.filter(pl.col('lang') == l).select('pair_id', pl.col('verdict').alias(l)).drop_nulls('pair_id') for l in ('en', 'zh'))
    pairs = en.join(zh, on='pair_id')
    z = np.array(ex.transitions.data[0].z)
    assert z.sum() == len(pairs)
    assert z[VERDICTS.index('CORRECT'), VERDICTS.index('INCORRECT')] == len(pairs.filter((pl.col('en') == 'CORRECT') & (pl.col('zh') == 'INCORRECT')))
    discordant = len(pairs.filter((pl.col('en') == 'CORRECT') != (pl.col('zh') == 'CORRECT')))
    assert f'{discordant} discordant pairs' in ex.discordant.value


def test_export_through_the_widget(ex, tmp_path):
    ex.filters['domain'].value = ('Databases',)
    for name in ('sel.parquet', 'sel.csv'):
        ex.export_path.value = str(tmp_path/name)
        ex.export_button.click()
        back = pl.read_parquet(tmp_path/name) if name.endswith('parquet') else pl.read_csv(tmp_path/name)
        assert len(back) == len(ex.items.filter(pl.col('domain') == 'Databases')) and f'wrote {len(back)} rows' in ex.export_status.value
    assert set(back['domain']) == {'Databases'}
    ex.export_path.value = str(tmp_path/'sel.xlsx')
    ex.export_button.click()
    assert ex.export_status.value.startswith('not exported') and not (tmp_path/'sel.xlsx').exists()


def test_empty_selection_and_bad_arguments(ex, runs):
    combos = ex.items.select('domain', 'prog_lang').unique()
    d, p = next((d, p) for d in ex.filters['domain'].options for p in ex.filters['prog_lang'].options
                if not len(combos.filter((pl.col('domain') == d) & (pl.col('prog_lang') == p))))
    ex.set_filters(domain=[d], prog_lang=[p])
    assert len(ex.bars.data[0].x) == 0 and ex.page_label.value.endswith('(0 items)') and 'everything' not in ex.filter_text.value
    assert ex.comparison is None and len(ex.heatmap.data[0].x) == 0 and np.array(ex.transitions.data[0].z).sum() == 0
    with pytest.raises(UsageError, match="no filter 'colour'"): ex.set_filters(colour=['red'])
    with pytest.raises(UsageError, match="verdict: no items have 'MAYBE'"): ex.set_filters(verdict=['MAYBE'])
    with pytest.raises(UsageError, match='slice_ must be one of'): Explorer(runs[0], slice_='model')
    with pytest.raises(UsageError, match='share a name'): Explorer([runs[0], runs[0]])
    with pytest.raises(UsageError, match='expected a run folder'): Explorer(42)


def test_static_views_match_the_widgets(ex):
    ex.set_filters(lang=['zh'])
    views = ex.static()
    assert list(views.figures) == ['rates', 'heatmap', 'paired', 'transitions']
    assert all(type(f) is go.Figure for f in views.figures.values())
    assert list(views.figures['rates'].data[4].y) == pytest.approx(list(ex.bars.data[4].y))
    assert views.code == ex.filter_code.value and 'lang ∈ {zh}' in views.text
    assert views.figures['rates'].layout.template.layout.paper_bgcolor == 'white'  # styled for the page


def test_only_aggregates_reach_the_figures(runs):
    "A 20k-row run: the figures carry groups and the table one page, never the rows."
    big = simulate_run(load_questions('sample'), 'big', n=20_000, seed=3)
    ex = Explorer(big, n_boot=20, page_size=25)
    points = sum(len(t.x) if t.x is not None else 0 for fig in (ex.bars, ex.heatmap, ex.transitions) for t in fig.data)
    assert points < 1_500 and len(ex.rows) == 25 and ex.table.value.count('<tr>') == 26
    assert ex.page_label.value.endswith('(20,000 items)')


@pytest.fixture(scope='module')
def demo_run(tiny_model_dir, tmp_path_factory)->Path:
    "A real run folder written by `csqa demo` (tiny local model, rules grader)."
    from csqa.cli import main
    out = tmp_path_factory.mktemp('demo')/'demo'
    assert main(['demo', '--out', str(out), '--model-dir', str(tiny_model_dir), '--limit', '30', '--no-cache', '--no-train']) == 0
    return out/'before'  # the demo's run folder (with training it adds train/ and after/)


def test_a_demo_run_folder_a_run_and_a_run_like_object(demo_run, runs):
    import csqa
    from csqa.runs import read_answers
    from csqa.grades import read_grades
    opened = csqa.Run.open(demo_run)
    opened_as = type('Renamed', (), {'name': 'opened', 'answers': opened.answers, 'grades': opened.grades})()
    ex = Explorer([demo_run, TableRun('copy', read_answers(demo_run), read_grades(demo_run)), opened_as], n_boot=20)
    assert ex.runs == [demo_run.name, 'copy', 'opened'] and len(ex.items) == 3 * len(read_grades(demo_run))
    assert Explorer(opened, n_boot=0).runs == [opened.name]
    assert ex.items['response'].null_count() == 0 and ex.items['question'].null_count() == 0
    ex.filters['run'].value = (demo_run.name,)
    assert sum(c[0] for c in ex.bars.data[0].customdata) == len(read_grades(demo_run))
    assert ex.comparison is not None and ex.comparison.summary()['paired'] == 0 or 'pick two' in ex.paired_table.value


def finite(v)->bool:
    "No NaN or infinity anywhere in `v` (a widget message must be JSON)."
    if isinstance(v, float): return np.isfinite(v)
    if isinstance(v, np.ndarray): return v.dtype.kind != 'f' or bool(np.isfinite(v).all()) if v.dtype != object else all(finite(x) for x in v.tolist())
    if isinstance(v, (list, tuple)): return all(finite(x) for x in v)
    if isinstance(v, dict): return all(finite(x) for x in v.values())
    return True


def test_widget_figures_hold_no_nan(runs):
    "Empty heatmap cells, missing intervals (n_boot=0) and the forest plot reach the browser as null, not NaN."
    ex = Explorer(list(runs), n_boot=0, slice_='subdomain')
    ex.set_filters(lang=['zh'])
    for fig in (ex.bars, ex.heatmap, ex.forest, ex.transitions):
        assert all(finite(t.to_plotly_json()) for t in fig.data), fig.layout.title.text
    assert any(v is None for row in ex.heatmap.data[0].z for v in row)  # cells with no items stay blank


def test_widgets_show_what_a_recomputation_from_the_rows_shows():
    "The cube and indexes behind the widgets give the figures and the table that scoring and paging the selected rows give."
    from csqa.widgets.views import slice_scores, rate_bars, f_heatmap, bilingual_pairs, transition_matrix, discordant_pairs, item_page
    sample = load_questions('sample')
    many = simulate_run(sample, 'many', n=3 * len(sample), seed=7)  # several samples per question
    many.grades = many.grades.with_columns(pl.when(pl.int_range(pl.len()) % 29 == 0).then(pl.lit('judge_error')).otherwise('parse_status').alias('parse_status'))
    ex = Explorer([many, simulate_run(sample, 'one', seed=8)], n_boot=40, seed=5, slice_='prog_lang')
    assert ex.cube.exact
    for filters in ({}, {'verdict': ['CORRECT', 'NOT_ATTEMPTED'], 'lang': ['zh']}, {'domain': ['Databases', 'Web Technologies'], 'run': ['many']}):
        ex.set_filters(**({c: [] for c in ex.filters} | filters))
        rows = ex.items.filter(ex.selection().expr())
        scores = slice_scores(rows, [['prog_lang'], ['domain', 'prog_lang']], 40, 5)
        want = rate_bars(scores, 'prog_lang', ex.selection().text())
        for shown, t in zip(ex.bars.data, want.data):
            assert list(shown.x) == list(t.x) and list(shown.y) == pytest.approx(list(t.y))
            assert np.array(shown.error_y.array, float) == pytest.approx(np.array(t.error_y.array, float), nan_ok=True)
            assert np.array(shown.customdata, float) == pytest.approx(np.array(t.customdata, float), nan_ok=True)
        run, grader = rows.select('run', 'grader').row(0)
        heat = f_heatmap(scores.filter((pl.col('run') == run) & (pl.col('grader') == grader)))
        assert list(ex.heatmap.data[0].x) == list(heat.data[0].x) and list(ex.heatmap.data[0].y) == list(heat.data[0].y)
        assert np.array(ex.heatmap.data[0].z, float) == pytest.approx(np.array(heat.data[0].z, float), nan_ok=True)
        assert list(ex.heatmap.data[1].x) == list(heat.data[1].x)
        no_lang = {c: v for c, v in filters.items() if c != 'lang'}
        both = ex.items.filter(pl.all_horizontal([pl.col(c).is_in(v) for c, v in no_lang.items()] or [pl.lit(True)]) &
                               (pl.col('run') == run) & (pl.col('grader') == grader))
        pairs = bilingual_pairs(both)
        assert ex.pairs.equals(pairs)
        assert np.array(ex.transitions.data[0].z).tolist() == transition_matrix(pairs).drop('verdict_en').to_numpy().tolist()
        assert f'{len(discordant_pairs(pairs))} discordant pairs' in ex.discordant.value
        ex.search.value = 'E'
        hits = rows.filter(pl.any_horizontal(pl.col(c).str.to_lowercase().str.contains('e', literal=True) for c in ('question', 'answer', 'response', 'raw')).fill_null(False))
        page, shown, pages = item_page(hits, 1, ex.page_size)
        ex.show_items(1)
        assert len(page) and ex.rows.equals(page) and ex.table_items().equals(hits)
        assert ex.page_label.value == f'page {shown + 1} of {pages} ({len(hits):,} items)'
        ex.search.value = ''
